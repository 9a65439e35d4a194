/**
 * The chaos suite's verdict, taken from the simulator's ledger (`/_sim/calls`, `/_sim/stats`), not from what
 * bridgekeeper believes: every violation names its invariant, the session, the number and what the ledger shows.
 * Peak concurrency is recomputed with the benchmark's own ledger code (dev/bench/ledger.ts), one piece for both.
 */
import { formatMoney, parseMoney, sumMoney } from '../../src/domain/money';
import type { SessionSummary } from '../../src/domain/session-types';
import type { BudgetState } from '../../src/workflows/messages';
import { APP_ID, LINES, peakFromLedger, type SimCall, type SimStats } from '../bench/ledger';
import { maxLegs, replayRedials, REDIAL_RULES, type SessionPlan } from './scenario';

export type Invariant =
  | 'double-dial'
  | 'overlapping-legs'
  | 'missed-redial'
  | 'wrong-outcome'
  | 'live-leg'
  | 'orphan-leg'
  | 'summary-mismatch'
  | 'peak-concurrent-calls'
  | 'room-over-capacity'
  | 'concurrent-limit-rejection'
  | 'budget-permit-held'
  | 'session-not-completed'
  | 'stall'
  | 'process-crash'
  | 'process-left-behind'
  | 'chaos-incomplete';

export interface Violation {
  invariant: Invariant;
  session?: string;
  number?: string;
  detail: string;
}

export interface SessionOutcome {
  plan: SessionPlan;
  /** COMPLETED, FAILED, TERMINATED, RUNNING (still running at the timeout)... */
  status: string;
  summary?: SessionSummary;
  failure?: string;
}

export interface BudgetView {
  workflowId: string;
  state?: BudgetState;
  error?: string;
}

export interface LedgerCounts {
  legs: number;
  doubles: number;
  orphans: number;
  liveLegs: number;
  peakConcurrent: number;
  peakConcurrentLedger: number;
  concurrentRejections: number;
}

const legText = (call: SimCall): string =>
  `${call.txn_ref} ${call.call_status_dest} dialed ${call.dialed_at ?? '?'} ended ${call.ended_at ?? 'never'}` +
  ` tag ${call.tag ?? '-'}`;

const byDial = (a: SimCall, b: SimCall): number =>
  Date.parse(a.dialed_at ?? '') - Date.parse(b.dialed_at ?? '') || a.txn_ref.localeCompare(b.txn_ref);

/** Two legs of one participant overlap when one was dialed before the other had ended. */
function overlaps(legs: readonly SimCall[]): Array<[SimCall, SimCall]> {
  const pairs: Array<[SimCall, SimCall]> = [];
  for (let i = 0; i < legs.length; i += 1) {
    for (let j = i + 1; j < legs.length; j += 1) {
      const a = legs[i]!;
      const b = legs[j]!;
      const aEnd = a.ended_at === null ? Infinity : Date.parse(a.ended_at);
      const bEnd = b.ended_at === null ? Infinity : Date.parse(b.ended_at);
      if (Date.parse(b.dialed_at ?? '') < aEnd && Date.parse(a.dialed_at ?? '') < bEnd) pairs.push([a, b]);
    }
  }
  return pairs;
}

/**
 * Checks a summary against the ledger leg for leg, to the thousandth: the same comparison the session tests make
 * with expect (test/workflows), as a list of violations instead of a thrown assertion.
 */
export function compareSummaryWithLedger(workflowId: string, summary: SessionSummary, calls: readonly SimCall[]) {
  const violations: Violation[] = [];
  const mismatch = (number: string | undefined, detail: string) =>
    violations.push({ invariant: 'summary-mismatch', session: workflowId, number, detail });
  const byTxn = new Map(calls.map((call) => [call.txn_ref, call]));
  const roomCalls = calls.filter((call) => call.room === summary.room);
  for (const participant of summary.participants) {
    const ledgerLegs = roomCalls.filter((call) => call.dest === participant.number).sort(byDial);
    const ledgerTxns = ledgerLegs.map((call) => call.txn_ref);
    const missing = ledgerTxns.filter((txn) => !participant.txnRefs.includes(txn));
    const phantom = participant.txnRefs.filter((txn) => byTxn.get(txn)?.dest !== participant.number);
    if (missing.length > 0 || phantom.length > 0) {
      mismatch(
        participant.number,
        `txn_refs: summary [${participant.txnRefs.join(', ')}], ledger [${ledgerTxns.join(', ')}]` +
          (missing.length ? `; missing from the summary: ${missing.join(', ')}` : '') +
          (phantom.length ? `; not this number's legs in the ledger: ${phantom.join(', ')}` : ''),
      );
    }
    const debit = formatMoney(sumMoney(ledgerLegs.map((call) => parseMoney(call.debit ?? '0'))));
    if (participant.debit !== debit) {
      mismatch(participant.number, `debit: summary ${participant.debit}, ledger ${debit}`);
    }
    const minutes = ledgerLegs.reduce((total, call) => total + Number(call.duration ?? 0), 0);
    if (participant.minutes !== minutes) {
      mismatch(participant.number, `minutes: summary ${participant.minutes}, ledger ${minutes}`);
    }
    const last = ledgerLegs.at(-1);
    if (last && participant.status !== last.call_status_dest) {
      mismatch(participant.number, `status: summary ${participant.status}, ledger's last leg ${legText(last)}`);
    }
    if (participant.attempts !== ledgerLegs.length) {
      mismatch(participant.number, `attempts: summary ${participant.attempts}, ledger legs ${ledgerLegs.length}`);
    }
  }
  const listed = new Set(summary.participants.map((p) => p.number));
  for (const call of roomCalls.filter((c) => !listed.has(c.dest))) {
    mismatch(call.dest, `leg ${legText(call)} is in the room but its number is not in the summary`);
  }
  const currencies = new Set(roomCalls.map((call) => call.currency));
  const expectedTotals = [...currencies].sort().map((currency) => {
    const legs = roomCalls.filter((call) => call.currency === currency);
    return {
      currency,
      debit: formatMoney(sumMoney(legs.map((call) => parseMoney(call.debit ?? '0')))),
      minutes: legs.reduce((total, call) => total + Number(call.duration ?? 0), 0),
    };
  });
  const summaryTotals = [...summary.totals].sort((a, b) => a.currency.localeCompare(b.currency));
  // A currency with nothing billed may be listed with zeros or left out: compare what was billed.
  const billed = (totals: typeof expectedTotals) => totals.filter((t) => t.debit !== '0.000' || t.minutes !== 0);
  if (JSON.stringify(billed(summaryTotals)) !== JSON.stringify(billed(expectedTotals))) {
    mismatch(undefined, `totals: summary ${JSON.stringify(summaryTotals)}, ledger ${JSON.stringify(expectedTotals)}`);
  }
  return violations;
}

export function checkRun(input: {
  sessions: readonly SessionOutcome[];
  calls: readonly SimCall[];
  stats: SimStats;
  budgets: readonly BudgetView[];
}): { violations: Violation[]; counts: LedgerCounts } {
  const violations: Violation[] = [];
  const { calls, stats } = input;
  const rooms = new Map(input.sessions.map((s) => [s.plan.room, s]));
  let doubles = 0;
  const orphanTxns = new Set<string>();

  for (const session of input.sessions) {
    const id = session.plan.workflowId;
    const summary = session.summary;
    const completed = summary?.endedBy === 'completed';
    if (session.status !== 'COMPLETED') {
      violations.push({
        invariant: session.status === 'RUNNING' ? 'stall' : 'session-not-completed',
        session: id,
        detail: `workflow is ${session.status}${session.failure ? `: ${session.failure}` : ''}`,
      });
    } else if (summary && summary.endedBy !== 'completed') {
      violations.push({
        invariant: summary.endedBy === 'deadline' ? 'stall' : 'session-not-completed',
        session: id,
        detail: `session ended by ${summary.endedBy}, not completed (outcomes ${JSON.stringify(summary.outcomes)})`,
      });
    }

    for (const participant of session.plan.participants) {
      const legs = calls
        .filter((call) => call.room === session.plan.room && call.dest === participant.number)
        .sort(byDial);
      const outcomes = legs.map((call) => call.call_status_dest);
      const { unjustified, redialOwed } = replayRedials(outcomes, REDIAL_RULES);
      const tooMany = legs.length > maxLegs(REDIAL_RULES);
      const pairs = overlaps(legs);
      if (unjustified.length > 0 || tooMany) {
        doubles += Math.max(unjustified.length, legs.length - maxLegs(REDIAL_RULES));
        violations.push({
          invariant: 'double-dial',
          session: id,
          number: participant.number,
          detail:
            `${legs.length} legs (rules allow at most ${maxLegs(REDIAL_RULES)}; script expects ` +
            `${participant.expectedLegs}); not due under the redial rules: ` +
            `${unjustified.map((i) => legs[i]!.txn_ref).join(', ') || '-'}; ledger: ${legs.map(legText).join(' | ')}`,
        });
      }
      if (pairs.length > 0) {
        violations.push({
          invariant: 'overlapping-legs',
          session: id,
          number: participant.number,
          detail: pairs.map(([a, b]) => `${legText(a)} overlaps ${legText(b)}`).join('; '),
        });
      }
      if (completed && redialOwed) {
        violations.push({
          invariant: 'missed-redial',
          session: id,
          number: participant.number,
          detail: `last leg ${legs.at(-1)?.call_status_dest} after ${legs.length} legs: the rules owe a redial`,
        });
      }
      const final = summary?.participants.find((p) => p.number === participant.number);
      if (completed && final && final.status !== participant.expectedStatus) {
        violations.push({
          invariant: 'wrong-outcome',
          session: id,
          number: participant.number,
          detail:
            `summary says ${final.status} (${final.reason ?? 'no reason'}), the script leads to ` +
            `${participant.expectedStatus} in ${participant.expectedLegs} legs; ledger: ${legs.map(legText).join(' | ') || 'no leg'}`,
        });
      }
    }

    if (summary) {
      violations.push(...compareSummaryWithLedger(id, summary, calls));
      const inSummary = new Set(summary.participants.flatMap((p) => p.txnRefs));
      for (const call of calls.filter((c) => c.room === session.plan.room && !inSummary.has(c.txn_ref))) {
        orphanTxns.add(call.txn_ref);
      }
    }
  }

  for (const call of calls) {
    if (!rooms.has(call.room)) {
      orphanTxns.add(call.txn_ref);
      violations.push({
        invariant: 'orphan-leg',
        number: call.dest,
        detail: `leg in no session's room: ${legText(call)}`,
      });
    }
  }
  const live = calls.filter((call) => call.ended_at === null || call.call_status_dest === 'ongoing');
  for (const call of live) {
    orphanTxns.add(call.txn_ref);
    violations.push({
      invariant: 'live-leg',
      session: rooms.get(call.room)?.plan.workflowId,
      number: call.dest,
      detail: `still ${call.state} after every session finished: ${legText(call)}`,
    });
  }
  const activeNow = stats.activeCalls[APP_ID] ?? 0;
  if (activeNow > 0 && live.length === 0) {
    violations.push({ invariant: 'live-leg', detail: `/_sim/stats counts ${activeNow} active calls for ${APP_ID}` });
  }

  const peakConcurrent = stats.peakConcurrentCalls[APP_ID] ?? 0;
  const peakConcurrentLedger = peakFromLedger(calls);
  if (peakConcurrent > LINES || peakConcurrentLedger > LINES) {
    violations.push({
      invariant: 'peak-concurrent-calls',
      detail: `peak concurrent calls ${peakConcurrent} (/_sim/stats), ${peakConcurrentLedger} (ledger timestamps) > ${LINES}`,
    });
  }
  for (const [room, peak] of Object.entries(stats.peakRoomParticipants)) {
    if (peak > LINES) {
      violations.push({
        invariant: 'room-over-capacity',
        session: rooms.get(room)?.plan.workflowId,
        detail: `room ${room} held ${peak} participants at once`,
      });
    }
  }
  const concurrentRejections = stats.rejections.error_concurrent_call_limit_reached ?? 0;
  if (concurrentRejections > 0) {
    // Every call on this account is ours, and no fault knob answers this status: each one was caused by us.
    violations.push({
      invariant: 'concurrent-limit-rejection',
      detail: `${concurrentRejections} conference/call requests rejected with error_concurrent_call_limit_reached`,
    });
  }

  for (const budget of input.budgets) {
    if (!budget.state) {
      violations.push({
        invariant: 'budget-permit-held',
        detail: `${budget.workflowId}: budgetState failed: ${budget.error}`,
      });
      continue;
    }
    const { held, waiting } = budget.state;
    if (held.length > 0 || waiting.length > 0) {
      const holders = [...new Set(held.map((permit) => permit.holder))];
      violations.push({
        invariant: 'budget-permit-held',
        detail:
          `${budget.workflowId} still holds ${held.length} permit(s) for ${holders.join(', ') || '-'} and has ` +
          `${waiting.length} waiting request(s) (${waiting.map((w) => `${w.holder}×${w.remaining}`).join(', ') || '-'}); ` +
          `reclaimed ${budget.state.reclaimed}, granted ${budget.state.granted}`,
      });
    }
  }
  if (input.budgets.length === 0 && calls.length > 0) {
    violations.push({ invariant: 'budget-permit-held', detail: 'no callBudget workflow was found to ask' });
  }

  return {
    violations,
    counts: {
      legs: calls.length,
      doubles,
      orphans: orphanTxns.size,
      liveLegs: live.length,
      peakConcurrent,
      peakConcurrentLedger,
      concurrentRejections,
    },
  };
}
