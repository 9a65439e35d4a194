/**
 * Every timer the simulator starts goes through here, so close() can clear them all and jest exits cleanly.
 */
export class TimerSet {
  private readonly pending = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Runs `fn` after `ms`; returns undefined (and never runs it) once the set is closed. */
  set(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const handle = setTimeout(
      () => {
        this.pending.delete(handle);
        fn();
      },
      Math.max(0, ms),
    );
    this.pending.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.pending.delete(handle);
  }

  /** Cancels every pending timer but keeps accepting new ones (used by /_sim/reset). */
  clearAll(): void {
    for (const handle of this.pending) clearTimeout(handle);
    this.pending.clear();
  }

  close(): void {
    this.clearAll();
    this.closed = true;
  }

  private readonly sleepers = new Set<() => void>();

  /** A promise that resolves after `ms`, or early through wakeSleepers(); never rejects. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        this.sleepers.delete(wake);
        this.clear(handle);
        resolve();
      };
      const handle = this.set(wake, ms);
      if (!handle) return resolve();
      this.sleepers.add(wake);
    });
  }

  /** Wakes every sleeper early, so slow replies do not hold up a server close. */
  wakeSleepers(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
