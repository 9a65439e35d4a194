/** Samples this process's memory while the benchmark runs: the worker, the simulator and the receiver all live here. */
export class MemorySampler {
  peakRss = 0;
  peakHeapUsed = 0;
  samples = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 25) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): void {
    const usage = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, usage.rss);
    this.peakHeapUsed = Math.max(this.peakHeapUsed, usage.heapUsed);
    this.samples += 1;
  }

  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
