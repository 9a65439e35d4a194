/**
 * The permits of a caller that dials: one per leg, taken from a {@link PermitPool} for a dial, bound to the leg it
 * placed, and given back once that leg has ended or the number was not placed (docs/design.md, invariant 1).
 */
import { condition } from '@temporalio/workflow';
import { permitMoves, releasablePermits } from '../../domain/call-leg-rules';
import { waitFor } from './background';
import { PermitPool, type PermitPoolState } from '../permits/permit-pool';

/** Permit leases are renewed at a third of their length, so one missed renewal costs nothing. */
const PERMIT_LEASE_MS = 15 * 60_000;
const RENEW_EVERY_MS = PERMIT_LEASE_MS / 3;

export class DialPermits {
  private readonly pool: PermitPool;
  /** Permits handed out by the pool for dials, until given back. */
  private readonly taken: Set<string>;
  /** Permits of the dial in flight: not yet tied to legs, and not to be released under it. */
  private readonly dialing = new Set<string>();

  /** The priority of every request this caller makes at the budget; none (routine, 3) if unset. */
  private readonly priority: number | undefined;

  constructor(
    options: { account: string; budgetKey: string; state?: PermitPoolState; priority?: number },
    /** The permits of legs still active: kept until those legs end. */
    private readonly covering: () => string[],
    /** How many more permits the caller would dial with right now: that many freed ones are kept for it. */
    private readonly reuseWanted: () => number = () => 0,
  ) {
    const { priority, ...poolOptions } = options;
    this.priority = priority;
    this.pool = new PermitPool({ ...poolOptions, leaseMs: PERMIT_LEASE_MS });
    const available = options.state?.available ?? [];
    this.taken = new Set(this.pool.held.filter((id) => !available.includes(id)));
  }

  /** Permits granted and not yet used for a dial. */
  get available(): number {
    return this.pool.available;
  }

  /** Held (granted, not given back), on hand for a dial, and asked for but not yet granted. */
  counts(): { held: number; available: number; owed: number } {
    return { held: this.pool.held.length, available: this.pool.available, owed: this.pool.pending };
  }

  /**
   * Asks for, withdraws or gives back permits so that `wanted` are on hand; `undefined` leaves them as they are. What
   * goes to the budget goes out together, in one workflow task.
   */
  keepFor(wanted: number | undefined): Promise<unknown> {
    this.handOff();
    const work: Promise<unknown>[] = [];
    if (wanted !== undefined) {
      const moves = permitMoves(wanted, this.pool);
      if (moves.request > 0) work.push(this.pool.request(moves.request, this.priority));
      else if (moves.cancelPending) work.push(this.pool.cancelPending());
      if (moves.giveBack > 0) work.push(this.pool.release(this.pool.takeNow(moves.giveBack)));
    }
    return Promise.all(work);
  }

  /** Up to `count` permits on hand, held for a dial until {@link dialDone}. */
  takeForDial(count: number): string[] {
    const permits = this.pool.takeNow(count);
    for (const id of permits) {
      this.taken.add(id);
      this.dialing.add(id);
    }
    return permits;
  }

  /** The dial's legs are adopted (or it failed): its permits not bound to a leg may go back. */
  dialDone(permits: readonly string[]): void {
    for (const id of permits) this.dialing.delete(id);
  }

  /** The budget learns which leg each permit covers, so it can hang up a holder's legs if the holder is gone. */
  bind(permitId: string, txnRef: string): void {
    this.pool.bind(permitId, txnRef);
  }

  /** Permits taken and no longer needed. */
  releasable(): string[] {
    if (this.taken.size === 0) return [];
    return releasablePermits(this.taken, this.dialing, this.covering());
  }

  /**
   * Keeps as many freed permits as the caller can dial with at once for its next dial (permit handoff,
   * docs/design.md): no round trip through the budget between a call's end and the next dial. Synchronous, so that
   * whichever of the caller's loop and the release loop looks first, a freed permit is handed off before it is given
   * back or more are asked for.
   */
  handOff(): void {
    const ids = this.releasable();
    const wanted = ids.length > 0 ? this.reuseWanted() : 0;
    if (wanted <= 0) return;
    for (const id of this.pool.recycle(ids, wanted)) this.taken.delete(id);
  }

  /** Gives back the permits no longer needed, once the caller's next dial has had those it can use. */
  async releaseFinished(): Promise<void> {
    this.handOff();
    const ids = this.releasable();
    for (const id of ids) this.taken.delete(id);
    await this.pool.release(ids);
  }

  /** A background loop: gives permits back the moment their legs are known to have ended, however that is known. */
  async releaseAsLegsEnd(stopping: () => boolean): Promise<void> {
    for (;;) {
      await condition(() => stopping() || this.releasable().length > 0);
      if (stopping()) return;
      await this.releaseFinished();
    }
  }

  /** A background loop: renews every lease, well within its length. */
  async renewLeases(stopping: () => boolean): Promise<void> {
    for (;;) {
      await waitFor(stopping, Date.now() + RENEW_EVERY_MS);
      if (stopping()) return;
      await this.pool.renewAll();
    }
  }

  cancelPending(): Promise<void> {
    return this.pool.cancelPending();
  }

  /** Withdraws what is asked for and gives every permit back, all of it delivered before the run may end. */
  async giveAllBack(): Promise<void> {
    await this.pool.close();
  }

  /** Gives back the permits no longer needed and waits until the budget has every signal: before a continue-as-new. */
  async releaseForHandover(): Promise<void> {
    await this.releaseFinished();
    await this.pool.settle();
  }

  state(): PermitPoolState {
    return this.pool.state();
  }
}
