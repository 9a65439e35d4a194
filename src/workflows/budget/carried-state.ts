import type { BudgetCounters, BudgetPool, WaitingRequest } from '../messages';

/** A waiting request as carried: runs from before priorities carry none (it is then 3, `ROUTINE_PRIORITY`). */
export type CarriedWaitingRequest = Omit<WaitingRequest, 'priority'> & { priority?: number };

/** What one run hands to the next on continue-as-new. Plain JSON. */
export interface CallBudgetCarriedState extends Omit<BudgetPool, 'waiting'>, BudgetCounters {
  /** The waiting requests, in the order they will be served. */
  waiting: CarriedWaitingRequest[];
  /** Last permit number handed out in this chain of runs. */
  permitCounter: number;
  /** Most recent request ids (oldest first), so duplicates stay ignored across runs. */
  recentRequestIds: string[];
  /** Most recently released or taken-back permit ids (oldest first). */
  retiredPermitIds?: string[];
  /** Workflow types of the holders seen, for the prompt after a reset. */
  holderWorkflowTypes?: string[];
}
