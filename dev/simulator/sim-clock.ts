/**
 * Simulated time for call life: `timeScale` simulated seconds pass per real second. Wall-clock dates (Hoiio's
 * `date`, dialed_at...) stay real so that they line up with the client's own clock; only durations are scaled.
 */
export class SimClock {
  private baseReal = performance.now();
  private baseSim = 0;

  constructor(private scale: number) {}

  get timeScale(): number {
    return this.scale;
  }

  /** Simulated seconds since start; piecewise linear so a scale change never makes time jump. */
  nowSeconds(): number {
    return this.baseSim + ((performance.now() - this.baseReal) / 1000) * this.scale;
  }

  setScale(scale: number): void {
    this.baseSim = this.nowSeconds();
    this.baseReal = performance.now();
    this.scale = scale;
  }

  /** Real milliseconds that `simSeconds` take at the current scale. */
  realMs(simSeconds: number): number {
    return (simSeconds * 1000) / this.scale;
  }
}
