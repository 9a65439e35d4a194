/**
 * Seeded PRNG (mulberry32): the same seed and the same requests give the same call outcomes, run after run.
 * Outcomes, API faults and notification faults draw from separate streams, so turning a fault knob does not
 * change which calls get answered.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** True with the given probability; always draws, so the stream stays aligned whatever the rate. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Whole number in [min, max]. */
  integer(min: number, max: number): number {
    const low = Math.ceil(min);
    const high = Math.floor(max);
    if (high <= low) return low;
    return low + Math.floor(this.next() * (high - low + 1));
  }
}

export const STREAMS = { outcomes: 0x0, apiFaults: 0x9e3779b9, notifications: 0x85ebca6b } as const;

export function streamsFor(seed: number): Record<keyof typeof STREAMS, Random> {
  return {
    outcomes: new Random(seed ^ STREAMS.outcomes),
    apiFaults: new Random(seed ^ STREAMS.apiFaults),
    notifications: new Random(seed ^ STREAMS.notifications),
  };
}
