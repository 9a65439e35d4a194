/**
 * `callBudget`: the account-wide pool of call permits (DESIGN.md, "Throttling"; invariant 1).
 *
 * One workflow per Hoiio account, with the fixed id `callBudgetWorkflowId(account)`, holds `capacity` permits (8 by
 * default) shared by every session on every worker. A holder takes one permit per call leg before dialing it and gives
 * it back when the leg has ended.
 *
 * Behaviour:
 * - **FIFO, strict.** Requests are served in arrival order. The head of the queue takes every free permit up to what it
 *   still needs (partial grants: no permit idles while someone waits); a later request, however small, waits until the
 *   head is fully served or cancelled. This is the simplest fair rule: a large request can never be starved by a stream
 *   of small ones.
 * - **Grants by signal.** A grant is a `permitsGranted` signal to the holder workflow. If that signal fails (the holder
 *   no longer exists or has closed) the permits of that grant are taken back at once (counted in `undelivered`) and
 *   the holder's waiting requests are dropped.
 * - **Leases.** Every granted permit carries a lease (`leaseMs` of its request, else `defaultLeaseMs`). `renewPermits`
 *   extends it; a permit whose lease runs out is reclaimed (counted in `reclaimed`) and granted to the next waiter.
 * - **Idempotent messages.** A request id seen before (a retried activity's duplicate signal, or a request cancelled
 *   before it arrived) is ignored; releasing or renewing unknown, already released or someone else's permit ids
 *   changes nothing.
 * - **Runs forever.** It continues-as-new, carrying capacity, holders, the waiting queue, counters and recent request
 *   ids, when the server suggests it or after `maxSignalsPerRun` signals; before that it stops granting, waits for
 *   every handler and every grant signal in flight to finish, and the next run grants at once.
 *
 * Deterministic only: no I/O, no Node built-ins; `Date.now()` is the workflow clock.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  budgetStateQuery,
  cancelPermitRequestSignal,
  permitsGrantedSignal,
  releasePermitsSignal,
  renewPermitsSignal,
  requestPermitsSignal,
  type BudgetState,
  type HeldPermit,
  type PermitCancellation,
  type PermitGrant,
  type PermitRelease,
  type PermitRenewal,
  type PermitRequest,
  type WaitingRequest,
} from './messages';

export const DEFAULT_CAPACITY = 8;
/** A holder is expected to renew well within this; a dead holder's permits come back after it. */
export const DEFAULT_LEASE_MS = 10 * 60_000;
/** Continue-as-new after this many signals in one run (the server caps a run at 10,000). */
export const DEFAULT_MAX_SIGNALS_PER_RUN = 2_000;
/** How many recent request ids are remembered to ignore duplicate requests. */
const RECENT_REQUEST_IDS = 1_000;

/** What one run hands to the next on continue-as-new. Plain JSON. */
export interface CallBudgetCarriedState {
  /** Last permit number handed out; permit ids are `<account>-<number>`. */
  permitCounter: number;
  held: HeldPermit[];
  waiting: WaitingRequest[];
  reclaimed: number;
  undelivered: number;
  granted: number;
  /** Most recent request ids (oldest first), so duplicates stay ignored across runs. */
  recentRequestIds: string[];
}

export interface CallBudgetInput {
  account: string;
  /** Permits in the pool; default 8 (Hoiio's active call limit per account). */
  capacity?: number;
  /** Lease of a permit whose request names none; default 10 minutes. */
  defaultLeaseMs?: number;
  /** Continue-as-new after this many signals in one run; default 2,000. Tests lower it. */
  maxSignalsPerRun?: number;
  /** Set by the previous run on continue-as-new. */
  state?: CallBudgetCarriedState;
}

class CallBudget {
  private readonly account: string;
  private readonly capacity: number;
  private readonly defaultLeaseMs: number;
  private readonly maxSignalsPerRun: number;
  private permitCounter: number;
  private readonly held = new Map<string, HeldPermit>();
  private waiting: WaitingRequest[];
  private reclaimed: number;
  private undelivered: number;
  private granted: number;
  private readonly recentIds: string[];
  private readonly recentIdSet: Set<string>;
  private signalsThisRun = 0;
  private deliveriesInFlight = 0;
  /** Set while preparing to continue-as-new: no new grants, so nothing is in flight when the state is handed over. */
  private draining = false;

  constructor(input: CallBudgetInput) {
    this.account = input.account;
    this.capacity = positiveInteger(input.capacity) ?? DEFAULT_CAPACITY;
    this.defaultLeaseMs = positiveInteger(input.defaultLeaseMs) ?? DEFAULT_LEASE_MS;
    this.maxSignalsPerRun = positiveInteger(input.maxSignalsPerRun) ?? DEFAULT_MAX_SIGNALS_PER_RUN;
    const state = input.state;
    this.permitCounter = state?.permitCounter ?? 0;
    for (const permit of state?.held ?? []) this.held.set(permit.permitId, permit);
    this.waiting = state?.waiting ?? [];
    this.reclaimed = state?.reclaimed ?? 0;
    this.undelivered = state?.undelivered ?? 0;
    this.granted = state?.granted ?? 0;
    this.recentIds = state?.recentRequestIds ?? [];
    this.recentIdSet = new Set(this.recentIds);
  }

  request(req: PermitRequest): void {
    this.signalsThisRun++;
    if (
      !isNonEmptyString(req?.requestId) ||
      !isNonEmptyString(req.holder) ||
      positiveInteger(req.count) === undefined
    ) {
      log.warn('callBudget: ignoring malformed permit request', { request: req });
      return;
    }
    if (this.recentIdSet.has(req.requestId)) {
      log.info('callBudget: ignoring a request id seen before', { requestId: req.requestId, holder: req.holder });
      return;
    }
    this.remember(req.requestId);
    this.waiting.push({
      requestId: req.requestId,
      holder: req.holder,
      // Never owe more than the pool holds: under strict FIFO a larger request would sit at the head holding every
      // permit, and block the whole account, forever.
      remaining: Math.min(req.count, this.capacity),
      requestedAt: Date.now(),
      leaseMs: positiveInteger(req.leaseMs) ?? this.defaultLeaseMs,
    });
    this.dispatch();
  }

  release(release: PermitRelease): void {
    this.signalsThisRun++;
    for (const permitId of idsOf(release)) {
      const permit = this.held.get(permitId);
      if (permit && permit.holder === release.holder) this.held.delete(permitId);
    }
    this.dispatch();
  }

  renew(renewal: PermitRenewal): void {
    this.signalsThisRun++;
    const now = Date.now();
    for (const permitId of idsOf(renewal)) {
      const permit = this.held.get(permitId);
      if (permit && permit.holder === renewal.holder) permit.leaseExpiresAt = now + permit.leaseMs;
    }
  }

  cancel(cancellation: PermitCancellation): void {
    this.signalsThisRun++;
    if (!isNonEmptyString(cancellation?.requestId)) return;
    // Remember the id even if the request has not arrived yet (it may still be on its way from an activity).
    this.remember(cancellation.requestId);
    this.waiting = this.waiting.filter(
      (w) => !(w.requestId === cancellation.requestId && w.holder === cancellation.holder),
    );
    this.dispatch();
  }

  /** Takes back every permit whose lease has run out, then grants what became free. */
  reclaimExpired(): void {
    const now = Date.now();
    for (const [permitId, permit] of this.held) {
      if (permit.leaseExpiresAt <= now) {
        this.held.delete(permitId);
        this.reclaimed++;
        log.warn('callBudget: reclaimed a permit whose lease ran out', { permitId, holder: permit.holder });
      }
    }
    this.dispatch();
  }

  /** Grants free permits to the waiting requests, strictly in order. */
  dispatch(): void {
    if (this.draining) return;
    const now = Date.now();
    while (this.held.size < this.capacity && this.waiting.length > 0) {
      const head = this.waiting[0]!;
      const count = Math.min(this.capacity - this.held.size, head.remaining);
      const permitIds: string[] = [];
      for (let i = 0; i < count; i++) {
        const permitId = `${this.account}-${++this.permitCounter}`;
        permitIds.push(permitId);
        this.held.set(permitId, {
          permitId,
          holder: head.holder,
          requestId: head.requestId,
          grantedAt: now,
          leaseExpiresAt: now + head.leaseMs,
          leaseMs: head.leaseMs,
        });
      }
      this.granted += count;
      head.remaining -= count;
      if (head.remaining === 0) this.waiting.shift();
      void this.deliver(head.holder, { requestId: head.requestId, permitIds });
    }
  }

  private async deliver(holder: string, grant: PermitGrant): Promise<void> {
    this.deliveriesInFlight++;
    try {
      await getExternalWorkflowHandle(holder).signal(permitsGrantedSignal, grant);
    } catch (error) {
      // The holder is gone: nobody will dial with these permits or release them.
      log.warn('callBudget: could not signal a grant; taking the permits back', {
        holder,
        requestId: grant.requestId,
        error: error instanceof Error ? error.message : String(error),
      });
      for (const permitId of grant.permitIds) {
        const permit = this.held.get(permitId);
        if (permit && permit.holder === holder) {
          this.held.delete(permitId);
          this.undelivered++;
        }
      }
      this.waiting = this.waiting.filter((w) => w.holder !== holder);
      this.dispatch();
    } finally {
      this.deliveriesInFlight--;
    }
  }

  /** The earliest lease expiry among held permits, if any. */
  earliestExpiry(): number | undefined {
    let earliest: number | undefined;
    for (const permit of this.held.values()) {
      if (earliest === undefined || permit.leaseExpiresAt < earliest) earliest = permit.leaseExpiresAt;
    }
    return earliest;
  }

  shouldContinueAsNew(): boolean {
    return this.signalsThisRun >= this.maxSignalsPerRun || workflowInfo().continueAsNewSuggested;
  }

  /** Stops granting and resolves once no handler and no grant signal is still running. */
  async drain(): Promise<void> {
    this.draining = true;
    await condition(() => allHandlersFinished() && this.deliveriesInFlight === 0);
  }

  state(): BudgetState {
    return {
      account: this.account,
      capacity: this.capacity,
      held: [...this.held.values()].map((p) => ({ ...p })),
      waiting: this.waiting.map((w) => ({ ...w })),
      reclaimed: this.reclaimed,
      undelivered: this.undelivered,
      granted: this.granted,
    };
  }

  carriedState(): CallBudgetCarriedState {
    const { held, waiting, reclaimed, undelivered, granted } = this.state();
    return {
      permitCounter: this.permitCounter,
      held,
      waiting,
      reclaimed,
      undelivered,
      granted,
      recentRequestIds: [...this.recentIds],
    };
  }

  private remember(requestId: string): void {
    if (this.recentIdSet.has(requestId)) return;
    this.recentIds.push(requestId);
    this.recentIdSet.add(requestId);
    while (this.recentIds.length > RECENT_REQUEST_IDS) this.recentIdSet.delete(this.recentIds.shift()!);
  }
}

export async function callBudget(input: CallBudgetInput): Promise<void> {
  const budget = new CallBudget(input);
  setHandler(requestPermitsSignal, (req) => budget.request(req));
  setHandler(releasePermitsSignal, (release) => budget.release(release));
  setHandler(renewPermitsSignal, (renewal) => budget.renew(renewal));
  setHandler(cancelPermitRequestSignal, (cancellation) => budget.cancel(cancellation));
  setHandler(budgetStateQuery, () => budget.state());

  // Leases may have run out while the previous run handed over; then grant whatever is free.
  budget.reclaimExpired();
  while (!budget.shouldContinueAsNew()) {
    // One timer for the earliest lease; re-armed only when a lease that ends sooner appears.
    const armedFor = budget.earliestExpiry();
    const wake = (): boolean => {
      if (budget.shouldContinueAsNew()) return true;
      const earliest = budget.earliestExpiry();
      return earliest !== undefined && (armedFor === undefined || earliest < armedFor);
    };
    if (armedFor === undefined) await condition(wake);
    else await condition(wake, Math.max(armedFor - Date.now(), 1));
    budget.reclaimExpired();
  }

  await budget.drain();
  await continueAsNew<typeof callBudget>({ ...input, state: budget.carriedState() });
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function idsOf(message: { permitIds?: unknown } | undefined): string[] {
  const ids = message?.permitIds;
  return Array.isArray(ids) ? ids.filter(isNonEmptyString) : [];
}
