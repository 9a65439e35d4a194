/**
 * The holder's side of the call budget (see `call-budget.ts`): a workflow that dials takes one permit per leg from a
 * {@link PermitPool}, binds it to the leg once placed, and releases it when the leg has ended.
 *
 * @example A holder that wants up to `n` permits and dials as they come (the call-leg engine does this in
 * `call-legs/dial-permits.ts`):
 * ```ts
 * const { budgetKey } = await accounts.resolveAccount({ account }); // the account's Hoiio application id
 * const pool = new PermitPool({ account, budgetKey, leaseMs: 15 * 60_000 });
 * await pool.request(queue.length); // or request(queue.length, PAGE_PRIORITY) to be served before routine requests
 * while (queue.length > 0 && (pool.pending > 0 || pool.available > 0)) {
 *   const permits = await pool.take(queue.length); // whatever has arrived, at least one
 *   dialBatch(queue.splice(0, permits.length), permits); // each leg keeps its permit id
 * }
 * // when a leg is placed:        pool.bind(permitId, leg.txnRef);
 * // when a leg ends:             await pool.release([leg.permitId]);
 * // every few minutes:           await pool.renewAll();
 * // when no more will be dialed: await pool.close(); // before the run ends or continues as new
 * ```
 *
 * The budget must always know what this pool has, even after it was terminated or reset. So every renewal is a full
 * report (held permits, the leg of each, requests still owed), the pool answers a budget's `reportPermits` with one,
 * and a budget whose holder is gone asks it `permitHoldings` (answered from history) for the legs it bound since its
 * last report; how reports travel is `permit-reports.ts`.
 */
import {
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type * as z from 'zod/mini';
import type { BudgetActivities } from '../../activities/budget';
import { describePayloadIssues, parsePayload } from '../../domain/input-text';
import { isPriority, PRIORITY_RULE } from '../../domain/permit-priority';
import { DEFAULT_CAPACITY } from '../budget/options';
import { RecentlyReleased, type PermitPoolOptions, type PermitPoolState } from './permit-pool-state';
import { BudgetReports } from './permit-reports';
import {
  callBudgetWorkflowId,
  cancelPermitRequestSignal,
  permitGrantSchema,
  permitHoldingsQuery,
  permitsGrantedSignal,
  recallPermitsSchema,
  recallPermitsSignal,
  releasePermitsSignal,
  renewPermitsSignal,
  reportPermitsRequestSchema,
  reportPermitsSignal,
  type PermitBinding,
  type PermitRenewal,
} from '../messages';

export type { PermitPoolOptions, PermitPoolState } from './permit-pool-state';

/**
 * Permit handoff (docs/design.md): a permit whose call ended may serve its holder's next call, and binds are no longer
 * signalled one by one. Patched in, so that runs recorded before replay as they ran.
 */
const PERMIT_HANDOFF_PATCH = 'permit-handoff';
/** A run with this marker waits for its signals to the budget before it ends ({@link PermitPool.settle}). */
const SETTLE_PATCH = 'settle-budget-signals';

/**
 * Permits of one holder workflow. Construct at most one per workflow: it registers the `permitsGranted` and
 * `reportPermits` handlers. Permits are pooled: whatever request they answer, {@link take} hands out any that have
 * arrived.
 *
 * Duplicate grants (same permit id) are ignored; grants for a request that was cancelled or is unknown are given
 * straight back to the budget; malformed messages are dropped and counted ({@link malformed}).
 */
export class PermitPool {
  private readonly holder: string;
  private readonly budgetId: string;
  private readonly activities: BudgetActivities;
  private readonly heldIds: Set<string>;
  private availableIds: string[];
  /** Requests not yet fully granted: what each is still owed, and its priority if it named one. */
  private readonly pendingRequests: Map<string, { remaining: number; priority?: number }>;
  private readonly released: RecentlyReleased;
  private readonly bindings: Map<string, string>;
  /** Held permits the budget asked back (see {@link reusable}). */
  private readonly recalled: Set<string>;
  private malformedCount: number;
  private readonly reports: BudgetReports;

  constructor(private readonly options: PermitPoolOptions) {
    this.holder = workflowInfo().workflowId;
    this.budgetId = callBudgetWorkflowId(options.budgetKey);
    this.activities = proxyActivities<BudgetActivities>({
      startToCloseTimeout: '30 seconds',
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
      ...options.activityOptions,
    });
    const state = options.state;
    this.heldIds = new Set(state?.held ?? []);
    this.availableIds = [...(state?.available ?? [])];
    this.pendingRequests = new Map(
      (state?.pending ?? []).map(({ requestId, remaining, priority }) => [
        requestId,
        { remaining, ...(priority !== undefined ? { priority } : {}) },
      ]),
    );
    this.released = new RecentlyReleased(state?.released ?? []);
    this.bindings = new Map(
      (state?.bindings ?? []).filter((b) => this.heldIds.has(b.permitId)).map((b) => [b.permitId, b.txnRef]),
    );
    this.recalled = new Set((state?.recalled ?? []).filter((id) => this.heldIds.has(id)));
    this.malformedCount = state?.malformed ?? 0;
    this.reports = new BudgetReports({
      account: options.account,
      budgetKey: options.budgetKey,
      capacity: options.capacity,
      budgetId: this.budgetId,
      activities: this.activities,
      describe: () => this.buildReport(),
      isEmpty: () => this.heldIds.size === 0 && this.pending === 0,
    });
    setHandler(permitsGrantedSignal, (grant: unknown) => this.onGrant(grant));
    setHandler(reportPermitsSignal, (request: unknown) => this.onReportRequest(request));
    setHandler(recallPermitsSignal, (request: unknown) => this.onRecall(request));
    setHandler(permitHoldingsQuery, () => this.buildReport());
    // The previous run handed over before its last report (a bind's, say) was surely delivered.
    if (state?.reportDue) void this.reports.report().catch(() => undefined);
  }

  /** Permits granted and not yet handed out by {@link take}. */
  get available(): number {
    return this.availableIds.length;
  }

  /** Permits requested and not yet granted. */
  get pending(): number {
    let total = 0;
    for (const { remaining } of this.pendingRequests.values()) total += remaining;
    return total;
  }

  /** Every permit id granted and not yet released (taken or not). */
  get held(): string[] {
    return [...this.heldIds];
  }

  /** Malformed `permitsGranted` / `reportPermits` messages dropped. */
  get malformed(): number {
    return this.malformedCount;
  }

  /**
   * Asks the budget for `count` more permits, at most its capacity (starting the budget if need be). Resolves, with the request id, once
   * the budget has the request; the permits arrive later, possibly over several grants: see {@link take}.
   *
   * `priority` (1 to 5, lower served first; `src/domain/permit-priority.ts`) orders the request among those waiting
   * at the budget; without one it is routine (3), and the request carries none, as requests did before priorities.
   * It never takes a permit back from anyone: an urgent request waits for the next permit that comes back.
   */
  async request(count: number, priority?: number): Promise<string> {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`request(count): ${count} is not a positive integer`);
    if (priority !== undefined && !isPriority(priority))
      throw new RangeError(`request(count, priority): priority ${String(priority)} ${PRIORITY_RULE}`);
    const requestId = uuid4();
    // The budget never owes one request more than its capacity (a larger one would block the account at the head of
    // its queue): expect no more, or a caller asking for more would wait forever for permits that never come.
    const owed = Math.min(count, this.options.capacity ?? DEFAULT_CAPACITY);
    // Registered before the activity runs: the grant may arrive before the activity returns.
    this.pendingRequests.set(requestId, { remaining: owed, ...(priority !== undefined ? { priority } : {}) });
    try {
      await this.activities.requestPermits({
        account: this.options.account,
        budgetKey: this.options.budgetKey,
        capacity: this.options.capacity,
        requestId,
        holder: this.holder,
        count: owed,
        leaseMs: this.options.leaseMs,
        ...(priority !== undefined ? { priority } : {}),
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

  /**
   * Records that `permitId` covers the leg `txnRef`: if this holder is gone when the lease runs out, the budget hangs
   * that leg up before it reuses the permit. Call it as soon as a dialed leg is adopted. A permit this pool does not
   * hold is ignored.
   *
   * The budget learns the binding from the next renewal, or, if the holder is gone before that, by asking it with
   * `permitHoldings` (answered from its history). Runs from before permit handoff told the budget of every bind at
   * once, a signal and a budget task per dial; they replay so.
   */
  bind(permitId: string, txnRef: string): void {
    if (!this.heldIds.has(permitId)) {
      log.warn('PermitPool: bind of a permit this pool does not hold; ignored', { permitId, txnRef });
      return;
    }
    if (this.bindings.get(permitId) === txnRef) return;
    this.bindings.set(permitId, txnRef);
    if (patched(PERMIT_HANDOFF_PATCH)) return;
    // Binds of one dial batch (one workflow task) share one report.
    void this.reports.report().catch(() => undefined);
  }

  /**
   * Whether a held permit may serve this holder's next call once its current one has ended (permit handoff,
   * docs/design.md): not once the budget has recalled it for a more urgent request, nor in a run from before handoff.
   */
  reusable(permitId: string): boolean {
    return this.heldIds.has(permitId) && !this.recalled.has(permitId) && patched(PERMIT_HANDOFF_PATCH);
  }

  /**
   * Puts up to `max` held permits whose calls have ended back on hand for this holder's next dial, instead of giving
   * them back (only those {@link reusable}). Returns those it put back; the binding to the ended leg stays until the
   * next bind.
   */
  recycle(permitIds: readonly string[], max: number): string[] {
    const reused = permitIds.filter((id) => this.reusable(id) && !this.availableIds.includes(id)).slice(0, max);
    this.availableIds.push(...reused);
    return reused;
  }

  /** Gives permits back. Ids this pool does not hold (unknown, already released) are skipped. */
  async release(permitIds: readonly string[]): Promise<void> {
    const ids = permitIds.filter((id) => this.heldIds.has(id));
    if (ids.length === 0) return;
    for (const id of ids) {
      this.heldIds.delete(id);
      this.bindings.delete(id);
      this.recalled.delete(id);
      this.released.add(id);
    }
    this.availableIds = this.availableIds.filter((id) => this.heldIds.has(id));
    const delivered = await this.reports.signal('release', () =>
      getExternalWorkflowHandle(this.budgetId).signal(releasePermitsSignal, { holder: this.holder, permitIds: ids }),
    );
    // The budget is not running (terminated, reset): what is left must reach whichever budget runs next.
    if (delivered === false) await this.reports.report();
  }

  /**
   * Extends the lease of every held permit, and tells the budget everything this pool has (see the module doc). Call
   * well within the lease, while legs are still active; it also re-announces waiting requests to a budget that was
   * reset, so call it while waiting too.
   */
  async renewAll(): Promise<void> {
    if (this.heldIds.size === 0 && this.pending === 0) return;
    await this.reports.report();
  }

  /** Withdraws what is requested and not yet granted. Permits already granted stay held until released. */
  async cancelPending(): Promise<void> {
    const requestIds = [...this.pendingRequests.keys()];
    this.pendingRequests.clear();
    const outcomes = await Promise.all(
      requestIds.map((requestId) =>
        this.reports.signal('cancel', () =>
          getExternalWorkflowHandle(this.budgetId).signal(cancelPermitRequestSignal, {
            holder: this.holder,
            requestId,
          }),
        ),
      ),
    );
    if (outcomes.includes(false)) await this.reports.report();
  }

  /**
   * Waits until every signal this pool sent has reached the budget (or failed). A holder must before it completes or
   * continues as new: the server drops a signal still on its way when its sender's run closes, so a release sent in
   * the run's last workflow task (a grant that crossed the cancel of its request is handed straight back) would never
   * arrive, and the permit would stay held at the budget until its lease ran out, a line lost meanwhile. Runs from
   * before this wait complete as they did.
   */
  async settle(): Promise<void> {
    if (this.reports.idle || !patched(SETTLE_PATCH)) return;
    await condition(() => this.reports.idle);
  }

  /** No more dialing: withdraws what is asked for, gives every permit back, and waits until the budget has it all. */
  async close(): Promise<void> {
    await this.cancelPending();
    await this.release(this.held);
    await this.settle();
  }

  /** The pool as plain JSON, for the holder's continue-as-new input. */
  state(): PermitPoolState {
    return {
      held: this.held,
      available: [...this.availableIds],
      pending: this.pendingList(),
      released: this.released.list(),
      bindings: this.bindingList(),
      malformed: this.malformedCount,
      ...(this.reports.due ? { reportDue: true } : {}),
      ...(this.recalled.size > 0 ? { recalled: [...this.recalled] } : {}),
    };
  }

  private onGrant(payload: unknown): void {
    const grant = this.accept(permitGrantSchema, payload, 'permitsGranted');
    if (!grant) return;
    const fresh = grant.permitIds.filter((id) => !this.heldIds.has(id) && !this.released.has(id));
    if (fresh.length === 0) return; // a duplicate
    const pending = this.pendingRequests.get(grant.requestId);
    const remaining = pending?.remaining ?? 0;
    const wanted = fresh.slice(0, remaining);
    const unwanted = fresh.slice(remaining);
    if (pending && remaining - wanted.length > 0) pending.remaining = remaining - wanted.length;
    else this.pendingRequests.delete(grant.requestId);
    for (const id of wanted) {
      this.heldIds.add(id);
      this.availableIds.push(id);
    }
    if (unwanted.length > 0) {
      // Granted for a request withdrawn (or never made here): hand them straight back.
      for (const id of unwanted) this.heldIds.add(id);
      void this.release(unwanted).catch(() => undefined);
    }
  }

  /** Our budget wants the permits held now back as their calls end (a more urgent request waits). */
  private onRecall(payload: unknown): void {
    const recall = this.accept(recallPermitsSchema, payload, 'recallPermits');
    if (!recall || recall.budgetKey !== this.options.budgetKey) return;
    // Only handoff stops: a permit on hand is still dialed with, and none is ever taken from a call.
    for (const id of this.heldIds) this.recalled.add(id);
  }

  /** A budget asks for this pool's report: ours gets it; another budget is told this holder is not its own. */
  private onReportRequest(payload: unknown): void {
    const request = this.accept(reportPermitsRequestSchema, payload, 'reportPermits');
    if (!request) return;
    if (request.budgetKey === this.options.budgetKey) {
      void this.reports.report().catch(() => undefined);
      return;
    }
    const notYours: PermitRenewal = { holder: this.holder, budgetKey: this.options.budgetKey, permitIds: [] };
    void this.reports
      .signal('answer', () =>
        getExternalWorkflowHandle(callBudgetWorkflowId(request.budgetKey)).signal(renewPermitsSignal, notYours),
      )
      .catch(() => undefined);
  }

  private buildReport(): PermitRenewal {
    return {
      holder: this.holder,
      budgetKey: this.options.budgetKey,
      permitIds: this.held,
      bindings: this.bindingList(),
      pending: this.pendingList().filter(({ remaining }) => remaining > 0),
      ...(this.options.leaseMs !== undefined ? { leaseMs: this.options.leaseMs } : {}),
      holderType: workflowInfo().workflowType,
    };
  }

  /** Each request still owed something; a priority only where the request named one (older budgets read none). */
  private pendingList(): PermitPoolState['pending'] {
    return [...this.pendingRequests].map(([requestId, { remaining, priority }]) => ({
      requestId,
      remaining,
      ...(priority !== undefined ? { priority } : {}),
    }));
  }

  private bindingList(): PermitBinding[] {
    return [...this.bindings].map(([permitId, txnRef]) => ({ permitId, txnRef }));
  }

  private accept<S extends z.ZodMiniType>(schema: S, payload: unknown, signal: string): z.infer<S> | undefined {
    const parsed = parsePayload(schema, payload);
    if (parsed.success) return parsed.data;
    this.malformedCount += 1;
    log.warn('PermitPool: dropped a malformed signal', { signal, issues: describePayloadIssues(parsed.error) });
    return undefined;
  }
}
