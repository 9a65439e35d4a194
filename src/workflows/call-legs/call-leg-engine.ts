/**
 * The call-leg engine: everything between "dial these numbers into this room" and "these legs have ended, and their
 * lines are back with the account". It takes permits from the account's call budget (docs/design.md, invariant 1),
 * dials a batch, adopts the legs placed (each bound to a permit), reconciles by tag a dial whose outcome is unknown
 * rather than dial again (invariant 2), settles each leg's end from its notification or, failing that, from status
 * polls (invariant 3), hangs legs up, and gives permits back as soon as their legs are known to have ended. Invariants
 * are those of docs/design.md.
 *
 * It decides nothing about who is dialed, when, or whether again: its caller does (a conference session, an
 * escalation). The caller reads the legs from the {@link LegBook} it hands in, and hears of them through the book's
 * listener; a dial's reply comes back as a {@link DialOutcome} for the caller to act on. The access token never
 * passes here: activities hold it (invariant 5).
 */
import { CancellationScope, isCancellation, log, patched } from '@temporalio/workflow';
import type { StatusScope } from '../../hoiio/statuses';
import type { IvrDialOptions, PlaceCallRequest, PlaceCallResult, PlacedLeg } from '../../activities/place-call';
import { callEndedSchema } from '../../domain/call-ended';
import { describePayloadIssues, parsePayload } from '../../domain/input-text';
import type { CallCounters } from '../../domain/call-counters';
import { pairWithPermits, sortUnplaced } from '../../domain/call-leg-rules';
import type { EndOutcome, LegBook } from '../../domain/leg-book';
import { inBackground, waitFor } from './background';
import { classifyDialFailure } from './dial-failure';
import { DialPermits } from './dial-permits';
import { accounts, lastLook, legControl, placement, reconciliation } from './hoiio-activities';
import { callBudgetWorkflowId } from '../messages';
import type { PermitPoolState } from '../permits/permit-pool';

/** The priorities a caller gives its permit requests (see {@link CallLegEngineOptions.priority}). */
export { PAGE_PRIORITY, ROUTINE_PRIORITY } from '../../domain/permit-priority';

/** Polls in a row answering "no such transaction" before a leg is settled as failed. */
const UNKNOWN_LEG_POLLS = 3;

/** The events the engine counts: its caller's counters take them (a session's summary reports them all). */
export type CallLegCounters = Pick<
  CallCounters,
  'dialed' | 'historyLookedUp' | 'polled' | 'hungUp' | 'moderated' | 'malformedMessage'
>;

export interface CallLegEngineOptions {
  /** The Hoiio account name the activities dial with. */
  account: string;
  legs: LegBook;
  counters: CallLegCounters;
  /** Whether legs placed now are still wanted: a dial that lands once they are not is hung up at once. */
  wantsLegs(): boolean;
  /** A leg is about to be hung up by us (unwanted, or on {@link CallLegEngine.hangUpAll}): its end is final. */
  hangingUp(number: string): void;
  /** Something the caller waits on may have changed (a poll settled a leg). */
  changed(): void;
  /**
   * How many more numbers the caller would dial right now than it has permits on hand for. When a leg ends, that many
   * of the freed permits stay with the caller for its next dial instead of going back to the budget (permit handoff,
   * docs/design.md). Unset: none, every freed permit goes back.
   */
  reuseWanted?(): number;
  /**
   * How urgent this caller's permit requests are at the account's budget: 1 (served first) to 5, as Temporal's task
   * priorities. Unset: routine (3), and the requests carry none, as they always have (a session's recorded histories
   * stay as they were). An escalation pages with `PAGE_PRIORITY` (`src/domain/permit-priority.ts`). Priority only
   * orders the budget's queue: no live call is ever cut short for it.
   */
  priority?: number;
}

export interface DialRequest {
  /** The conference room; unused by an IVR call. */
  room: string;
  numbers: string[];
  /** Unique per batch: how a retry or a reconcile finds what the batch placed (see `batchTag`). */
  tag: string;
  callerId?: string;
  /** An IVR call (one number) rather than a conference dial: what it says once answered. */
  ivr?: IvrDialOptions;
}

/**
 * What a dial came to. `refused`: Hoiio turned the request down and placed nothing; `scope` says whose fault (one of
 * the numbers, the whole account, or a request never sent). `done`: its legs are adopted; `notPlaced` numbers may be
 * dialed again, `unknown` ones must not be (docs/design.md, invariant 2).
 */
export type DialOutcome =
  | { kind: 'refused'; scope: StatusScope | 'not-sent'; type: string }
  | { kind: 'done'; placed: PlacedLeg[]; notPlaced: string[]; unknown: string[] };

/** Carried over continue-as-new. */
export interface EngineCarry {
  budgetKey: string;
  pool: PermitPoolState;
}

export class CallLegEngine {
  /** Set once the account's budget is known; messages may arrive before. */
  private permits: DialPermits | undefined;
  private budgetKey: string | undefined;
  /** The dial in flight, so that a cancellation can look up and hang up what it placed. */
  private dialInFlight: PlaceCallRequest | undefined;
  /** The scope of the dial in flight's activity, so that {@link CallLegEngine.stopDial} can cancel it alone. */
  private dialScope: CancellationScope | undefined;
  private dialStopped = false;
  private background: { stop(): Promise<void> }[] = [];

  constructor(private readonly options: CallLegEngineOptions) {}

  /**
   * Finds the account's call budget (an unknown account fails here, non-retryable) and starts the work kept up on its
   * own clock: permits of ended legs go back at once, leases are renewed, legs with no notification are polled.
   */
  async connect(resume?: Partial<EngineCarry>): Promise<void> {
    const { account } = this.options;
    const budgetKey = resume?.budgetKey ?? (await accounts.resolveAccount({ account })).budgetKey;
    const { priority } = this.options;
    const permits = new DialPermits(
      { account, budgetKey, state: resume?.pool, priority },
      () => this.options.legs.permitsOfActiveLegs(),
      () => this.options.reuseWanted?.() ?? 0,
    );
    this.permits = permits;
    this.budgetKey = budgetKey;
    // Kept up on their own clocks, never behind the caller's loop, which can spend minutes in one dial's retries: a
    // freed line goes back to the account the moment its leg is known to have ended, and leases are renewed while a
    // dial waits.
    this.background = [
      inBackground((stopping) => permits.releaseAsLegsEnd(stopping)),
      inBackground((stopping) => this.pollWhenDue(stopping)),
      inBackground((stopping) => permits.renewLeases(stopping)),
    ];
  }

  /** Permits granted and not yet used for a dial. */
  get permitsAvailable(): number {
    return this.connected().available;
  }

  /** This caller's permits at the account's budget, for a status; undefined until {@link connect} has found it. */
  permitCounts(): { budget: string; held: number; available: number; owed: number } | undefined {
    if (!this.permits || this.budgetKey === undefined) return undefined;
    return { budget: callBudgetWorkflowId(this.budgetKey), ...this.permits.counts() };
  }

  /** See {@link DialPermits.keepFor}. */
  keepPermitsFor(wanted: number | undefined): Promise<unknown> {
    return this.connected().keepFor(wanted);
  }

  /** Dials a batch with permits on hand (one per number) and adopts the legs it placed. */
  async dial(batch: DialRequest): Promise<DialOutcome> {
    const permits = this.connected().takeForDial(batch.numbers.length);
    const request: PlaceCallRequest = {
      account: this.options.account,
      room: batch.room,
      numbers: batch.numbers,
      callerId: batch.callerId,
      tag: batch.tag,
      begunAt: Date.now(),
      ...(batch.ivr ? { ivr: batch.ivr } : {}),
    };
    this.dialInFlight = request;
    try {
      const outcome = await this.dialAndAdopt(request, permits);
      this.dialInFlight = undefined;
      return outcome;
    } catch (error) {
      // A cancelled dial stays in flight for the cancellation path, which finds what it placed.
      if (!isCancellation(error)) this.dialInFlight = undefined;
      throw error;
    } finally {
      this.dialStopped = false;
      this.connected().dialDone(permits);
    }
  }

  /**
   * Stops the dial in flight, if any (its caller no longer wants legs: an end). Its activity is cancelled, even in the
   * midst of retries, and what it placed is looked up by tag as for any dial whose outcome is unknown; `dial` then
   * returns as usual, with the legs found adopted (and hung up, since they are no longer wanted).
   */
  stopDial(): void {
    // Histories from before this ran the dial to its end: they replay without the cancel.
    if (!this.dialScope || this.dialStopped || !patched('end-stops-dial')) return;
    this.dialStopped = true;
    this.dialScope.cancel();
  }

  /** A `callEnded` notification, parsed here since anyone can signal: one that does not parse is only counted. */
  notified(payload: unknown): EndOutcome | 'malformed' {
    const parsed = parsePayload(callEndedSchema, payload);
    if (!parsed.success) {
      this.options.counters.malformedMessage();
      log.warn('Malformed callEnded signal dropped', { problems: describePayloadIssues(parsed.error) });
      return 'malformed';
    }
    const outcome = this.options.legs.recordEnd(parsed.data, 'notification', Date.now());
    if (outcome === 'duplicate') log.info('Duplicate notification ignored', { txnRef: parsed.data.txnRef });
    return outcome;
  }

  /** A failed hangup is logged, not thrown: the leg's notification, or a poll, still tells how it ended. */
  async hangUp(txnRef: string): Promise<void> {
    this.options.counters.hungUp();
    try {
      await legControl.hangupLeg({ account: this.options.account, txnRef });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('Hangup failed; the leg will be polled', { txnRef, error: String(error) });
    }
  }

  /** Withdraws every permit request and hangs up every active leg. Returns how many legs were hung up. */
  async hangUpAll(): Promise<number> {
    const active = this.options.legs.activeLegs();
    for (const leg of active) this.options.hangingUp(leg.number);
    await Promise.all([
      ...(this.permits ? [this.permits.cancelPending()] : []),
      ...active.map((leg) => this.hangUp(leg.txnRef)),
    ]);
    return active.length;
  }

  async moderate(txnRef: string, action: 'kick' | 'mute' | 'unmute'): Promise<void> {
    this.options.counters.moderated();
    await legControl.moderateLeg({ account: this.options.account, txnRef, action });
  }

  /** Stops the background work, its activities done: what the engine carries is then the whole truth. */
  async pause(): Promise<void> {
    await Promise.all(this.background.map((task) => task.stop()));
  }

  /**
   * Before a continue-as-new: gives back the permits of legs that have ended and of numbers a dial did not place, and
   * waits until the budget has every signal sent (one still on its way when the run closes is dropped).
   */
  releaseForHandover(): Promise<void> {
    return this.connected().releaseForHandover();
  }

  carry(): EngineCarry {
    return { budgetKey: this.budgetKey!, pool: this.connected().state() };
  }

  /** No more dialing, ever: stops the background work, withdraws what is asked for and gives every permit back. */
  async close(): Promise<void> {
    if (!this.permits) return;
    await this.pause();
    await this.permits.giveAllBack();
  }

  /**
   * The caller was cancelled: leave nothing ringing and no permit held. Call with legs no longer wanted, so that
   * whatever the interrupted dial placed is hung up as it is found.
   */
  async abandon(): Promise<void> {
    const interrupted = this.dialInFlight;
    await Promise.all([
      ...this.options.legs.activeLegs().map((leg) => this.hangUp(leg.txnRef)),
      // The cancelled dial's request may have reached Hoiio before it was abandoned: find its legs and end them.
      ...(interrupted ? [this.hangUpWhatWasPlaced(interrupted)] : []),
    ]);
    await this.close();
  }

  private connected(): DialPermits {
    if (!this.permits) throw new Error('CallLegEngine: connect() first');
    return this.permits;
  }

  private async dialAndAdopt(request: PlaceCallRequest, permits: string[]): Promise<DialOutcome> {
    let result: PlaceCallResult;
    try {
      this.dialScope = new CancellationScope();
      try {
        result = await this.dialScope.run(() =>
          request.ivr ? placement.placeIvrCall(request) : placement.placeConferenceCall(request),
        );
      } finally {
        this.dialScope = undefined;
      }
    } catch (error) {
      // Stopped by stopDial: an attempt cut off mid-request may have dialed, like one whose retries ran out.
      const stopped = this.dialStopped;
      if (isCancellation(error) && !stopped) throw error;
      const failure = isCancellation(error) ? undefined : classifyDialFailure(error);
      if (failure?.kind === 'refused') return failure;
      if (failure?.kind === 'not-sent') return { kind: 'refused', scope: 'not-sent', type: failure.type };
      // Retries ran out, or the last attempt died mid-request: the request may have been placed. Look before
      // deciding, and never dial these numbers again unseen. A stopped dial looks for a few minutes at most, so that
      // an end finishes the session even with Hoiio down.
      log.error('Dialing gave up; reconciling by tag', { tag: request.tag, type: failure?.type ?? 'stopped' });
      const found = await this.reconcileOrGiveUp(request, stopped ? lastLook : reconciliation);
      this.options.counters.historyLookedUp();
      await this.adopt(found?.legs ?? [], permits);
      if (!found) return { kind: 'done', placed: [], notPlaced: [], unknown: [...request.numbers] };
      return { kind: 'done', placed: found.legs, ...sortUnplaced(found) };
    }
    this.options.counters.dialed(result);
    await this.adopt(result.legs, permits);
    return { kind: 'done', placed: result.legs, ...sortUnplaced(result) };
  }

  /** A reconcile Hoiio refuses for good (say, a revoked token) leaves the whole batch's outcome unknown. */
  private async reconcileOrGiveUp(
    request: PlaceCallRequest,
    lookup: typeof reconciliation,
  ): Promise<{ legs: PlacedLeg[]; notPlaced: string[] } | undefined> {
    try {
      return await lookup.reconcileBatch(request);
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.error('Reconciling gave up; the batch is not dialed again', { tag: request.tag, error: String(error) });
      return undefined;
    }
  }

  /** Ties each placed leg to one of the dial's permits; permits left over go back with the next release. */
  private async adopt(legs: PlacedLeg[], permits: string[]): Promise<void> {
    const now = Date.now();
    for (const [leg, permitId] of pairWithPermits(legs, permits)) {
      this.options.legs.legPlaced(leg.number, leg.txnRef, permitId, now);
      // The budget learns which leg each permit covers, so it can hang up a holder's legs if the holder is gone.
      if (permitId) this.connected().bind(permitId, leg.txnRef);
    }
    if (!this.options.wantsLegs()) {
      for (const leg of legs) this.options.hangingUp(leg.number);
      await Promise.all(legs.map((leg) => this.hangUp(leg.txnRef)));
    }
  }

  /** Bounded in time, unlike the reconcile of a running dial: leases are no longer renewed here. */
  private async hangUpWhatWasPlaced(request: PlaceCallRequest): Promise<void> {
    try {
      const found = await lastLook.reconcileBatch(request);
      this.options.counters.historyLookedUp();
      await this.adopt(found.legs, []);
    } catch (error) {
      log.error('Could not look up what a cancelled dial placed', { tag: request.tag, error: String(error) });
    }
  }

  private async pollWhenDue(stopping: () => boolean): Promise<void> {
    const { legs } = this.options;
    for (;;) {
      const armedFor = legs.nextPollAt();
      // One timer for the earliest poll; re-armed only when a leg due sooner appears.
      const sooner = () => (legs.nextPollAt() ?? Infinity) < (armedFor ?? Infinity);
      await waitFor(() => stopping() || sooner(), armedFor);
      if (stopping()) return;
      if (legs.legsDueForPoll(Date.now()).length > 0) await this.pollDueLegs();
    }
  }

  /** A failed poll is tried again later, waiting longer each time. */
  private async pollDueLegs(): Promise<void> {
    const { legs, counters, account } = this.options;
    await Promise.all(
      legs.legsDueForPoll(Date.now()).map(async (leg) => {
        counters.polled();
        try {
          const result = await legControl.pollLeg({ account, txnRef: leg.txnRef });
          if ('unknown' in result) {
            if (legs.legUnknown(leg.txnRef, Date.now(), UNKNOWN_LEG_POLLS)) {
              log.error('Hoiio does not know this leg; settled as failed', { txnRef: leg.txnRef });
            }
          } else if (result.ongoing) legs.pollAgainLater(leg.txnRef, Date.now());
          else legs.recordEnd(result.end, 'poll', Date.now());
          this.options.changed();
        } catch (error) {
          if (isCancellation(error)) throw error;
          log.warn('Status poll failed; trying again later', { txnRef: leg.txnRef, error: String(error) });
          legs.pollAgainLater(leg.txnRef, Date.now());
        }
      }),
    );
  }
}
