/**
 * Figures from the simulator's own records (`/_sim/calls`, `/_sim/stats`): what the lines really did, independent of
 * what bridgekeeper believes it did.
 */
import type { SimCall, SimStats } from '../simulator';

export type { SimCall, SimStats };

/** The account every scenario dials from (the simulator's embedded demo account). */
export const APP_ID = 'demo-app';

/** Lines an account may hold at once: the physical limit every makespan is measured against. */
export const LINES = 8;

export interface LedgerFigures {
  legs: number;
  answered: number;
  /** Every leg has ended (none ringing or talking). */
  allEnded: boolean;
  /** Σ (ended_at − dialed_at), real milliseconds: how long the legs held a line in total. */
  lineTimeMs: number;
  /** The longest single leg, real milliseconds. */
  longestLegMs: number;
  /** First dialed_at → last ended_at, real milliseconds. */
  spanMs: number;
  firstDialMs: number;
  lastEndMs: number;
  /** The shortest possible makespan for these legs: max(longest leg, Σ leg time / 8), real milliseconds. */
  lowerBoundMs: number;
}

const ms = (iso: string | null, what: string, call: SimCall): number => {
  if (iso === null) throw new Error(`leg ${call.txn_ref} (${call.dest}) has no ${what}: it has not ended`);
  return Date.parse(iso);
};

export function ledgerFigures(calls: readonly SimCall[]): LedgerFigures {
  if (calls.length === 0) throw new Error('the simulator dialed no leg');
  const allEnded = calls.every((call) => call.ended_at !== null);
  let lineTimeMs = 0;
  let longestLegMs = 0;
  let firstDialMs = Infinity;
  let lastEndMs = -Infinity;
  for (const call of calls) {
    const dialed = ms(call.dialed_at, 'dialed_at', call);
    const ended = ms(call.ended_at, 'ended_at', call);
    lineTimeMs += ended - dialed;
    longestLegMs = Math.max(longestLegMs, ended - dialed);
    firstDialMs = Math.min(firstDialMs, dialed);
    lastEndMs = Math.max(lastEndMs, ended);
  }
  return {
    legs: calls.length,
    answered: calls.filter((call) => call.call_status_dest === 'answered').length,
    allEnded,
    lineTimeMs,
    longestLegMs,
    spanMs: lastEndMs - firstDialMs,
    firstDialMs,
    lastEndMs,
    lowerBoundMs: Math.max(longestLegMs, lineTimeMs / LINES),
  };
}

/**
 * Most legs holding a line at the same moment, recomputed from the ledger's timestamps (a cross-check of the
 * simulator's own counter; equal timestamps count the hang-up first, as the simulator frees a line before dialing).
 */
export function peakFromLedger(calls: readonly SimCall[]): number {
  const edges: Array<[number, number]> = [];
  for (const call of calls) {
    if (call.dialed_at === null) continue;
    edges.push([Date.parse(call.dialed_at), +1]);
    if (call.ended_at !== null) edges.push([Date.parse(call.ended_at), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let active = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    active += delta;
    peak = Math.max(peak, active);
  }
  return peak;
}

export interface RefillFigures {
  /** Dials that reused a line freed by an earlier hang-up (the rest went out on lines idle since the start). */
  refills: number;
  /** Real milliseconds between a line being freed and the next leg being dialed on it: mean and worst. */
  meanGapMs: number;
  maxGapMs: number;
  /** The performance targets are on these: half and 99 % of the refills were at most this fast. */
  p50GapMs: number;
  p99GapMs: number;
}

/** The nearest-rank percentile (0 < p ≤ 100) of a list of figures; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** The ledger split by Hoiio application: each account has its own 8 lines. */
export function byAccount(calls: readonly SimCall[]): Map<string, SimCall[]> {
  const accounts = new Map<string, SimCall[]>();
  for (const call of calls) {
    const list = accounts.get(call.app_id);
    if (list) list.push(call);
    else accounts.set(call.app_id, [call]);
  }
  return accounts;
}

/**
 * How quickly freed lines were dialed again. Replays the ledger on 8 lines: each dial, in time order, takes the line
 * that has been free longest (at first, all 8 are free from the first dial); the gap is how long that line stood idle.
 * A gap measures the orchestration's reaction time: the notification, the permit coming back, the next request.
 */
export function refillFigures(calls: readonly SimCall[]): RefillFigures {
  const legs = calls
    .filter((call) => call.dialed_at !== null && call.ended_at !== null)
    .map((call) => ({ dialed: Date.parse(call.dialed_at ?? ''), ended: Date.parse(call.ended_at ?? '') }))
    .sort((a, b) => a.dialed - b.dialed);
  const first = legs[0]?.dialed ?? 0;
  // Free lines as [since, freed by a hang-up?]; at most 8 entries, so a sorted array is plenty.
  const free: Array<{ since: number; byHangup: boolean }> = Array.from({ length: LINES }, () => ({
    since: first,
    byHangup: false,
  }));
  const busy: number[] = [];
  const gaps: number[] = [];
  for (const leg of legs) {
    // Lines whose leg has ended by now are free again.
    busy.sort((a, b) => a - b);
    while (busy.length > 0 && (busy[0] ?? Infinity) <= leg.dialed) {
      free.push({ since: busy.shift() ?? leg.dialed, byHangup: true });
    }
    free.sort((a, b) => a.since - b.since);
    const line = free.shift();
    if (!line) continue; // More than 8 at once: reported by the peak figures, not here.
    if (line.byHangup) gaps.push(leg.dialed - line.since);
    busy.push(leg.ended);
  }
  const total = gaps.reduce((sum, gap) => sum + gap, 0);
  return {
    refills: gaps.length,
    meanGapMs: gaps.length === 0 ? 0 : total / gaps.length,
    maxGapMs: gaps.length === 0 ? 0 : Math.max(...gaps),
    p50GapMs: percentile(gaps, 50),
    p99GapMs: percentile(gaps, 99),
  };
}
