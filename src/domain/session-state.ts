/**
 * The bookkeeping of one conference session, as a pure state machine: who waits, who is in a call, which leg is
 * whose, how each leg ended, and what it all cost. Workflow code drives it (timers, activities, messages); keeping it
 * free of the SDK makes it deterministic by construction and unit-testable without a server.
 */
import { MAX_DESTINATIONS_PER_REQUEST, MAX_ROOM_PARTICIPANTS, type FinalCallStatus } from './hoiio-rules';
import { formatMoney, parseMoney, sumMoney, type Thousandths } from './money';
import { participantNumber } from './session-input';
import type {
  CurrencyTotal,
  ParticipantInput,
  ParticipantStatus,
  ParticipantSummary,
  ParticipantView,
  RedialRules,
  SessionPhase,
  SessionStatus,
  SessionSummary,
} from './session-types';

export interface LegEnd {
  status: FinalCallStatus;
  minutes: number;
  currency: string;
  rate: Thousandths;
  debit: Thousandths;
  /** `assumed`: Hoiio kept saying it had no such leg, so it was settled as failed with nothing billed. */
  source: 'notification' | 'poll' | 'assumed';
  /** The end is known but its cost is not (a poll reply without a debit): a later report may still correct it. */
  provisional?: boolean;
}

/**
 * An ended leg as carried over continue-as-new: a tuple, since a long session carries thousands of them and the
 * server refuses a continue-as-new input over 2 MiB. [txnRef, number, status, minutes, currency, rate, debit,
 * source, provisional (1) or absent].
 */
export type CompactEndedLeg =
  | [string, string, FinalCallStatus, number, string, Thousandths, Thousandths, LegEnd['source']]
  | [string, string, FinalCallStatus, number, string, Thousandths, Thousandths, LegEnd['source'], 1];

export interface LegRecord {
  txnRef: string;
  number: string;
  permitId?: string;
  dialedAt: number;
  /** When to ask voice/query_status if no notification has come. */
  pollAt: number;
  polls: number;
  /** Polls in a row that Hoiio answered with "no such transaction". */
  unknownPolls?: number;
  end?: LegEnd;
}

/** What the session keeps of a participant: the live view's identity fields, plus dialing bookkeeping. */
export interface ParticipantRecord extends Pick<
  ParticipantView,
  'number' | 'name' | 'status' | 'attempts' | 'txnRefs' | 'reason'
> {
  redialAt?: number;
  /** Dial alone: a request with this number failed for a reason that names no number. */
  solo?: boolean;
  /** Never redial: we ended the call ourselves (kick, end). */
  noRedial?: boolean;
}

/** An end-of-call report as it arrives (notification or poll), money still in Hoiio's decimal strings. */
export interface EndReport {
  txnRef: string;
  callStatus: FinalCallStatus;
  durationMinutes: number;
  currency: string;
  rate: string;
  debit: string;
  /** Set when the report does not say what the leg cost (see {@link LegEnd.provisional}). */
  provisional?: boolean;
}

export interface SessionCounters {
  conferenceCall: number;
  historyLookups: number;
  statusPolls: number;
  hangups: number;
  moderations: number;
  /** Failed attempts of dials that finally succeeded, counted by Temporal. */
  retries: number;
  /** Why they failed, as far as the activity's heartbeats tell (may be short of `retries`). */
  retryReasons: Record<string, number>;
  duplicateNotifications: number;
  /** `callEnded` payloads that did not parse: dropped, never applied (absent in snapshots of older runs). */
  malformedMessages?: number;
  /** Ends corrected by a later, authoritative report (absent in snapshots of older runs). */
  correctedEnds?: number;
}

/** Everything a session must carry over continue-as-new: plain JSON. */
export interface SessionSnapshot {
  room: string;
  sessionKey: string;
  startedAt: number;
  batchCounter: number;
  participants: ParticipantRecord[];
  /** Numbers waiting to be dialed, in dialing order. */
  queue: string[];
  /** Legs not yet ended (snapshots of older runs carried ended legs here too). */
  legs: LegRecord[];
  /** Ended legs, compact. */
  endedLegs?: CompactEndedLeg[];
  /** Ends reported for txn_refs we have not yet learnt (the dial activity had not returned). */
  earlyEnds: EndReport[];
  counters: SessionCounters;
}

export interface SessionSettings {
  redial: RedialRules;
  graceMs: number;
  /** Longest wait between two polls of a leg still in progress. */
  maxPollIntervalMs: number;
}

export type EndOutcome = 'recorded' | 'corrected' | 'duplicate' | 'early';

const FINISHED: ReadonlySet<ParticipantStatus> = new Set(['answered', 'unanswered', 'busy', 'failed', 'cancelled']);
const UNKNOWN_LEG_REASON = 'unknown_txn_ref';
const EARLY_ENDS_KEPT = 200;

export class SessionState {
  private readonly participants = new Map<string, ParticipantRecord>();
  private readonly legs = new Map<string, LegRecord>();
  /** The legs of `legs` not yet ended, kept apart: a long session has thousands of ended legs and few live ones. */
  private readonly active = new Map<string, LegRecord>();
  private queue: string[];
  private readonly earlyEnds = new Map<string, EndReport>();
  readonly room: string;
  readonly sessionKey: string;
  readonly startedAt: number;
  private batchCounter: number;
  readonly counters: SessionCounters;

  constructor(
    snapshot: SessionSnapshot,
    private readonly settings: SessionSettings,
  ) {
    this.room = snapshot.room;
    this.sessionKey = snapshot.sessionKey;
    this.startedAt = snapshot.startedAt;
    this.batchCounter = snapshot.batchCounter;
    for (const participant of snapshot.participants) this.participants.set(participant.number, { ...participant });
    for (const leg of snapshot.legs) {
      const copy = { ...leg };
      this.legs.set(leg.txnRef, copy);
      if (!copy.end) this.active.set(leg.txnRef, copy);
    }
    for (const compact of snapshot.endedLegs ?? []) {
      const leg = expandEndedLeg(compact);
      this.legs.set(leg.txnRef, leg);
    }
    for (const end of snapshot.earlyEnds) this.earlyEnds.set(end.txnRef, end);
    this.queue = [...snapshot.queue];
    this.counters = structuredCloneCounters(snapshot.counters);
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
      counters: {
        conferenceCall: 0,
        historyLookups: 0,
        statusPolls: 0,
        hangups: 0,
        moderations: 0,
        retries: 0,
        retryReasons: {},
        duplicateNotifications: 0,
      },
    };
  }

  snapshot(): SessionSnapshot {
    return {
      room: this.room,
      sessionKey: this.sessionKey,
      startedAt: this.startedAt,
      batchCounter: this.batchCounter,
      participants: [...this.participants.values()].map((p) => ({ ...p, txnRefs: [...p.txnRefs] })),
      queue: [...this.queue],
      legs: this.activeLegs().map((leg) => ({ ...leg })),
      endedLegs: [...this.legs.values()].flatMap((leg) => (leg.end ? [compactEndedLeg(leg, leg.end)] : [])),
      earlyEnds: [...this.earlyEnds.values()],
      counters: structuredCloneCounters(this.counters),
    };
  }

  /** Queues new participants; numbers already in the session are skipped. Returns the numbers added. */
  add(entries: readonly ParticipantInput[]): string[] {
    const added: string[] = [];
    for (const entry of entries) {
      const number = participantNumber(entry);
      if (this.participants.has(number)) continue;
      const name = typeof entry === 'string' ? undefined : entry.name;
      this.participants.set(number, { number, ...(name ? { name } : {}), status: 'queued', attempts: 0, txnRefs: [] });
      this.queue.push(number);
      added.push(number);
    }
    return added;
  }

  has(number: string): boolean {
    return this.participants.has(number);
  }

  /** How many participants the session has ever had. */
  get size(): number {
    return this.participants.size;
  }

  /** Participants whose turn has come, in queue order. */
  ready(now: number): ParticipantRecord[] {
    return this.queue
      .map((number) => this.participants.get(number)!)
      .filter((p) => p.status === 'queued' || (p.status === 'redial-wait' && (p.redialAt ?? 0) <= now));
  }

  /** Legs placed and not yet ended: they occupy the room and hold permits. */
  activeLegs(): LegRecord[] {
    return [...this.active.values()];
  }

  /** Places left in the room, counting legs being dialed right now (`inFlight`). */
  vacancies(inFlight = 0): number {
    return Math.max(0, MAX_ROOM_PARTICIPANTS - this.activeLegs().length - inFlight);
  }

  /**
   * The next request: up to `permits` ready participants, never more than 8 numbers per request and never more than
   * the room has places for (counting `inFlight` legs being dialed). A participant marked solo goes alone, so that a
   * number-specific rejection can be pinned on it.
   */
  nextBatch(now: number, permits: number, inFlight = 0): ParticipantRecord[] {
    const max = Math.min(permits, MAX_DESTINATIONS_PER_REQUEST, this.vacancies(inFlight));
    const ready = this.ready(now);
    if (ready.length === 0 || max < 1) return [];
    const first = ready[0]!;
    if (first.solo) return [first];
    return ready.filter((p) => !p.solo).slice(0, max);
  }

  /** Marks a batch as being dialed (one attempt each) and returns its unique batch number. */
  beginDial(numbers: readonly string[]): number {
    this.batchCounter += 1;
    for (const number of numbers) {
      const participant = this.participants.get(number)!;
      participant.status = 'in-call';
      participant.attempts += 1;
      delete participant.redialAt;
    }
    this.queue = this.queue.filter((number) => !numbers.includes(number));
    return this.batchCounter;
  }

  /** A leg exists for this number. An end reported before we knew the txn_ref is applied now. */
  legPlaced(number: string, txnRef: string, permitId: string | undefined, now: number): LegRecord {
    const participant = this.participants.get(number)!;
    if (!participant.txnRefs.includes(txnRef)) participant.txnRefs.push(txnRef);
    const leg: LegRecord = {
      txnRef,
      number,
      ...(permitId ? { permitId } : {}),
      dialedAt: now,
      pollAt: now + this.settings.graceMs,
      polls: 0,
    };
    this.legs.set(txnRef, leg);
    this.active.set(txnRef, leg);
    const early = this.earlyEnds.get(txnRef);
    if (early) {
      this.earlyEnds.delete(txnRef);
      this.applyEnd(leg, early, 'notification', now);
    }
    return leg;
  }

  /** The request for these numbers was not placed: back to the front of the queue, the attempt not counted. */
  dialNotPlaced(numbers: readonly string[], options: { solo: boolean }): void {
    for (const number of numbers) {
      const participant = this.participants.get(number)!;
      participant.status = 'queued';
      participant.attempts = Math.max(0, participant.attempts - 1);
      if (options.solo) participant.solo = true;
    }
    this.queue = [...numbers, ...this.queue.filter((number) => !numbers.includes(number))];
  }

  /** These participants cannot be dialed at all (the reason is Hoiio's status). */
  dialFailed(numbers: readonly string[], reason: string): void {
    for (const number of numbers) {
      const participant = this.participants.get(number)!;
      participant.status = 'failed';
      participant.reason = reason;
      delete participant.solo;
    }
    this.queue = this.queue.filter((number) => !numbers.includes(number));
  }

  /**
   * Applies an end-of-call report. A report for a leg already ended is a duplicate and changes nothing; one for a
   * txn_ref not yet known is kept until the leg is (the notification can beat the dial activity's reply).
   */
  recordEnd(report: EndReport, source: LegEnd['source'], now: number): EndOutcome {
    const leg = this.legs.get(report.txnRef);
    if (!leg) {
      if (this.earlyEnds.has(report.txnRef)) return 'duplicate';
      this.earlyEnds.set(report.txnRef, report);
      while (this.earlyEnds.size > EARLY_ENDS_KEPT) this.earlyEnds.delete(this.earlyEnds.keys().next().value!);
      return 'early';
    }
    if (leg.end) {
      if ((leg.end.source === 'assumed' || leg.end.provisional) && !report.provisional) {
        this.correctEnd(leg, report, source);
        return 'corrected';
      }
      if (source === 'notification') this.counters.duplicateNotifications += 1;
      return 'duplicate';
    }
    this.applyEnd(leg, report, source, now);
    return 'recorded';
  }

  /**
   * An authoritative report for a leg settled without one (assumed failed, or ended at an unknown cost): the leg
   * takes the report's status and cost, and so does its participant if this was their last leg. Redial rules are not
   * applied again: the participant's turn has passed.
   */
  private correctEnd(leg: LegRecord, report: EndReport, source: LegEnd['source']): void {
    leg.end = endOf(report, source);
    this.counters.correctedEnds = (this.counters.correctedEnds ?? 0) + 1;
    const participant = this.participants.get(leg.number);
    if (!participant || participant.txnRefs.at(-1) !== leg.txnRef || !FINISHED.has(participant.status)) return;
    participant.status = report.callStatus;
    if (participant.reason === UNKNOWN_LEG_REASON) delete participant.reason;
  }

  /** A `callEnded` payload that did not parse was dropped. */
  countMalformedMessage(): void {
    this.counters.malformedMessages = (this.counters.malformedMessages ?? 0) + 1;
  }

  private applyEnd(leg: LegRecord, report: EndReport, source: LegEnd['source'], now: number): void {
    leg.end = endOf(report, source);
    this.active.delete(leg.txnRef);
    const participant = this.participants.get(leg.number)!;
    if (participant.status !== 'in-call') return; // e.g. a late leg of a participant already settled
    if (report.callStatus === 'answered') {
      participant.status = 'answered';
      return;
    }
    const rule = this.settings.redial[report.callStatus];
    if (rule && !participant.noRedial && participant.attempts < 1 + rule.attempts) {
      participant.status = 'redial-wait';
      participant.redialAt = now + rule.delaySeconds * 1000;
      this.queue.push(participant.number);
    } else {
      participant.status = report.callStatus;
    }
  }

  /** We are ending this participant's call ourselves (kick, end): its end is final, whatever the redial rules say. */
  endedByUs(number: string, reason?: string): void {
    const participant = this.participants.get(number);
    if (!participant) return;
    participant.noRedial = true;
    if (reason) participant.reason = reason;
  }

  /** The active leg of a participant, if any. */
  activeLegOf(number: string): LegRecord | undefined {
    return this.activeLegs().find((leg) => leg.number === number);
  }

  legsDueForPoll(now: number): LegRecord[] {
    return this.activeLegs().filter((leg) => leg.pollAt <= now);
  }

  /**
   * Hoiio says it has no such leg. Once is a hiccup; after `limit` answers in a row the leg is settled as failed with
   * nothing billed, so that a session cannot wait forever for a leg no one will ever report. Returns true when settled.
   */
  legUnknown(txnRef: string, now: number, limit: number): boolean {
    const leg = this.legs.get(txnRef);
    if (!leg || leg.end) return false;
    leg.unknownPolls = (leg.unknownPolls ?? 0) + 1;
    if (leg.unknownPolls < limit) {
      this.pollAgainLater(txnRef, now);
      return false;
    }
    this.endedByUs(leg.number);
    const report: EndReport = { txnRef, callStatus: 'failed', durationMinutes: 0, currency: '', rate: '0', debit: '0' };
    this.applyEnd(leg, report, 'assumed', now);
    const participant = this.participants.get(leg.number);
    if (participant) participant.reason ??= UNKNOWN_LEG_REASON;
    return true;
  }

  /** The leg is still in progress: ask again later, waiting longer each time. */
  pollAgainLater(txnRef: string, now: number): void {
    const leg = this.legs.get(txnRef);
    if (!leg || leg.end) return;
    leg.polls += 1;
    const interval = Math.min(this.settings.graceMs * 2 ** leg.polls, this.settings.maxPollIntervalMs);
    leg.pollAt = now + interval;
  }

  /**
   * Everyone still waiting will not be dialed: never-dialed participants become `status` (cancelled when the session
   * ends, failed when the account cannot dial), and an abandoned redial keeps the outcome of its last leg. Returns
   * how many were waiting.
   */
  abandonWaiting(status: 'cancelled' | 'failed', reason: string): number {
    let abandoned = 0;
    for (const number of this.queue) {
      const participant = this.participants.get(number)!;
      if (participant.status === 'redial-wait') participant.status = this.lastLegStatus(number) ?? status;
      else if (participant.status === 'queued') participant.status = status;
      else continue;
      participant.reason ??= reason;
      delete participant.redialAt;
      delete participant.solo;
      abandoned += 1;
    }
    this.queue = [];
    return abandoned;
  }

  private lastLegStatus(number: string): FinalCallStatus | undefined {
    const txnRef = this.participants.get(number)?.txnRefs.at(-1);
    return txnRef ? this.legs.get(txnRef)?.end?.status : undefined;
  }

  /** The earliest moment something is due by the clock (a redial, a poll), or undefined. */
  nextDueAt(): number | undefined {
    return earliestOf(this.nextRedialAt(), this.nextPollAt());
  }

  /** When the next waiting redial is due, or undefined. */
  nextRedialAt(): number | undefined {
    let next: number | undefined;
    for (const number of this.queue) {
      const participant = this.participants.get(number)!;
      if (participant.status === 'redial-wait' && participant.redialAt !== undefined) {
        next = earliestOf(next, participant.redialAt);
      }
    }
    return next;
  }

  /** When the next active leg is due for a status poll, or undefined. */
  nextPollAt(): number | undefined {
    let next: number | undefined;
    for (const leg of this.active.values()) next = earliestOf(next, leg.pollAt);
    return next;
  }

  /** Nothing waiting, nothing in a call: the session can finish. */
  settled(): boolean {
    return this.queue.length === 0 && this.activeLegs().length === 0;
  }

  permitsOfActiveLegs(): string[] {
    return this.activeLegs().flatMap((leg) => (leg.permitId ? [leg.permitId] : []));
  }

  status(phase: SessionPhase): SessionStatus {
    const participants = [...this.participants.values()].map((p) => this.view(p));
    const counts: SessionStatus['counts'] = {};
    for (const p of participants) counts[p.status] = (counts[p.status] ?? 0) + 1;
    return {
      room: this.room,
      phase,
      participants,
      counts,
      activeLegs: this.activeLegs().length,
      costSoFar: this.totals(),
    };
  }

  summary(options: { endedAt: number; endedBy: SessionSummary['endedBy'] }): SessionSummary {
    const participants: ParticipantSummary[] = [...this.participants.values()].map((p) => {
      const view = this.view(p);
      // A leg settled without a report (unknown to Hoiio) has no currency and says nothing about the rate.
      const lastBilled = this.legsOf(p.number)
        .filter((leg) => leg.end?.currency)
        .at(-1)?.end;
      const status = FINISHED.has(p.status) ? p.status : 'cancelled';
      return {
        number: p.number,
        ...(p.name ? { name: p.name } : {}),
        status: status as ParticipantSummary['status'],
        ...(p.reason ? { reason: p.reason } : {}),
        attempts: p.attempts,
        txnRefs: [...p.txnRefs],
        minutes: view.minutes,
        ...(lastBilled ? { rate: formatMoney(lastBilled.rate), currency: lastBilled.currency } : {}),
        debit: view.debit ?? formatMoney(0),
      };
    });
    const outcomes: SessionSummary['outcomes'] = {};
    for (const p of participants) outcomes[p.status] = (outcomes[p.status] ?? 0) + 1;
    const ended = [...this.legs.values()].filter((leg) => leg.end);
    return {
      room: this.room,
      startedAt: new Date(this.startedAt).toISOString(),
      endedAt: new Date(options.endedAt).toISOString(),
      endedBy: options.endedBy,
      participants,
      totals: this.totals(),
      outcomes,
      requests: {
        conferenceCall: this.counters.conferenceCall,
        historyLookups: this.counters.historyLookups,
        statusPolls: this.counters.statusPolls,
        hangups: this.counters.hangups,
        moderations: this.counters.moderations,
      },
      retries: { total: this.counters.retries, reasons: { ...this.counters.retryReasons } },
      legs: {
        total: this.legs.size,
        endedBy: {
          notification: ended.filter((leg) => leg.end!.source === 'notification').length,
          poll: ended.filter((leg) => leg.end!.source === 'poll').length,
          assumed: ended.filter((leg) => leg.end!.source === 'assumed').length,
        },
        costUnknown: ended.filter((leg) => leg.end!.provisional).length,
        corrected: this.counters.correctedEnds ?? 0,
        duplicateNotifications: this.counters.duplicateNotifications,
        malformedNotifications: this.counters.malformedMessages ?? 0,
      },
    };
  }

  countRetries(attempts: number, reasons: readonly string[]): void {
    this.counters.retries += Math.max(0, attempts - 1);
    for (const reason of reasons) this.counters.retryReasons[reason] = (this.counters.retryReasons[reason] ?? 0) + 1;
  }

  private legsOf(number: string): LegRecord[] {
    const participant = this.participants.get(number);
    return (participant?.txnRefs ?? []).flatMap((txnRef) => {
      const leg = this.legs.get(txnRef);
      return leg ? [leg] : [];
    });
  }

  private view(p: ParticipantRecord): ParticipantView {
    const ended = this.legsOf(p.number).flatMap((leg) => (leg.end ? [leg.end] : []));
    const currency = ended.at(-1)?.currency;
    return {
      number: p.number,
      ...(p.name ? { name: p.name } : {}),
      status: p.status,
      attempts: p.attempts,
      txnRefs: [...p.txnRefs],
      ...(p.reason ? { reason: p.reason } : {}),
      minutes: ended.reduce((total, end) => total + end.minutes, 0),
      ...(currency ? { debit: formatMoney(sumMoney(ended.map((end) => end.debit))), currency } : {}),
    };
  }

  private totals(): CurrencyTotal[] {
    const byCurrency = new Map<string, { debit: Thousandths[]; minutes: number }>();
    for (const leg of this.legs.values()) {
      if (!leg.end?.currency) continue;
      const entry = byCurrency.get(leg.end.currency) ?? { debit: [], minutes: 0 };
      entry.debit.push(leg.end.debit);
      entry.minutes += leg.end.minutes;
      byCurrency.set(leg.end.currency, entry);
    }
    return [...byCurrency.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, entry]) => ({ currency, debit: formatMoney(sumMoney(entry.debit)), minutes: entry.minutes }));
  }
}

function earliestOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

function endOf(report: EndReport, source: LegEnd['source']): LegEnd {
  return {
    status: report.callStatus,
    minutes: report.durationMinutes,
    currency: report.currency,
    rate: parseMoney(report.rate),
    debit: parseMoney(report.debit),
    source,
    ...(report.provisional ? { provisional: true } : {}),
  };
}

function compactEndedLeg(leg: LegRecord, end: LegEnd): CompactEndedLeg {
  const fields: CompactEndedLeg = [
    leg.txnRef,
    leg.number,
    end.status,
    end.minutes,
    end.currency,
    end.rate,
    end.debit,
    end.source,
  ];
  return end.provisional ? [...fields, 1] : fields;
}

function expandEndedLeg(compact: CompactEndedLeg): LegRecord {
  const [txnRef, number, status, minutes, currency, rate, debit, source, provisional] = compact;
  return {
    txnRef,
    number,
    dialedAt: 0,
    pollAt: 0,
    polls: 0,
    end: { status, minutes, currency, rate, debit, source, ...(provisional ? { provisional: true } : {}) },
  };
}

function structuredCloneCounters(counters: SessionCounters): SessionCounters {
  return { ...counters, retryReasons: { ...counters.retryReasons } };
}
