/**
 * Reporting, pure: a session's live status and its final summary, read from its participants, its legs and its
 * counters. Money is summed in integer thousandths and formatted once (docs/design.md, invariant 4).
 */
import type { SessionCounters } from './call-counters';
import type { LegEnd, LegRecord } from './leg-book';
import { formatMoney, sumMoney, type Thousandths } from './money';
import { FINISHED, type ParticipantRecord } from './session-plan';
import type { LiveViews } from './wait-reasons';
import type {
  CurrencyTotal,
  LegSummary,
  ParticipantSummary,
  ParticipantView,
  SessionPermits,
  SessionPhase,
  SessionStatus,
  SessionSummary,
} from './session-types';

/** What a report is made from. */
export interface SessionRecord {
  room: string;
  startedAt: number;
  participants: readonly ParticipantRecord[];
  /** Every leg ever placed. */
  legs: readonly LegRecord[];
  activeLegs: number;
  /** Looks a leg up by txn_ref. */
  leg(txnRef: string): LegRecord | undefined;
  counters: SessionCounters;
}

/** What only a live status shows: why each waiting participant waits, each live call, the session's permits. */
export interface LiveRecord extends LiveViews {
  permits?: SessionPermits;
}

export function sessionStatus(record: SessionRecord, phase: SessionPhase, live?: LiveRecord): SessionStatus {
  const participants = record.participants.map((p) => {
    const view = participantView(record, p);
    const waiting = live?.waiting.get(p.number);
    const call = live?.calls.get(p.number);
    return { ...view, ...(waiting ? { waiting } : {}), ...(call ? { call } : {}) };
  });
  const counts: SessionStatus['counts'] = {};
  for (const p of participants) counts[p.status] = (counts[p.status] ?? 0) + 1;
  return {
    room: record.room,
    phase,
    participants,
    counts,
    activeLegs: record.activeLegs,
    costSoFar: currencyTotals(record.legs),
    ...(live?.permits ? { permits: live.permits } : {}),
  };
}

export function sessionSummary(
  record: SessionRecord,
  options: { endedAt: number; endedBy: SessionSummary['endedBy']; endReason?: string },
): SessionSummary {
  const participants = record.participants.map((p) => participantSummary(record, p));
  const outcomes: SessionSummary['outcomes'] = {};
  for (const p of participants) outcomes[p.status] = (outcomes[p.status] ?? 0) + 1;
  const ended = record.legs.filter((leg) => leg.end);
  const { counters } = record;
  return {
    room: record.room,
    startedAt: new Date(record.startedAt).toISOString(),
    endedAt: new Date(options.endedAt).toISOString(),
    endedBy: options.endedBy,
    ...(options.endReason ? { endReason: options.endReason } : {}),
    participants,
    totals: currencyTotals(record.legs),
    outcomes,
    requests: {
      conferenceCall: counters.conferenceCall,
      historyLookups: counters.historyLookups,
      statusPolls: counters.statusPolls,
      hangups: counters.hangups,
      moderations: counters.moderations,
    },
    retries: { total: counters.retries, reasons: { ...counters.retryReasons } },
    legs: {
      total: record.legs.length,
      endedBy: {
        notification: ended.filter((leg) => leg.end!.source === 'notification').length,
        poll: ended.filter((leg) => leg.end!.source === 'poll').length,
        assumed: ended.filter((leg) => leg.end!.source === 'assumed').length,
      },
      costUnknown: ended.filter((leg) => leg.end!.provisional).length,
      corrected: counters.correctedEnds ?? 0,
      duplicateNotifications: counters.duplicateNotifications,
      malformedNotifications: counters.malformedMessages ?? 0,
    },
  };
}

function participantSummary(record: SessionRecord, p: ParticipantRecord): ParticipantSummary {
  const view = participantView(record, p);
  const legs = legsOf(record, p).flatMap((leg) => (leg.end ? [legSummary(leg, leg.end)] : []));
  // A leg settled without a report (unknown to Hoiio) has no currency and says nothing about the rate.
  const lastBilled = legsOf(record, p)
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
    ...(legs.length > 0 ? { legs } : {}),
  };
}

function legSummary(leg: LegRecord, end: LegEnd): LegSummary {
  return {
    txnRef: leg.txnRef,
    status: end.status,
    minutes: end.minutes,
    debit: formatMoney(end.debit),
    ...(end.currency ? { currency: end.currency } : {}),
    // Legs ended in a run of an older release carried no times (dialedAt 0, no endedAt).
    ...(leg.endedAt === undefined
      ? {}
      : { dialedAt: new Date(leg.dialedAt).toISOString(), endedAt: new Date(leg.endedAt).toISOString() }),
  };
}

function participantView(record: SessionRecord, p: ParticipantRecord): ParticipantView {
  const legs = legsOf(record, p);
  const ended = legs.flatMap((leg) => (leg.end ? [leg.end] : []));
  const currency = ended.at(-1)?.currency;
  // The plan says in-call from the dial's start; until the dial has placed a leg, the participant is only dialed.
  const dialing = p.status === 'in-call' && ended.length === legs.length;
  return {
    number: p.number,
    ...(p.name ? { name: p.name } : {}),
    status: dialing ? 'dialing' : p.status,
    attempts: p.attempts,
    txnRefs: [...p.txnRefs],
    ...(p.reason ? { reason: p.reason } : {}),
    minutes: ended.reduce((total, end) => total + end.minutes, 0),
    ...(currency ? { debit: formatMoney(sumMoney(ended.map((end) => end.debit))), currency } : {}),
  };
}

function legsOf(record: SessionRecord, p: ParticipantRecord): LegRecord[] {
  return p.txnRefs.flatMap((txnRef) => {
    const leg = record.leg(txnRef);
    return leg ? [leg] : [];
  });
}

/** Billed minutes and debit per currency, summed exactly, in currency order (of a session's legs, or a report's). */
export function currencyTotals(
  legs: readonly { end?: Pick<LegEnd, 'currency' | 'debit' | 'minutes'> }[],
): CurrencyTotal[] {
  const byCurrency = new Map<string, { debit: Thousandths[]; minutes: number }>();
  for (const leg of legs) {
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
