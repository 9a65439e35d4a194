/**
 * The bookkeeping of one conference session, as a pure state machine: planning ({@link SessionPlan}: who waits, who
 * goes next), leg tracking ({@link LegBook}: which leg is whose and how each ended) and reporting (`session-report`),
 * joined here and carried over continue-as-new as one plain-JSON snapshot. Workflow code drives it (timers,
 * activities, messages); keeping it free of the SDK makes it deterministic by construction (docs/design.md,
 * invariant 8) and unit-testable without a server.
 */
import { CallCounters, emptyCounters, type SessionCounters } from './call-counters';
import { MAX_ROOM_PARTICIPANTS } from './hoiio-rules';
import { LegBook, type LegRecord } from './leg-book';
import { SessionPlan, type ParticipantRecord, type SessionPlanSnapshot } from './session-plan';
import { currencyTotals, sessionStatus, sessionSummary, type SessionRecord } from './session-report';
import type {
  CurrencyTotal,
  ParticipantInput,
  ParticipantStatus,
  RedialRules,
  SessionPermits,
  SessionPhase,
  SessionStatus,
  SessionSummary,
} from './session-types';
import { liveViews } from './wait-reasons';

export type { SessionCounters } from './call-counters';
export type { CompactEndedLeg, EndOutcome, EndReport, LegEnd, LegRecord } from './leg-book';
export type { ParticipantRecord } from './session-plan';

/** Everything a session must carry over continue-as-new: plain JSON. */
export interface SessionSnapshot extends SessionPlanSnapshot, ReturnType<LegBook['snapshot']> {
  room: string;
  sessionKey: string;
  startedAt: number;
  counters: SessionCounters;
}

export interface SessionSettings {
  redial: RedialRules;
  graceMs: number;
  /** Longest wait between two polls of a leg still in progress. */
  maxPollIntervalMs: number;
}

export class SessionState {
  readonly room: string;
  readonly sessionKey: string;
  readonly startedAt: number;
  readonly counters: CallCounters;
  readonly legs: LegBook;
  private readonly plan: SessionPlan;

  constructor(snapshot: SessionSnapshot, settings: SessionSettings) {
    this.room = snapshot.room;
    this.sessionKey = snapshot.sessionKey;
    this.startedAt = snapshot.startedAt;
    this.counters = new CallCounters(snapshot.counters);
    this.plan = new SessionPlan(snapshot, settings.redial, (txnRef) => this.legs.get(txnRef)?.end?.status);
    this.legs = new LegBook(snapshot, settings, this.counters, this.plan);
  }

  static start(options: { room: string; sessionKey: string; now: number }): SessionSnapshot {
    return {
      room: options.room,
      sessionKey: options.sessionKey,
      startedAt: options.now,
      batchCounter: 0,
      participants: [],
      queue: [],
      legs: [],
      earlyEnds: [],
      counters: emptyCounters(),
    };
  }

  snapshot(): SessionSnapshot {
    const plan = this.plan.snapshot();
    return {
      room: this.room,
      sessionKey: this.sessionKey,
      startedAt: this.startedAt,
      batchCounter: plan.batchCounter,
      participants: plan.participants,
      queue: plan.queue,
      ...this.legs.snapshot(),
      counters: this.counters.read(),
    };
  }

  /** Queues new participants; numbers already in the session are skipped. Returns the numbers added. */
  add(entries: readonly ParticipantInput[]): string[] {
    return this.plan.add(entries);
  }

  has(number: string): boolean {
    return this.plan.get(number) !== undefined;
  }

  statusOf(number: string): ParticipantStatus | undefined {
    return this.plan.get(number)?.status;
  }

  /** Queues a participant whose call has ended to be dialed again (see {@link SessionPlan.dialAgain}). */
  redial(number: string): boolean {
    return this.plan.dialAgain(number);
  }

  /** How many participants the session has ever had. */
  get size(): number {
    return this.plan.list().length;
  }

  /** Participants whose turn has come, in queue order. */
  ready(now: number): ParticipantRecord[] {
    return this.plan.ready(now);
  }

  /** Places left in the room, counting legs being dialed right now (`inFlight`). */
  vacancies(inFlight = 0): number {
    return Math.max(0, MAX_ROOM_PARTICIPANTS - this.legs.activeLegs().length - inFlight);
  }

  /** The next request (see {@link SessionPlan.nextBatch}), counting `inFlight` legs being dialed as in the room. */
  nextBatch(now: number, permits: number, inFlight = 0): ParticipantRecord[] {
    return this.plan.nextBatch(now, permits, this.vacancies(inFlight));
  }

  beginDial(numbers: readonly string[]): number {
    return this.plan.beginDial(numbers);
  }

  dialNotPlaced(numbers: readonly string[], options: { solo: boolean }): void {
    this.plan.dialNotPlaced(numbers, options);
  }

  dialFailed(numbers: readonly string[], reason: string): void {
    this.plan.dialFailed(numbers, reason);
  }

  /** Participants a partial run leaves out: never dialed, `cancelled` with the reason. */
  notDialed(numbers: readonly string[], reason: string): void {
    this.plan.dialFailed(numbers, reason, 'cancelled');
  }

  /** What the legs ended so far have cost, per currency: the exact sum of their debits. */
  costSoFar(): CurrencyTotal[] {
    return currencyTotals(this.legs.all());
  }

  endedByUs(number: string, reason?: string): void {
    this.plan.endedByUs(number, reason);
  }

  abandonWaiting(status: 'cancelled' | 'failed', reason: string): number {
    return this.plan.abandonWaiting(status, reason);
  }

  activeLegOf(number: string): LegRecord | undefined {
    return this.legs.activeLegOf(number);
  }

  nextRedialAt(): number | undefined {
    return this.plan.nextRedialAt();
  }

  /** Nothing waiting, nothing in a call: the session can finish. */
  settled(): boolean {
    return this.plan.waiting === 0 && this.legs.activeLegs().length === 0;
  }

  /**
   * The live status. Given `live` (the clock and the session's permits), it also says why each waiting participant
   * waits and what each live call is doing.
   */
  status(phase: SessionPhase, live?: { now: number; permits?: SessionPermits }): SessionStatus {
    if (!live) return sessionStatus(this.record(), phase);
    const views = liveViews({
      now: live.now,
      ready: phase === 'running' ? this.ready(live.now) : [],
      participants: this.plan.list(),
      activeLegOf: (number) => this.legs.activeLegOf(number),
      activeLegs: this.legs.activeLegs().length,
      vacancies: this.vacancies(),
      permitsAvailable: live.permits?.available ?? 0,
    });
    return sessionStatus(this.record(), phase, { ...views, ...(live.permits ? { permits: live.permits } : {}) });
  }

  /** Hoiio accepted a mute or an unmute of this leg. */
  setMuted(txnRef: string, muted: boolean): void {
    this.legs.setMuted(txnRef, muted);
  }

  summary(options: { endedAt: number; endedBy: SessionSummary['endedBy']; endReason?: string }): SessionSummary {
    return sessionSummary(this.record(), options);
  }

  private record(): SessionRecord {
    return {
      room: this.room,
      startedAt: this.startedAt,
      participants: this.plan.list(),
      legs: this.legs.all(),
      activeLegs: this.legs.activeLegs().length,
      leg: (txnRef) => this.legs.get(txnRef),
      counters: this.counters.read(),
    };
  }
}
