/**
 * Leg tracking, as a pure state machine: every call leg placed (by txn_ref), how each ended, and when a leg with no
 * end yet is due for a status poll. It knows nothing of who the legs are for: a {@link LegListener} hears each leg
 * placed and ended, and decides what that means (a session's redial rules, an escalation's next step).
 *
 * The cases it settles: a duplicate report changes nothing, so no cost is counted twice (docs/design.md, invariant
 * 4); an end reported before the dial's reply names the leg is kept and applied once it does; a leg Hoiio keeps not
 * knowing is settled as failed with nothing billed; an end known without its cost is provisional, and a later
 * authoritative report corrects it.
 */
import type { FinalCallStatus } from './hoiio-rules';
import { parseMoney, type Thousandths } from './money';
import type { CallCounters } from './call-counters';
import { earliest } from './earliest';

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
 * source, provisional (1) or absent], then, for a leg whose end time is known, provisional as 1 or 0, dialedAt and
 * endedAt (runs of older releases carried no times).
 */
type CompactEndedFields = [string, string, FinalCallStatus, number, string, Thousandths, Thousandths, LegEnd['source']];
export type CompactEndedLeg =
  CompactEndedFields | [...CompactEndedFields, 1] | [...CompactEndedFields, 0 | 1, number, number];

export interface LegRecord {
  txnRef: string;
  number: string;
  permitId?: string;
  dialedAt: number;
  /**
   * When the session learnt of the leg's first end (workflow clock, epoch ms). Absent while the leg is live, and for
   * legs ended in runs of older releases, whose `dialedAt` was not carried either (0).
   */
  endedAt?: number;
  /** When to ask voice/query_status if no notification has come. */
  pollAt: number;
  polls: number;
  /** Polls in a row that Hoiio answered with "no such transaction". */
  unknownPolls?: number;
  /** Muted by us (conference/moderate), and not unmuted since. */
  muted?: boolean;
  end?: LegEnd;
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

export type EndOutcome = 'recorded' | 'corrected' | 'duplicate' | 'early';

/** The legs' part of a snapshot: plain JSON. */
export interface LegBookSnapshot {
  /** Legs not yet ended (snapshots of older runs carried ended legs here too). */
  legs: LegRecord[];
  /** Ended legs, compact. */
  endedLegs?: CompactEndedLeg[];
  /** Ends reported for txn_refs we have not yet learnt (the dial activity had not returned). */
  earlyEnds: EndReport[];
}

export interface LegTiming {
  /** How long a leg may go without a notification before it is polled. */
  graceMs: number;
  /** Longest wait between two polls of a leg still in progress. */
  maxPollIntervalMs: number;
}

export interface LegListener {
  legPlaced(leg: LegRecord): void;
  /** The leg's first end (`leg.end` is set), from a report or assumed. */
  legEnded(leg: LegRecord, now: number): void;
  /** A settled leg's end was replaced by an authoritative report. */
  endCorrected(leg: LegRecord): void;
}

const EARLY_ENDS_KEPT = 200;

export class LegBook {
  private readonly legs = new Map<string, LegRecord>();
  /** The legs of `legs` not yet ended, kept apart: a long session has thousands of ended legs and few live ones. */
  private readonly active = new Map<string, LegRecord>();
  private readonly earlyEnds = new Map<string, EndReport>();

  constructor(
    snapshot: LegBookSnapshot,
    private readonly timing: LegTiming,
    private readonly counters: CallCounters,
    private readonly listener: LegListener,
  ) {
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
  }

  snapshot(): LegBookSnapshot {
    return {
      legs: this.activeLegs().map((leg) => ({ ...leg })),
      endedLegs: [...this.legs.values()].flatMap((leg) => (leg.end ? [compactEndedLeg(leg, leg.end)] : [])),
      earlyEnds: [...this.earlyEnds.values()],
    };
  }

  /** A leg exists for this number. An end reported before we knew the txn_ref is applied now. */
  legPlaced(number: string, txnRef: string, permitId: string | undefined, now: number): LegRecord {
    const leg: LegRecord = {
      txnRef,
      number,
      ...(permitId ? { permitId } : {}),
      dialedAt: now,
      pollAt: now + this.timing.graceMs,
      polls: 0,
    };
    this.listener.legPlaced(leg);
    this.legs.set(txnRef, leg);
    this.active.set(txnRef, leg);
    const early = this.earlyEnds.get(txnRef);
    if (early) {
      this.earlyEnds.delete(txnRef);
      this.applyEnd(leg, early, 'notification', now);
    }
    return leg;
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
        leg.end = endOf(report, source);
        this.counters.endCorrected();
        this.listener.endCorrected(leg);
        return 'corrected';
      }
      if (source === 'notification') this.counters.duplicateNotification();
      return 'duplicate';
    }
    this.applyEnd(leg, report, source, now);
    return 'recorded';
  }

  /**
   * Hoiio says it has no such leg. Once is a hiccup; after `limit` answers in a row the leg is settled as failed with
   * nothing billed, so that nobody waits forever for a leg no one will ever report. Returns true when settled.
   */
  legUnknown(txnRef: string, now: number, limit: number): boolean {
    const leg = this.legs.get(txnRef);
    if (!leg || leg.end) return false;
    leg.unknownPolls = (leg.unknownPolls ?? 0) + 1;
    if (leg.unknownPolls < limit) {
      this.pollAgainLater(txnRef, now);
      return false;
    }
    const report: EndReport = { txnRef, callStatus: 'failed', durationMinutes: 0, currency: '', rate: '0', debit: '0' };
    this.applyEnd(leg, report, 'assumed', now);
    return true;
  }

  /** The leg is still in progress: ask again later, waiting longer each time. */
  pollAgainLater(txnRef: string, now: number): void {
    const leg = this.legs.get(txnRef);
    if (!leg || leg.end) return;
    leg.polls += 1;
    const interval = Math.min(this.timing.graceMs * 2 ** leg.polls, this.timing.maxPollIntervalMs);
    leg.pollAt = now + interval;
  }

  /** Hoiio accepted a mute or an unmute of a live leg. */
  setMuted(txnRef: string, muted: boolean): void {
    const leg = this.active.get(txnRef);
    if (!leg) return;
    if (muted) leg.muted = true;
    else delete leg.muted;
  }

  get(txnRef: string): LegRecord | undefined {
    return this.legs.get(txnRef);
  }

  /** Every leg ever placed, ended or not. */
  all(): LegRecord[] {
    return [...this.legs.values()];
  }

  /** Legs placed and not yet ended: they occupy the room and hold permits. */
  activeLegs(): LegRecord[] {
    return [...this.active.values()];
  }

  activeLegOf(number: string): LegRecord | undefined {
    return this.activeLegs().find((leg) => leg.number === number);
  }

  permitsOfActiveLegs(): string[] {
    return this.activeLegs().flatMap((leg) => (leg.permitId ? [leg.permitId] : []));
  }

  legsDueForPoll(now: number): LegRecord[] {
    return this.activeLegs().filter((leg) => leg.pollAt <= now);
  }

  /** When the next active leg is due for a status poll, or undefined. */
  nextPollAt(): number | undefined {
    let next: number | undefined;
    for (const leg of this.active.values()) next = earliest(next, leg.pollAt);
    return next;
  }

  private applyEnd(leg: LegRecord, report: EndReport, source: LegEnd['source'], now: number): void {
    leg.end = endOf(report, source);
    leg.endedAt = now;
    this.active.delete(leg.txnRef);
    this.listener.legEnded(leg, now);
  }
}

export function endOf(report: EndReport, source: LegEnd['source']): LegEnd {
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
  if (leg.endedAt !== undefined) return [...fields, end.provisional ? 1 : 0, leg.dialedAt, leg.endedAt];
  return end.provisional ? [...fields, 1] : fields;
}

function expandEndedLeg(compact: CompactEndedLeg): LegRecord {
  const [txnRef, number, status, minutes, currency, rate, debit, source, provisional, dialedAt, endedAt] = compact;
  return {
    txnRef,
    number,
    dialedAt: dialedAt ?? 0,
    ...(endedAt === undefined ? {} : { endedAt }),
    pollAt: 0,
    polls: 0,
    end: { status, minutes, currency, rate, debit, source, ...(provisional ? { provisional: true } : {}) },
  };
}
