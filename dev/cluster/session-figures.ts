/**
 * One line of the verify:cluster report per session: what the summary says (legs, minutes, cost per currency, in
 * exact thousandths) and whether it agrees with the simulator's ledger leg for leg (the chaos suite's comparison).
 */
import type { SimCall } from '../bench/ledger';
import { compareSummaryWithLedger, type SessionOutcome } from '../chaos/checks';

export interface SessionFigures {
  workflowId: string;
  status: string;
  endedBy?: string;
  participants: number;
  /** Ledger legs in the session's room. */
  legs: number;
  answered: number;
  minutes: number;
  /** The summary's totals, e.g. "SGD 1.240"; "-" without a summary. */
  cost: string;
  matchesLedger: boolean;
}

export function sessionFigures(outcome: SessionOutcome, calls: readonly SimCall[]): SessionFigures {
  const { plan, summary } = outcome;
  const legs = calls.filter((call) => call.room === plan.room);
  const cost = summary ? summary.totals.map((t) => `${t.currency} ${t.debit}`).join(' + ') || '0.000' : '-';
  return {
    workflowId: plan.workflowId,
    status: outcome.status,
    endedBy: summary?.endedBy,
    participants: plan.participants.length,
    legs: legs.length,
    answered: legs.filter((call) => call.call_status_dest === 'answered').length,
    minutes: summary?.participants.reduce((total, p) => total + p.minutes, 0) ?? 0,
    cost,
    matchesLedger: summary !== undefined && compareSummaryWithLedger(plan.workflowId, summary, calls).length === 0,
  };
}
