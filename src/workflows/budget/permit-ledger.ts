import { log, patched } from '@temporalio/workflow';
import { effectivePriority, queuePosition, ROUTINE_PRIORITY } from '../../domain/permit-priority';
import type {
  BudgetCounters,
  BudgetPool,
  HeldPermit,
  PermitCancellation,
  PermitGrant,
  PermitRelease,
  PermitRenewal,
  PermitRequest,
  WaitingRequest,
} from '../messages';
import type { CallBudgetCarriedState } from './carried-state';
import { RecentIds } from '../../domain/recent-ids';

/** How many recent request ids are remembered to ignore duplicate requests. */
const RECENT_REQUEST_IDS = 1_000;
/** How many released or taken-back permit ids are remembered, so that a late report cannot bring one back. */
const RETIRED_PERMIT_IDS = 2_000;
/** Holder workflow types remembered for the visibility prompt after a reset. */
const MAX_HOLDER_TYPES = 20;
/**
 * Serving waiting requests by priority is patched in (docs/deploying.md): a history written by code from before
 * priorities (an older worker during a rolling deploy, say, that a page reached) replays with every request routine,
 * first come, first served, as that code granted them.
 */
const PRIORITY_PATCH = 'permit-priority';

export interface PoolSettings {
  capacity: number;
  defaultLeaseMs: number;
  /** Permit ids are `<idPrefix>-<number>`: unique across runs and across budgets started afresh. */
  idPrefix: string;
}

/** A grant to signal to its holder. */
export interface Delivery {
  holder: string;
  grant: PermitGrant;
}

/**
 * The permits of one budget and the requests waiting for them: bookkeeping only, no messages sent.
 *
 * Requests are served in priority order, and first in, first out within a priority (docs/design.md, "callBudget"):
 * the queue is kept in serving order (`src/domain/permit-priority.ts`), and its head takes every free permit up to
 * what it still needs, so no permit idles while someone waits, and a later request of the same or a lower priority,
 * however small, waits until the head is served or cancelled. A large request can never be starved by a stream of
 * small ones of its own priority; a stream of more urgent ones can starve it. Priority never takes a permit back: a
 * more urgent request goes to the head of the queue, and waits there for the next permit that comes back.
 *
 * Every message is idempotent: a request id seen before (a retried activity's duplicate signal, or a request
 * cancelled before it arrived) is ignored, and a permit released or taken back is retired, so that neither a repeated
 * release nor a late report can bring it back. Permit ids are never reused, not even by a budget started afresh.
 */
export class PermitLedger {
  private permitCounter: number;
  private readonly held = new Map<string, HeldPermit>();
  private waiting: WaitingRequest[];
  /** Changed here, or through {@link PermitLedger.count} by whoever else learns of an event. */
  private readonly counters: Required<BudgetCounters>;
  private readonly recentRequests: RecentIds;
  private readonly retiredPermits: RecentIds;
  private readonly holderTypes: Set<string>;

  constructor(
    private readonly settings: PoolSettings,
    state: CallBudgetCarriedState | undefined,
    holderWorkflowTypes: string[],
  ) {
    this.permitCounter = state?.permitCounter ?? 0;
    for (const permit of state?.held ?? []) this.held.set(permit.permitId, permit);
    // Carried in serving order. Runs from before priorities carried none: 3, and their queue was in arrival order.
    this.waiting = (state?.waiting ?? []).map((w) => ({ ...w, priority: effectivePriority(w.priority) }));
    this.counters = {
      reclaimed: state?.reclaimed ?? 0,
      undelivered: state?.undelivered ?? 0,
      granted: state?.granted ?? 0,
      leaseExtensions: state?.leaseExtensions ?? 0,
      hungUp: state?.hungUp ?? 0,
      adopted: state?.adopted ?? 0,
      malformed: state?.malformed ?? 0,
    };
    this.recentRequests = new RecentIds(state?.recentRequestIds ?? [], RECENT_REQUEST_IDS);
    this.retiredPermits = new RecentIds(state?.retiredPermitIds ?? [], RETIRED_PERMIT_IDS);
    this.holderTypes = new Set([...(state?.holderWorkflowTypes ?? []), ...holderWorkflowTypes]);
  }

  /** Queues a request; false for a request id seen before. */
  queue(request: PermitRequest): boolean {
    this.learnType(request.holderType);
    if (this.recentRequests.has(request.requestId)) {
      log.info('callBudget: ignoring a request id seen before', {
        requestId: request.requestId,
        holder: request.holder,
      });
      return false;
    }
    this.recentRequests.add(request.requestId);
    this.enqueue(request.requestId, request.holder, request.count, request.leaseMs, request.priority);
    return true;
  }

  /** Frees the holder's permits; true when it released one this ledger never knew (its holder should report). */
  release(release: PermitRelease): boolean {
    let unknown = false;
    for (const permitId of release.permitIds) {
      const permit = this.held.get(permitId);
      if (permit) {
        if (permit.holder === release.holder) {
          this.free(permitId);
        }
      } else if (!this.retiredPermits.has(permitId)) {
        // A permit this run never knew (granted by a budget that was reset): retired, so a late report cannot
        // bring it back, and its holder is asked what else it has.
        this.retiredPermits.add(permitId);
        unknown = true;
      }
    }
    return unknown;
  }

  /**
   * A holder's report: renews its leases, learns its legs, adopts what it holds and queues what it waits for. A permit
   * the ledger does not know (and has not retired) is adopted and counts against capacity. A report without `pending`
   * is a plain renewal, as older holders send.
   */
  report(report: PermitRenewal): void {
    this.learnType(report.holderType);
    const now = Date.now();
    const bindings = new Map((report.bindings ?? []).map((b) => [b.permitId, b.txnRef]));
    const listed = new Set(report.permitIds);
    const leaseMs = report.leaseMs ?? this.settings.defaultLeaseMs;
    for (const permitId of listed) {
      const permit = this.held.get(permitId);
      const txnRef = bindings.get(permitId);
      if (permit) {
        if (permit.holder !== report.holder) continue; // someone else's: never moved by a report
        permit.leaseExpiresAt = now + permit.leaseMs;
        if (txnRef !== undefined) permit.txnRef = txnRef;
        continue;
      }
      if (this.retiredPermits.has(permitId)) continue; // released or taken back here: a late report cannot revive it
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
      this.counters.adopted++;
      log.info('callBudget: adopted a permit this run did not know', { permitId, holder: report.holder, txnRef });
    }
    if (report.pending !== undefined) {
      // A full report: an adopted permit the holder no longer lists has been given up (a holder's reports arrive
      // in the order it made them). Permits granted here are not dropped: the grant may still be on its way.
      for (const permit of [...this.held.values()]) {
        if (permit.holder === report.holder && permit.adopted && !listed.has(permit.permitId)) {
          this.free(permit.permitId);
        }
      }
    }
    for (const { requestId, remaining, priority } of report.pending ?? []) {
      if (this.recentRequests.has(requestId) || this.waiting.some((w) => w.requestId === requestId)) continue;
      this.recentRequests.add(requestId);
      this.enqueue(requestId, report.holder, remaining, report.leaseMs, priority);
      log.info('callBudget: queued a request this run did not know', { requestId, holder: report.holder, priority });
    }
  }

  cancel(cancellation: PermitCancellation): void {
    // Remember the id even if the request has not arrived yet (it may still be on its way from an activity).
    this.recentRequests.add(cancellation.requestId);
    this.waiting = this.waiting.filter(
      (w) => !(w.requestId === cancellation.requestId && w.holder === cancellation.holder),
    );
  }

  /** Grants the free permits to the waiting requests, strictly in serving order; the grants still have to be signalled. */
  grantFree(): Delivery[] {
    const deliveries: Delivery[] = [];
    const { capacity, idPrefix } = this.settings;
    const now = Date.now();
    while (this.held.size < capacity && this.waiting.length > 0) {
      const head = this.waiting[0]!;
      const count = Math.min(capacity - this.held.size, head.remaining);
      const permitIds: string[] = [];
      for (let i = 0; i < count; i++) {
        const permitId = `${idPrefix}-${++this.permitCounter}`;
        permitIds.push(permitId);
        this.held.set(permitId, {
          permitId,
          holder: head.holder,
          requestId: head.requestId,
          grantedAt: now,
          leaseExpiresAt: now + head.leaseMs,
          leaseMs: head.leaseMs,
          ...(head.priority !== ROUTINE_PRIORITY ? { priority: head.priority } : {}),
        });
      }
      this.counters.granted += count;
      head.remaining -= count;
      if (head.remaining === 0) this.waiting.shift();
      deliveries.push({ holder: head.holder, grant: { requestId: head.requestId, permitIds } });
    }
    return deliveries;
  }

  /** A grant that could not be signalled: nobody will dial with its permits or release them. */
  takeBackUndelivered({ holder, grant }: Delivery): void {
    for (const permitId of grant.permitIds) {
      const permit = this.held.get(permitId);
      if (permit && permit.holder === holder) {
        this.free(permitId);
        this.counters.undelivered++;
      }
    }
    this.dropRequestsOf(holder);
  }

  /** A gone holder's permit whose leg (if any) has been hung up: free again. */
  reclaim(holder: string, permit: HeldPermit): void {
    const current = this.held.get(permit.permitId);
    if (current?.holder !== holder) return;
    this.free(permit.permitId);
    this.counters.reclaimed++;
    if (permit.txnRef !== undefined) this.counters.hungUp++;
  }

  /** Moves the holder's run-out leases to `expiresAt`; returns the ids of the permits it moved. */
  extendExpired(holder: string, now: number, expiresAt: (permit: HeldPermit) => number): string[] {
    const extended: string[] = [];
    for (const permit of this.permitsOf(holder)) {
      if (permit.leaseExpiresAt > now) continue;
      permit.leaseExpiresAt = expiresAt(permit);
      extended.push(permit.permitId);
    }
    return extended;
  }

  /** Keeps a permit held until `expiresAt` if it is still the holder's (its leg could not be hung up). */
  holdUntil(holder: string, permit: HeldPermit, expiresAt: number): void {
    const current = this.held.get(permit.permitId);
    if (current?.holder === holder) current.leaseExpiresAt = expiresAt;
  }

  dropRequestsOf(holder: string): void {
    this.waiting = this.waiting.filter((w) => w.holder !== holder);
  }

  /** The request served next, if any waits. */
  head(): WaitingRequest | undefined {
    return this.waiting[0];
  }

  /** Every holder of a permit granted for a request less urgent than `priority` (adopted ones count as routine). */
  holdersLessUrgentThan(priority: number): Set<string> {
    const holders = new Set<string>();
    for (const permit of this.held.values()) {
      if ((permit.priority ?? ROUTINE_PRIORITY) > priority) holders.add(permit.holder);
    }
    return holders;
  }

  permitsOf(holder: string): HeldPermit[] {
    return [...this.held.values()].filter((p) => p.holder === holder);
  }

  /** Holders with a lease that has run out, other than those in `skip`. */
  expiredHolders(now: number, skip: ReadonlySet<string>): Set<string> {
    const due = new Set<string>();
    for (const permit of this.held.values()) {
      if (permit.leaseExpiresAt <= now && !skip.has(permit.holder)) due.add(permit.holder);
    }
    return due;
  }

  /** The earliest lease expiry among held permits whose holder is not in `skip`, if any. */
  earliestExpiry(skip: ReadonlySet<string>): number | undefined {
    let earliest: number | undefined;
    for (const permit of this.held.values()) {
      if (skip.has(permit.holder)) continue;
      if (earliest === undefined || permit.leaseExpiresAt < earliest) earliest = permit.leaseExpiresAt;
    }
    return earliest;
  }

  knownHolderTypes(): string[] {
    return [...this.holderTypes];
  }

  /** Events the ledger cannot see for itself: a malformed message, leases extended by a holder check. */
  count(event: 'malformed' | 'leaseExtensions', by = 1): void {
    this.counters[event] += by;
  }

  counts(): Required<BudgetCounters> {
    return { ...this.counters };
  }

  /** Copies, so that a query result or the carried state never aliases what the ledger keeps changing. */
  pool(): BudgetPool {
    return { held: [...this.held.values()].map((p) => ({ ...p })), waiting: this.waiting.map((w) => ({ ...w })) };
  }

  carriedState(): CallBudgetCarriedState {
    return {
      permitCounter: this.permitCounter,
      ...this.pool(),
      ...this.counters,
      recentRequestIds: this.recentRequests.toArray(),
      retiredPermitIds: this.retiredPermits.toArray(),
      holderWorkflowTypes: this.knownHolderTypes(),
    };
  }

  /** Queues a request in its place: behind every request of its priority or a more urgent one, ahead of the rest. */
  private enqueue(
    requestId: string,
    holder: string,
    count: number,
    leaseMs: number | undefined,
    priority: number | undefined,
  ): void {
    const byPriority = patched(PRIORITY_PATCH);
    const request: WaitingRequest = {
      requestId,
      holder,
      // Never owe more than the ledger holds: a larger request would sit at the head holding every permit, and block
      // the whole account (its own priority and every less urgent one), forever.
      remaining: Math.min(count, this.settings.capacity),
      requestedAt: Date.now(),
      leaseMs: leaseMs ?? this.settings.defaultLeaseMs,
      priority: byPriority ? effectivePriority(priority) : ROUTINE_PRIORITY,
    };
    this.waiting.splice(queuePosition(this.waiting, request), 0, request);
  }

  /** Released or taken back: retired too, so that a late report cannot bring it back. */
  private free(permitId: string): void {
    this.held.delete(permitId);
    this.retiredPermits.add(permitId);
  }

  private learnType(type: string | undefined): void {
    if (type !== undefined && !this.holderTypes.has(type) && this.holderTypes.size < MAX_HOLDER_TYPES) {
      this.holderTypes.add(type);
    }
  }
}
