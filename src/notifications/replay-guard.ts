/**
 * Which notifications were already signalled, so that a captured one replayed later is acknowledged but not
 * signalled twice. Bounded (least recently seen forgotten first) because every txn_ref ever seen would grow without
 * end; what falls out is still bounded in time by the receiver's age window on `date`. Per process: receivers
 * behind one public URL do not share it.
 */
export class ReplayGuard<Outcome> {
  readonly #delivered = new Map<string, true>();
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`replayCacheSize must be a whole number >= 1, got ${capacity}`);
    }
  }

  /**
   * Runs `deliver` unless `key` was already delivered. A copy arriving while the first is still being delivered
   * waits for it: two copies sent at once (a duplicating sender) must not both get through the check before either
   * is recorded. If the first fails, the copy tries for itself, so a failed attempt never hides a good one.
   */
  async once(
    key: string,
    deliver: () => Promise<Outcome>,
    succeeded: (outcome: Outcome) => boolean,
  ): Promise<{ duplicate: true } | { duplicate: false; outcome: Outcome }> {
    for (;;) {
      if (this.#delivered.has(key)) {
        this.#remember(key);
        return { duplicate: true };
      }
      const pending = this.#inFlight.get(key);
      if (pending === undefined) break;
      await pending;
    }
    const attempt = deliver();
    const settled = attempt.then(
      (outcome) => {
        if (succeeded(outcome)) this.#remember(key);
      },
      () => undefined,
    );
    const tracked = settled.finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, tracked);
    const outcome = await attempt;
    await tracked;
    return { duplicate: false, outcome };
  }

  get size(): number {
    return this.#delivered.size;
  }

  #remember(key: string): void {
    // A Map iterates in insertion order: deleting and re-adding makes the key the most recent.
    this.#delivered.delete(key);
    this.#delivered.set(key, true);
    if (this.#delivered.size > this.capacity) {
      const oldest = this.#delivered.keys().next().value;
      if (oldest !== undefined) this.#delivered.delete(oldest);
    }
  }
}
