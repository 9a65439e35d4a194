import { MAX_TIMER_MS } from './config-schema';

/** A pending timer; opaque outside this file. */
export interface TimerHandle {
  timeout: NodeJS.Timeout | undefined;
}

/**
 * Every timer the simulator starts goes through here, so close() can clear them all and jest exits cleanly.
 * Each knob is bounded to Node's longest timer, but sums of them are not (a ring plus seven dial gaps), so a longer
 * delay is waited out in steps: one setTimeout past 2^31 - 1 ms would fire at once.
 */
export class TimerSet {
  private readonly pending = new Set<TimerHandle>();
  private closed = false;
  /** Called after each timer's callback: every change a call goes through on its own is one (the state file's cue). */
  afterFire: (() => void) | undefined;

  /** Runs `fn` after `ms`; returns undefined (and never runs it) once the set is closed. */
  set(fn: () => void, ms: number): TimerHandle | undefined {
    if (this.closed) return undefined;
    const handle: TimerHandle = { timeout: undefined };
    const wait = (remaining: number): void => {
      const step = Math.min(remaining, MAX_TIMER_MS);
      handle.timeout = setTimeout(() => {
        if (remaining > step) {
          wait(remaining - step);
          return;
        }
        this.pending.delete(handle);
        fn();
        this.afterFire?.();
      }, step);
    };
    wait(Math.max(0, ms));
    this.pending.add(handle);
    return handle;
  }

  clear(handle: TimerHandle | undefined): void {
    if (!handle) return;
    clearTimeout(handle.timeout);
    this.pending.delete(handle);
  }

  /** Cancels every pending timer but keeps accepting new ones (used by /_sim/reset). */
  clearAll(): void {
    for (const handle of this.pending) clearTimeout(handle.timeout);
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
