/**
 * `callBudget`: the pool of call permits of one Hoiio application (DESIGN.md, "Throttling"; invariant 1).
 *
 * One workflow per Hoiio application, with the fixed id `callBudgetWorkflowId(budgetKey)` where `budgetKey` is the
 * application id (Hoiio's limit is per application, so every account name that points at one application shares one
 * budget), holds `capacity` permits (8 by default) shared by every session on every worker. A holder takes one permit
 * per call leg before dialing it, binds it to the leg once placed, and gives it back when the leg has ended. The
 * budget keeps the account name it was started with: its credentials hang up the legs of holders that are gone.
 *
 * Behaviour:
 * - **FIFO, strict.** Requests are served in arrival order. The head of the queue takes every free permit up to what it
 *   still needs (partial grants: no permit idles while someone waits); a later request, however small, waits until the
 *   head is fully served or cancelled. This is the simplest fair rule: a large request can never be starved by a stream
 *   of small ones.
 * - **Grants by signal.** A grant is a `permitsGranted` signal to the holder workflow. If that signal fails (the holder
 *   no longer exists or has closed) the permits of that grant are taken back at once (counted in `undelivered`) and
 *   the holder's waiting requests are dropped.
 * - **Permit ids are never reused**, not even by a budget that was terminated and started afresh: an id is
 *   `<budgetKey>-<first run id of this chain of runs>-<number>`.
 * - **Leases, and holders that are slow rather than dead.** Every granted permit carries a lease (`leaseMs` of its
 *   request, else `defaultLeaseMs`); a holder's report (`renewPermits`) extends it. When a lease runs out the budget
 *   first asks the server whether the holder workflow still runs (`describeBudgetHolder`): a running holder keeps its
 *   permits (the lease is extended and the extension logged and counted in `leaseExtensions`), since after a worker
 *   outage a holder's legs are still up whether or not it could renew. A holder that is gone (terminated, failed, timed
 *   out, finished, not found) gets its bound legs hung up (`hangupLeg`, with the budget's account) and only then are its
 *   permits reused (counted in `reclaimed`, the legs in `hungUp`). A hangup that fails keeps the permit held and is
 *   tried again a minute later: a permit whose leg may still be up is never handed out.
 * - **Holders report what they have.** A report lists every permit the holder holds, the leg each is bound to, and its
 *   requests still owed; it renews the leases. A permit the budget does not know (and has not seen released or taken
 *   back) is adopted: it counts against capacity, and nothing is granted while the adopted and granted permits fill
 *   the pool. A pending request id the budget does not remember is queued. A release of a permit the budget does not
 *   know makes it ask that holder for a report (`reportPermits`).
 * - **Reset or terminated.** A run that starts without carried state does not know whether an earlier budget was
 *   terminated under live holders, so before it grants anything it asks every running workflow of the holder types it
 *   was started by (`promptBudgetHolders`, through visibility) to report, and waits for their reports (at most
 *   `recoveryTimeoutMs`, 30 s by default; one that closed meanwhile is not waited for). Holders also report by themselves when a signal to the budget fails (through
 *   `announcePermits`, which starts the budget), and every renewal is a full report: so a budget that was reset has
 *   everyone's permits and requests back within seconds.
 * - **Malformed messages** (any client of the namespace can send anything) are parsed with the schemas of
 *   `messages.ts`, dropped, logged and counted in `malformed`; a handler never throws.
 * - **Idempotent messages.** A request id seen before (a retried activity's duplicate signal, or a request cancelled
 *   before it arrived) is ignored; releasing or renewing already released or someone else's permit ids changes
 *   nothing.
 * - **Runs forever.** It continues-as-new, carrying capacity, holders (with their legs), the waiting queue, counters,
 *   recent request ids and retired permit ids, when the server suggests it or after `maxSignalsPerRun` signals; before
 *   that it stops granting, waits for every handler, grant signal, holder check and hangup in flight to finish, and the
 *   next run grants at once.
 *
 * Deterministic only: no I/O, no Node built-ins; `Date.now()` is the workflow clock.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { BudgetActivities, HolderStatus } from '../activities/budget';
import type { ConferenceActivities } from '../activities/conference';
import {
  budgetStateQuery,
  cancelPermitRequestSignal,
  describeMessageIssues,
  permitCancellationSchema,
  permitReleaseSchema,
  permitRenewalSchema,
  permitRequestSchema,
  permitsGrantedSignal,
  releasePermitsSignal,
  renewPermitsSignal,
  reportPermitsSignal,
  requestPermitsSignal,
  type BudgetState,
  type HeldPermit,
  type PermitGrant,
  type WaitingRequest,
} from './messages';

export const DEFAULT_CAPACITY = 8;
/** A holder is expected to renew well within this; after it the budget checks whether the holder still runs. */
export const DEFAULT_LEASE_MS = 10 * 60_000;
/**
 * Continue-as-new after this many signals in one run (the server caps a run at 10,000). About 2 events a signal: a run
 * hands over well before the 4,096 events at which the server suggests it, past which every workflow task was seen
 * to take seconds.
 */
export const DEFAULT_MAX_SIGNALS_PER_RUN = 1_000;
/** How long a fresh run waits for the reports of the holders it asked before it grants anyway. */
export const DEFAULT_RECOVERY_TIMEOUT_MS = 30_000;
/** How soon a holder whose state could not be read, or whose leg could not be hung up, is looked at again. */
const RECHECK_MS = 60_000;
/** While recovering, how often the holders that have not reported yet are checked for having closed meanwhile. */
const RECOVERY_RECHECK_MS = 3_000;
/** At most this many of them are checked each time. */
const MAX_STRAGGLER_CHECKS = 50;
/** How many recent request ids are remembered to ignore duplicate requests. */
const RECENT_REQUEST_IDS = 1_000;
/** How many released or taken-back permit ids are remembered, so that a late report cannot bring one back. */
const RETIRED_PERMIT_IDS = 2_000;
/** Holder workflow types remembered for the visibility prompt after a reset. */
const MAX_HOLDER_TYPES = 20;

/** What one run hands to the next on continue-as-new. Plain JSON. */
export interface CallBudgetCarriedState {
  /** Last permit number handed out in this chain of runs. */
  permitCounter: number;
  held: HeldPermit[];
  waiting: WaitingRequest[];
  reclaimed: number;
  undelivered: number;
  granted: number;
  leaseExtensions?: number;
  hungUp?: number;
  adopted?: number;
  malformed?: number;
  /** Most recent request ids (oldest first), so duplicates stay ignored across runs. */
  recentRequestIds: string[];
  /** Most recently released or taken-back permit ids (oldest first). */
  retiredPermitIds?: string[];
  /** Workflow types of the holders seen, for the prompt after a reset. */
  holderWorkflowTypes?: string[];
}

export interface CallBudgetInput {
  /** The Hoiio account name the budget was started with; its credentials hang up gone holders' legs. */
  account: string;
  /** The Hoiio application id that names the budget; `account` for budgets started before keys existed. */
  budgetKey?: string;
  /** Permits in the pool; default 8 (Hoiio's active call limit per application). */
  capacity?: number;
  /** Lease of a permit whose request names none; default 10 minutes. */
  defaultLeaseMs?: number;
  /** Continue-as-new after this many signals in one run; default 1,000. Tests lower it. */
  maxSignalsPerRun?: number;
  /** Workflow types of the holders (set by the activity that starts the budget): whom to ask to report on a fresh start. */
  holderWorkflowTypes?: string[];
  /** How long a fresh run waits for holders' reports before granting; default 30 s. */
  recoveryTimeoutMs?: number;
  /** Set by the previous run on continue-as-new. */
  state?: CallBudgetCarriedState;
}

const holderChecks = proxyActivities<BudgetActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

const prompting = proxyActivities<BudgetActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

const legControl = proxyActivities<Pick<ConferenceActivities, 'hangupLeg'>>({
  startToCloseTimeout: '1 minute',
  // Hoiio allows 60 hangups a minute: back off up to a full window.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '10 minutes',
});

class CallBudget {
  private readonly account: string;
  private readonly budgetKey: string;
  private readonly capacity: number;
  private readonly defaultLeaseMs: number;
  private readonly maxSignalsPerRun: number;
  private readonly recoveryTimeoutMs: number;
  /** Permit ids are `<idPrefix>-<number>`: unique across runs and across budgets started afresh. */
  private readonly idPrefix: string;
  private permitCounter: number;
  private readonly held = new Map<string, HeldPermit>();
  private waiting: WaitingRequest[];
  private reclaimed: number;
  private undelivered: number;
  private granted: number;
  private leaseExtensions: number;
  private hungUp: number;
  private adopted: number;
  private malformed: number;
  private readonly recentIds: string[];
  private readonly recentIdSet: Set<string>;
  private readonly retiredIds: string[];
  private readonly retiredSet: Set<string>;
  private readonly holderTypes: Set<string>;
  private signalsThisRun = 0;
  private deliveriesInFlight = 0;
  /** Holders whose expired leases are being looked into (describe, then hang up): their permits wait for that. */
  private readonly checking = new Set<string>();
  /** Set while preparing to continue-as-new: no new grants, so nothing is in flight when the state is handed over. */
  private draining = false;
  /** Set while a fresh run waits for the holders' reports: no grants before it knows what is held. */
  recovering: boolean;
  private readonly awaitingReports = new Set<string>();
  private readonly heardFrom = new Set<string>();

  constructor(input: CallBudgetInput) {
    this.account = input.account;
    this.budgetKey = input.budgetKey ?? input.account;
    this.capacity = positiveInteger(input.capacity) ?? DEFAULT_CAPACITY;
    this.defaultLeaseMs = positiveInteger(input.defaultLeaseMs) ?? DEFAULT_LEASE_MS;
    this.maxSignalsPerRun = positiveInteger(input.maxSignalsPerRun) ?? DEFAULT_MAX_SIGNALS_PER_RUN;
    this.recoveryTimeoutMs = positiveInteger(input.recoveryTimeoutMs) ?? DEFAULT_RECOVERY_TIMEOUT_MS;
    this.idPrefix = `${this.budgetKey}-${workflowInfo().firstExecutionRunId}`;
    const state = input.state;
    this.permitCounter = state?.permitCounter ?? 0;
    for (const permit of state?.held ?? []) this.held.set(permit.permitId, permit);
    this.waiting = state?.waiting ?? [];
    this.reclaimed = state?.reclaimed ?? 0;
    this.undelivered = state?.undelivered ?? 0;
    this.granted = state?.granted ?? 0;
    this.leaseExtensions = state?.leaseExtensions ?? 0;
    this.hungUp = state?.hungUp ?? 0;
    this.adopted = state?.adopted ?? 0;
    this.malformed = state?.malformed ?? 0;
    this.recentIds = state?.recentRequestIds ?? [];
    this.recentIdSet = new Set(this.recentIds);
    this.retiredIds = state?.retiredPermitIds ?? [];
    this.retiredSet = new Set(this.retiredIds);
    this.holderTypes = new Set([...(state?.holderWorkflowTypes ?? []), ...(input.holderWorkflowTypes ?? [])]);
    // Without carried state this run cannot tell a first start from a restart after a terminate: ask first.
    this.recovering = state === undefined && this.holderTypes.size > 0;
  }

  request(payload: unknown): void {
    this.signalsThisRun++;
    const req = this.accept(permitRequestSchema, payload, 'requestPermits');
    if (!req) return;
    this.learnType(req.holderType);
    if (this.recentIdSet.has(req.requestId)) {
      log.info('callBudget: ignoring a request id seen before', { requestId: req.requestId, holder: req.holder });
      return;
    }
    this.remember(req.requestId);
    this.enqueue(req.requestId, req.holder, req.count, req.leaseMs);
    this.dispatch();
  }

  release(payload: unknown): void {
    this.signalsThisRun++;
    const release = this.accept(permitReleaseSchema, payload, 'releasePermits');
    if (!release) return;
    let unknown = false;
    for (const permitId of release.permitIds) {
      const permit = this.held.get(permitId);
      if (permit) {
        if (permit.holder === release.holder) {
          this.held.delete(permitId);
          this.retire(permitId);
        }
      } else if (!this.retiredSet.has(permitId)) {
        // A permit this run never knew (granted by a budget that was reset): retired, so a late report cannot
        // bring it back, and its holder is asked what else it has.
        this.retire(permitId);
        unknown = true;
      }
    }
    if (unknown) void this.askToReport(release.holder);
    this.dispatch();
  }

  /** A holder's report: renews its leases, learns its legs, adopts what it holds and queues what it waits for. */
  renew(payload: unknown): void {
    this.signalsThisRun++;
    const report = this.accept(permitRenewalSchema, payload, 'renewPermits');
    if (!report) return;
    if (this.recovering) {
      this.heardFrom.add(report.holder);
      this.awaitingReports.delete(report.holder);
    }
    // An answer from a holder of another budget (this one asked every holder of its types): nothing to learn.
    if (report.budgetKey !== undefined && report.budgetKey !== this.budgetKey) return;
    this.learnType(report.holderType);
    const now = Date.now();
    const bindings = new Map((report.bindings ?? []).map((b) => [b.permitId, b.txnRef]));
    const listed = new Set(report.permitIds);
    const leaseMs = report.leaseMs ?? this.defaultLeaseMs;
    for (const permitId of listed) {
      const permit = this.held.get(permitId);
      const txnRef = bindings.get(permitId);
      if (permit) {
        if (permit.holder !== report.holder) continue; // someone else's: never moved by a report
        permit.leaseExpiresAt = now + permit.leaseMs;
        if (txnRef !== undefined) permit.txnRef = txnRef;
        continue;
      }
      if (this.retiredSet.has(permitId)) continue; // released or taken back here: a late report cannot revive it
      this.held.set(permitId, {
        permitId,
        holder: report.holder,
        requestId: 'adopted',
        grantedAt: now,
        leaseExpiresAt: now + leaseMs,
        leaseMs,
        ...(txnRef !== undefined ? { txnRef } : {}),
        adopted: true,
      });
      this.adopted++;
      log.info('callBudget: adopted a permit this run did not know', { permitId, holder: report.holder, txnRef });
    }
    if (report.pending !== undefined) {
      // A full report: an adopted permit the holder no longer lists has been given up (a holder's reports arrive
      // in the order it made them). Permits granted here are not dropped: the grant may still be on its way.
      for (const permit of [...this.held.values()]) {
        if (permit.holder === report.holder && permit.adopted && !listed.has(permit.permitId)) {
          this.held.delete(permit.permitId);
          this.retire(permit.permitId);
        }
      }
    }
    for (const { requestId, remaining } of report.pending ?? []) {
      if (this.recentIdSet.has(requestId) || this.waiting.some((w) => w.requestId === requestId)) continue;
      this.remember(requestId);
      this.enqueue(requestId, report.holder, remaining, report.leaseMs);
      log.info('callBudget: queued a request this run did not know', { requestId, holder: report.holder });
    }
    this.dispatch();
  }

  cancel(payload: unknown): void {
    this.signalsThisRun++;
    const cancellation = this.accept(permitCancellationSchema, payload, 'cancelPermitRequest');
    if (!cancellation) return;
    // Remember the id even if the request has not arrived yet (it may still be on its way from an activity).
    this.remember(cancellation.requestId);
    this.waiting = this.waiting.filter(
      (w) => !(w.requestId === cancellation.requestId && w.holder === cancellation.holder),
    );
    this.dispatch();
  }

  /** Starts a check of every holder with a lease that has run out (one check per holder at a time). */
  reclaimExpired(): void {
    const now = Date.now();
    const due = new Set<string>();
    for (const permit of this.held.values()) {
      if (permit.leaseExpiresAt <= now && !this.checking.has(permit.holder)) due.add(permit.holder);
    }
    for (const holder of due) {
      this.checking.add(holder);
      void this.checkHolder(holder);
    }
  }

  /**
   * A holder's lease ran out: if it still runs it keeps its permits; if it is gone its legs are hung up, then its
   * permits are free. Never throws.
   */
  private async checkHolder(holder: string): Promise<void> {
    try {
      let status: HolderStatus;
      try {
        status = (await holderChecks.describeBudgetHolder({ workflowId: holder })).status;
      } catch (error) {
        log.warn('callBudget: could not find out whether a holder still runs; looking again later', {
          holder,
          error: errorMessage(error),
        });
        status = 'UNKNOWN';
      }
      // A run that continued-as-new has a successor holding the same permits (a race: describe reads the latest run).
      if (status === 'CONTINUED_AS_NEW') status = 'RUNNING';
      if (status === 'RUNNING' || status === 'UNKNOWN') {
        const now = Date.now();
        const extended: string[] = [];
        for (const permit of this.permitsOf(holder)) {
          if (permit.leaseExpiresAt > now) continue;
          permit.leaseExpiresAt = now + (status === 'RUNNING' ? permit.leaseMs : RECHECK_MS);
          extended.push(permit.permitId);
        }
        if (status === 'RUNNING') {
          this.leaseExtensions += extended.length;
          log.warn('callBudget: leases ran out but their holder still runs; they are extended, not reclaimed', {
            holder,
            permitIds: extended,
          });
        }
        return;
      }

      // Gone: nobody will hang up its legs or release its permits. Its legs go first, then its permits.
      const permits = this.permitsOf(holder);
      log.warn('callBudget: a holder is gone; hanging up its legs and taking its permits back', {
        holder,
        status,
        permitIds: permits.map((p) => p.permitId),
      });
      this.waiting = this.waiting.filter((w) => w.holder !== holder);
      const outcomes = await Promise.all(
        permits.map(async (permit) => {
          if (permit.txnRef === undefined) return true;
          try {
            await legControl.hangupLeg({ account: this.account, txnRef: permit.txnRef });
            return true;
          } catch (error) {
            log.error('callBudget: could not hang up a gone holder’s leg; its permit stays held', {
              holder,
              permitId: permit.permitId,
              txnRef: permit.txnRef,
              error: errorMessage(error),
            });
            return false;
          }
        }),
      );
      const now = Date.now();
      permits.forEach((permit, i) => {
        const current = this.held.get(permit.permitId);
        if (current?.holder !== holder) return;
        if (!outcomes[i]) {
          current.leaseExpiresAt = now + RECHECK_MS;
          return;
        }
        this.held.delete(permit.permitId);
        this.retire(permit.permitId);
        this.reclaimed++;
        if (permit.txnRef !== undefined) this.hungUp++;
      });
      this.dispatch();
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.error('callBudget: checking a holder failed', { holder, error: errorMessage(error) });
    } finally {
      this.checking.delete(holder);
    }
  }

  /**
   * A fresh run: asks every running holder to report, and grants nothing until they all have (or the recovery
   * timeout has passed). Never throws.
   */
  async recover(): Promise<void> {
    try {
      const prompted = await prompting.promptBudgetHolders({
        budgetKey: this.budgetKey,
        workflowTypes: [...this.holderTypes],
      });
      for (const holder of prompted) if (!this.heardFrom.has(holder)) this.awaitingReports.add(holder);
      const deadline = Date.now() + this.recoveryTimeoutMs;
      while (this.awaitingReports.size > 0 && Date.now() < deadline) {
        const wait = Math.max(1, Math.min(RECOVERY_RECHECK_MS, deadline - Date.now()));
        if (await condition(() => this.awaitingReports.size === 0, wait)) break;
        // A holder that closed after it took the prompt will never answer: stop waiting for it.
        const stragglers = [...this.awaitingReports].slice(0, MAX_STRAGGLER_CHECKS);
        await Promise.all(
          stragglers.map(async (holder) => {
            const status = await holderChecks
              .describeBudgetHolder({ workflowId: holder })
              .then((d) => d.status)
              .catch(() => 'UNKNOWN' as const);
            if (status !== 'RUNNING' && status !== 'CONTINUED_AS_NEW' && status !== 'UNKNOWN') {
              this.awaitingReports.delete(holder);
            }
          }),
        );
      }
      if (this.awaitingReports.size > 0) {
        log.warn('callBudget: some holders did not report; granting anyway', {
          holders: [...this.awaitingReports].slice(0, 20),
        });
      }
    } catch (error) {
      log.warn('callBudget: could not ask the holders to report; granting with what is known', {
        error: errorMessage(error),
      });
    } finally {
      this.recovering = false;
      this.awaitingReports.clear();
      this.heardFrom.clear();
      this.dispatch();
    }
  }

  /** Grants free permits to the waiting requests, strictly in order. */
  dispatch(): void {
    if (this.draining || this.recovering) return;
    const now = Date.now();
    while (this.held.size < this.capacity && this.waiting.length > 0) {
      const head = this.waiting[0]!;
      const count = Math.min(this.capacity - this.held.size, head.remaining);
      const permitIds: string[] = [];
      for (let i = 0; i < count; i++) {
        const permitId = `${this.idPrefix}-${++this.permitCounter}`;
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
        error: errorMessage(error),
      });
      for (const permitId of grant.permitIds) {
        const permit = this.held.get(permitId);
        if (permit && permit.holder === holder) {
          this.held.delete(permitId);
          this.retire(permitId);
          this.undelivered++;
        }
      }
      this.waiting = this.waiting.filter((w) => w.holder !== holder);
      this.dispatch();
    } finally {
      this.deliveriesInFlight--;
    }
  }

  /** Asks a holder to report everything it has (it released a permit this budget does not know). */
  private async askToReport(holder: string): Promise<void> {
    this.deliveriesInFlight++;
    try {
      await getExternalWorkflowHandle(holder).signal(reportPermitsSignal, { budgetKey: this.budgetKey });
    } catch (error) {
      log.info('callBudget: could not ask a holder to report', { holder, error: errorMessage(error) });
    } finally {
      this.deliveriesInFlight--;
    }
  }

  /** The earliest lease expiry among held permits whose holder is not being checked, if any. */
  earliestExpiry(): number | undefined {
    let earliest: number | undefined;
    for (const permit of this.held.values()) {
      if (this.checking.has(permit.holder)) continue;
      if (earliest === undefined || permit.leaseExpiresAt < earliest) earliest = permit.leaseExpiresAt;
    }
    return earliest;
  }

  shouldContinueAsNew(): boolean {
    if (this.recovering) return false; // what recovery waits for is not carried over
    return this.signalsThisRun >= this.maxSignalsPerRun || workflowInfo().continueAsNewSuggested;
  }

  /** Stops granting and resolves once no handler, grant signal, holder check or hangup is still running. */
  async drain(): Promise<void> {
    this.draining = true;
    await condition(() => allHandlersFinished() && this.deliveriesInFlight === 0 && this.checking.size === 0);
  }

  state(): BudgetState {
    return {
      account: this.account,
      budgetKey: this.budgetKey,
      capacity: this.capacity,
      held: [...this.held.values()].map((p) => ({ ...p })),
      waiting: this.waiting.map((w) => ({ ...w })),
      reclaimed: this.reclaimed,
      undelivered: this.undelivered,
      granted: this.granted,
      leaseExtensions: this.leaseExtensions,
      hungUp: this.hungUp,
      adopted: this.adopted,
      malformed: this.malformed,
      recovering: this.recovering,
    };
  }

  carriedState(): CallBudgetCarriedState {
    const { held, waiting } = this.state();
    return {
      permitCounter: this.permitCounter,
      held,
      waiting,
      reclaimed: this.reclaimed,
      undelivered: this.undelivered,
      granted: this.granted,
      leaseExtensions: this.leaseExtensions,
      hungUp: this.hungUp,
      adopted: this.adopted,
      malformed: this.malformed,
      recentRequestIds: [...this.recentIds],
      retiredPermitIds: [...this.retiredIds],
      holderWorkflowTypes: [...this.holderTypes],
    };
  }

  /** The payload as `schema` reads it; otherwise dropped, logged and counted. */
  private accept<S extends z.ZodType>(schema: S, payload: unknown, signal: string): z.infer<S> | undefined {
    const parsed = schema.safeParse(payload);
    if (parsed.success) return parsed.data;
    this.malformed++;
    log.warn('callBudget: dropped a malformed signal', { signal, issues: describeMessageIssues(parsed.error) });
    return undefined;
  }

  private enqueue(requestId: string, holder: string, count: number, leaseMs: number | undefined): void {
    this.waiting.push({
      requestId,
      holder,
      // Never owe more than the pool holds: under strict FIFO a larger request would sit at the head holding every
      // permit, and block the whole account, forever.
      remaining: Math.min(count, this.capacity),
      requestedAt: Date.now(),
      leaseMs: leaseMs ?? this.defaultLeaseMs,
    });
  }

  private permitsOf(holder: string): HeldPermit[] {
    return [...this.held.values()].filter((p) => p.holder === holder);
  }

  private learnType(type: string | undefined): void {
    if (type !== undefined && !this.holderTypes.has(type) && this.holderTypes.size < MAX_HOLDER_TYPES) {
      this.holderTypes.add(type);
    }
  }

  private remember(requestId: string): void {
    if (this.recentIdSet.has(requestId)) return;
    this.recentIds.push(requestId);
    this.recentIdSet.add(requestId);
    while (this.recentIds.length > RECENT_REQUEST_IDS) this.recentIdSet.delete(this.recentIds.shift()!);
  }

  private retire(permitId: string): void {
    if (this.retiredSet.has(permitId)) return;
    this.retiredIds.push(permitId);
    this.retiredSet.add(permitId);
    while (this.retiredIds.length > RETIRED_PERMIT_IDS) this.retiredSet.delete(this.retiredIds.shift()!);
  }
}

export async function callBudget(input: CallBudgetInput): Promise<void> {
  const budget = new CallBudget(input);
  // Payloads are parsed inside the budget: whatever arrives is `unknown` until then.
  setHandler(requestPermitsSignal, (payload: unknown) => budget.request(payload));
  setHandler(releasePermitsSignal, (payload: unknown) => budget.release(payload));
  setHandler(renewPermitsSignal, (payload: unknown) => budget.renew(payload));
  setHandler(cancelPermitRequestSignal, (payload: unknown) => budget.cancel(payload));
  setHandler(budgetStateQuery, () => budget.state());

  const recovery = budget.recovering ? budget.recover() : Promise.resolve();
  // Leases may have run out while the previous run handed over; then grant whatever is free.
  budget.reclaimExpired();
  budget.dispatch();
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

  await recovery;
  await budget.drain();
  await continueAsNew<typeof callBudget>({ ...input, state: budget.carriedState() });
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
