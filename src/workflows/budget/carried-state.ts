import type { BudgetCounters, BudgetPool } from '../messages';

/** What one run hands to the next on continue-as-new. Plain JSON. */
export interface CallBudgetCarriedState extends BudgetPool, BudgetCounters {
  /** Last permit number handed out in this chain of runs. */
  permitCounter: number;
  /** Most recent request ids (oldest first), so duplicates stay ignored across runs. */
  recentRequestIds: string[];
  /** Most recently released or taken-back permit ids (oldest first). */
  retiredPermitIds?: string[];
  /** Workflow types of the holders seen, for the prompt after a reset. */
  holderWorkflowTypes?: string[];
}
