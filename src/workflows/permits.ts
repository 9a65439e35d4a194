/**
 * The holder's side of the account call budget (see `call-budget.ts`): a workflow that dials takes one permit per
 * leg from a {@link PermitPool} and releases it when the leg has ended.
 *
 * @example A session that wants up to `n` permits and dials as they come:
 * ```ts
 * const pool = new PermitPool({ account: input.account ?? 'default', leaseMs: 5 * 60_000 });
 * await pool.request(queue.length);
 * while (queue.length > 0 && (pool.pending > 0 || pool.available > 0)) {
 *   const permits = await pool.take(queue.length); // whatever has arrived, at least one
 *   dialBatch(queue.splice(0, permits.length), permits); // each leg keeps its permit id
 * }
 * // when a leg ends:            await pool.release([leg.permitId]);
 * // every few minutes:          await pool.renewAll();
 * // when no more will be dialed: await pool.cancelPending();
 * ```
 */
import {
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { BudgetActivities } from '../activities/budget';
import {
  callBudgetWorkflowId,
  cancelPermitRequestSignal,
  permitsGrantedSignal,
  releasePermitsSignal,
  renewPermitsSignal,
  type PermitGrant,
} from './messages';

/** How many released permit ids are remembered, so that a duplicated grant cannot bring one back. */
const RECENTLY_RELEASED = 1_000;

/** A pool's state as plain JSON, to carry over the holder's continue-as-new. */
export interface PermitPoolState {
  /** Every permit granted and not yet released, taken or not. */
  held: string[];
  /** The part of `held` not yet handed out by `take`. */
  available: string[];
  /** Requests not yet fully granted. */
  pending: { requestId: string; remaining: number }[];
  /** Recently released permit ids (oldest first). */
  released: string[];
}

export interface PermitPoolOptions {
  /** The Hoiio account whose budget to use. */
  account: string;
  /** Lease of this pool's permits (renew within it); the budget's default (10 minutes) if unset. */
  leaseMs?: number;
  /** Pool size, used only if this pool's request is the one that starts the budget. */
  capacity?: number;
  /** The state of the previous run, from {@link PermitPool.state}. */
  state?: PermitPoolState;
  /** Options for the `requestPermits` activity; by default 30 s per attempt, retried without end. */
  activityOptions?: ActivityOptions;
}

/**
 * Permits of one holder workflow. Construct at most one per workflow: it registers the `permitsGranted` handler.
 * Permits are pooled: whatever request they answer, {@link take} hands out any that have arrived.
 *
 * Duplicate grants (same permit id) are ignored; grants for a request that was cancelled or is unknown are given
 * straight back to the budget.
 */
export class PermitPool {
  private readonly account: string;
  private readonly leaseMs?: number;
  private readonly capacity?: number;
  private readonly holder: string;
  private readonly budgetId: string;
  private readonly activities: BudgetActivities;
  private readonly heldIds: Set<string>;
  private availableIds: string[];
  private readonly pendingRequests: Map<string, number>;
  private readonly releasedIds: string[];
  private readonly releasedSet: Set<string>;

  constructor(options: PermitPoolOptions) {
    this.account = options.account;
    this.leaseMs = options.leaseMs;
    this.capacity = options.capacity;
    this.holder = workflowInfo().workflowId;
    this.budgetId = callBudgetWorkflowId(options.account);
    this.activities = proxyActivities<BudgetActivities>({
      startToCloseTimeout: '30 seconds',
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
      ...options.activityOptions,
    });
    const state = options.state;
    this.heldIds = new Set(state?.held ?? []);
    this.availableIds = [...(state?.available ?? [])];
    this.pendingRequests = new Map((state?.pending ?? []).map((p) => [p.requestId, p.remaining]));
    this.releasedIds = [...(state?.released ?? [])];
    this.releasedSet = new Set(this.releasedIds);
    setHandler(permitsGrantedSignal, (grant) => this.onGrant(grant));
  }

  /** Permits granted and not yet handed out by {@link take}. */
  get available(): number {
    return this.availableIds.length;
  }

  /** Permits requested and not yet granted. */
  get pending(): number {
    let total = 0;
    for (const remaining of this.pendingRequests.values()) total += remaining;
    return total;
  }

  /** Every permit id granted and not yet released (taken or not). */
  get held(): string[] {
    return [...this.heldIds];
  }

  /**
   * Asks the budget for `count` more permits (starting the budget if need be). Resolves, with the request id, once
   * the budget has the request; the permits arrive later, possibly over several grants: see {@link take}.
   */
  async request(count: number): Promise<string> {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`request(count): ${count} is not a positive integer`);
    const requestId = uuid4();
    // Registered before the activity runs: the grant may arrive before the activity returns.
    this.pendingRequests.set(requestId, count);
    try {
      await this.activities.requestPermits({
        account: this.account,
        capacity: this.capacity,
        requestId,
        holder: this.holder,
        count,
        leaseMs: this.leaseMs,
      });
    } catch (error) {
      this.pendingRequests.delete(requestId);
      throw error;
    }
    return requestId;
  }

  /**
   * Waits until at least one permit has arrived, then hands out up to `max` of them (each only once). Resolves with
   * `[]` at once if none is available and none is pending, so a loop over `take` cannot hang.
   */
  async take(max = Number.POSITIVE_INFINITY): Promise<string[]> {
    await condition(() => this.availableIds.length > 0 || this.pending === 0);
    return this.takeNow(max);
  }

  /** Hands out up to `max` permits that have already arrived, without waiting. */
  takeNow(max = Number.POSITIVE_INFINITY): string[] {
    const count = Math.max(0, Math.min(max, this.availableIds.length));
    return this.availableIds.splice(0, count);
  }

  /**
   * Requests `count` permits and waits for all of them. Returns fewer only if {@link cancelPending} is called
   * meanwhile. Another request's permits may be among them: permits are pooled.
   */
  async acquire(count: number): Promise<string[]> {
    await this.request(count);
    const permits: string[] = [];
    while (permits.length < count) {
      const more = await this.take(count - permits.length);
      if (more.length === 0) break;
      permits.push(...more);
    }
    return permits;
  }

  /** Gives permits back. Ids this pool does not hold (unknown, already released) are skipped. */
  async release(permitIds: readonly string[]): Promise<void> {
    const ids = permitIds.filter((id) => this.heldIds.has(id));
    if (ids.length === 0) return;
    for (const id of ids) {
      this.heldIds.delete(id);
      this.rememberReleased(id);
    }
    this.availableIds = this.availableIds.filter((id) => this.heldIds.has(id));
    await this.signalBudget('release', () =>
      getExternalWorkflowHandle(this.budgetId).signal(releasePermitsSignal, { holder: this.holder, permitIds: ids }),
    );
  }

  /** Extends the lease of every held permit. Call well within the lease, while legs are still active. */
  async renewAll(): Promise<void> {
    if (this.heldIds.size === 0) return;
    const permitIds = this.held;
    await this.signalBudget('renew', () =>
      getExternalWorkflowHandle(this.budgetId).signal(renewPermitsSignal, { holder: this.holder, permitIds }),
    );
  }

  /** Withdraws what is requested and not yet granted. Permits already granted stay held until released. */
  async cancelPending(): Promise<void> {
    const requestIds = [...this.pendingRequests.keys()];
    this.pendingRequests.clear();
    await Promise.all(
      requestIds.map((requestId) =>
        this.signalBudget('cancel', () =>
          getExternalWorkflowHandle(this.budgetId).signal(cancelPermitRequestSignal, {
            holder: this.holder,
            requestId,
          }),
        ),
      ),
    );
  }

  /** The pool as plain JSON, for the holder's continue-as-new input. */
  state(): PermitPoolState {
    return {
      held: this.held,
      available: [...this.availableIds],
      pending: [...this.pendingRequests].map(([requestId, remaining]) => ({ requestId, remaining })),
      released: [...this.releasedIds],
    };
  }

  private onGrant(grant: PermitGrant): void {
    const fresh = (grant?.permitIds ?? []).filter(
      (id) => typeof id === 'string' && !this.heldIds.has(id) && !this.releasedSet.has(id),
    );
    if (fresh.length === 0) return; // a duplicate
    const remaining = this.pendingRequests.get(grant.requestId) ?? 0;
    const wanted = fresh.slice(0, remaining);
    const unwanted = fresh.slice(remaining);
    if (remaining - wanted.length > 0) this.pendingRequests.set(grant.requestId, remaining - wanted.length);
    else this.pendingRequests.delete(grant.requestId);
    for (const id of wanted) {
      this.heldIds.add(id);
      this.availableIds.push(id);
    }
    if (unwanted.length > 0) {
      // Granted for a request withdrawn (or never made here): hand them straight back.
      for (const id of unwanted) this.heldIds.add(id);
      void this.release(unwanted);
    }
  }

  private async signalBudget(what: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      // The budget is not running: there is nothing to give back or to extend.
      log.warn(`PermitPool: could not ${what} at the call budget`, {
        budget: this.budgetId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private rememberReleased(id: string): void {
    this.releasedIds.push(id);
    this.releasedSet.add(id);
    while (this.releasedIds.length > RECENTLY_RELEASED) this.releasedSet.delete(this.releasedIds.shift()!);
  }
}
