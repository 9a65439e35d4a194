/**
 * Per-app, per-API request limits (`error_rate_limit_exceeded`). Hoiio documents neither the window type nor a
 * burst, so this is the strictest reading: a sliding window of real time (not simulated time: limits are about
 * request traffic, not call life). Only admitted requests count, so a throttled client is not locked out forever.
 */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Admits and records the request, or returns false when `limit` requests already fell inside the window. */
  admit(appId: string, api: string, limit: number | null, windowMs: number): boolean {
    if (limit === null) return true;
    const key = `${appId}\u0000${api}`;
    const now = this.now();
    const recent = (this.windows.get(key) ?? []).filter((at) => now - at < windowMs);
    if (recent.length >= limit) {
      this.windows.set(key, recent);
      return false;
    }
    recent.push(now);
    this.windows.set(key, recent);
    return true;
  }

  reset(): void {
    this.windows.clear();
  }
}
