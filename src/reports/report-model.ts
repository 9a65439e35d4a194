/**
 * A report over sessions, pure: from what was gathered of each run (its summary, or how it failed) to the rows every
 * format prints: per run, per participant across runs, per leg with its line on the account, and totals per currency.
 * Money is summed in integer thousandths by `currencyTotals`, the summary's own sum (docs/design.md, invariant 4).
 */
import { parseMoney } from '../domain/money';
import { currencyTotals } from '../domain/session-report';
import type { CurrencyTotal, LegSummary, SessionSummary } from '../domain/session-types';
import { assignLines } from './lines';
import { localTime } from './time-zone';

/** One workflow run as gathered from Temporal. */
export interface GatheredRun {
  workflowId: string;
  runId: string;
  /** Temporal's status name: COMPLETED, FAILED, RUNNING, TERMINATED, … */
  status: string;
  startedAt: Date;
  closedAt?: Date;
  /** The schedule that started it (`TemporalScheduledById`). */
  scheduleId?: string;
  /** A completed run's result. */
  summary?: SessionSummary;
  /** Why a run that did not complete ended (its failure's message), when it has. */
  failure?: string;
}

/** One leg, as a report row and a bar of the timeline. */
export interface ReportLeg {
  workflowId: string;
  room: string;
  number: string;
  name?: string;
  txnRef: string;
  status: LegSummary['status'];
  minutes: number;
  debit: string;
  currency?: string;
  dialedAt?: string;
  endedAt?: string;
  /** The account line the bar is drawn on (1 to 8, more only if legs overlapped beyond the account's 8 lines). */
  line?: number;
}

export interface ReportRun {
  workflowId: string;
  scheduleId?: string;
  /** The run's start in the report's time zone, `2026-01-05 09:00`. */
  date: string;
  startedAt: string;
  /** `completed`, `end-request`, `deadline`, `max-cost` (how a completed session ended), or Temporal's status. */
  outcome: string;
  /** The end reason, or the failure's message. */
  note?: string;
  room?: string;
  /** Undefined when the run has no summary (failed, running): nobody to count. */
  participants?: number;
  answered?: number;
  minutes: number;
  cost: CurrencyTotal[];
  legs: ReportLeg[];
}

export interface ReportParticipant {
  number: string;
  name?: string;
  /** Runs with a summary that listed the participant. */
  runs: number;
  attended: number;
  missed: number;
  minutes: number;
  cost: CurrencyTotal[];
}

export interface Report {
  /** What the report covers, in words: `session x`, `schedule y`, `sessions started from … until …`. */
  subject: string;
  timeZone: string;
  runs: ReportRun[];
  participants: ReportParticipant[];
  totals: CurrencyTotal[];
}

/** The money and minutes of one leg, in the shape `currencyTotals` sums. */
interface Billed {
  end?: { currency: string; debit: number; minutes: number };
}

export function buildReport(subject: string, timeZone: string, gathered: readonly GatheredRun[]): Report {
  // A session that continued as new is listed by its last run: its summary knows when the session began.
  const ordered = gathered
    .map((run) => (run.summary ? { ...run, startedAt: new Date(run.summary.startedAt) } : run))
    .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const runs = ordered.map((run) => reportRun(run, timeZone));
  return {
    subject,
    timeZone,
    runs,
    participants: participantsAcross(ordered),
    totals: currencyTotals(billedOf(runs.flatMap((run) => run.legs))),
  };
}

function reportRun(run: GatheredRun, timeZone: string): ReportRun {
  const { summary } = run;
  const base = {
    workflowId: run.workflowId,
    ...(run.scheduleId ? { scheduleId: run.scheduleId } : {}),
    date: localTime(run.startedAt, timeZone),
    startedAt: run.startedAt.toISOString(),
  };
  if (!summary) {
    return {
      ...base,
      outcome: run.status.toLowerCase(),
      ...(run.failure ? { note: run.failure } : {}),
      minutes: 0,
      cost: [],
      legs: [],
    };
  }
  const legs = assignLines(legsOf(run.workflowId, summary));
  return {
    ...base,
    outcome: summary.endedBy,
    ...(summary.endReason ? { note: summary.endReason } : {}),
    room: summary.room,
    participants: summary.participants.length,
    answered: summary.participants.filter((p) => p.status === 'answered').length,
    minutes: summary.totals.reduce((total, entry) => total + entry.minutes, 0),
    cost: summary.totals,
    legs,
  };
}

/**
 * Every ended leg of the run, by participant in roster order, each one's legs in dial order. A summary of an older release lists no legs: each participant then
 * stands for its legs as one row (its last status, all its minutes and debit), with no times to draw.
 */
function legsOf(workflowId: string, summary: SessionSummary): ReportLeg[] {
  return summary.participants.flatMap((p) => {
    const who = { workflowId, room: summary.room, number: p.number, ...(p.name ? { name: p.name } : {}) };
    if (p.legs) return p.legs.map((leg) => ({ ...who, ...leg }));
    if (p.txnRefs.length === 0) return [];
    const { minutes, debit, currency, status } = p;
    if (status === 'cancelled') return [];
    return [{ ...who, txnRef: p.txnRefs.join(' '), status, minutes, debit, ...(currency ? { currency } : {}) }];
  });
}

function participantsAcross(runs: readonly GatheredRun[]): ReportParticipant[] {
  const byNumber = new Map<string, { name?: string; runs: number; attended: number; legs: Billed[] }>();
  for (const { summary } of runs) {
    for (const p of summary?.participants ?? []) {
      const entry = byNumber.get(p.number) ?? { runs: 0, attended: 0, legs: [] };
      if (p.name) entry.name = p.name;
      entry.runs += 1;
      if (p.status === 'answered') entry.attended += 1;
      entry.legs.push(...billedOf(p.legs ?? (p.currency ? [p] : [])));
      byNumber.set(p.number, entry);
    }
  }
  return [...byNumber.entries()]
    .map(([number, entry]) => {
      const cost = currencyTotals(entry.legs);
      return {
        number,
        ...(entry.name ? { name: entry.name } : {}),
        runs: entry.runs,
        attended: entry.attended,
        missed: entry.runs - entry.attended,
        minutes: cost.reduce((total, c) => total + c.minutes, 0),
        cost,
      };
    })
    .sort((a, b) => b.missed - a.missed || a.number.localeCompare(b.number));
}

function billedOf(legs: readonly { minutes: number; debit: string; currency?: string }[]): Billed[] {
  return legs.map((leg) =>
    leg.currency ? { end: { currency: leg.currency, debit: parseMoney(leg.debit), minutes: leg.minutes } } : {},
  );
}
