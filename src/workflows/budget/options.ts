import type { CallBudgetCarriedState } from './carried-state';

export const DEFAULT_CAPACITY = 8;
/** A holder is expected to renew well within this; after it the budget checks whether the holder still runs. */
export const DEFAULT_LEASE_MS = 10 * 60_000;
/**
 * Continue-as-new after this many signals in one run (the server caps a run at 10,000). About 2 events a signal: a run
 * hands over well before the 4,096 events at which the server suggests it, past which every workflow task was seen
 * to take seconds.
 */
export const DEFAULT_MAX_SIGNALS_PER_RUN = 1_000;
/** How long a fresh run waits for the reports of the holders it asked before it grants anyway. */
export const DEFAULT_RECOVERY_TIMEOUT_MS = 30_000;

export interface CallBudgetInput {
  /** The Hoiio account name the budget was started with; its credentials hang up gone holders' legs. */
  account: string;
  /** The Hoiio application id that names the budget; `account` for budgets started before keys existed. */
  budgetKey?: string;
  /** Permits in the pool; default 8 (Hoiio's active call limit per application). */
  capacity?: number;
  /** Lease of a permit whose request names none; default 10 minutes. */
  defaultLeaseMs?: number;
  /** Continue-as-new after this many signals in one run; default 1,000. Tests lower it. */
  maxSignalsPerRun?: number;
  /** Workflow types of the holders (set by the activity that starts the budget): whom to ask to report on a fresh start. */
  holderWorkflowTypes?: string[];
  /** How long a fresh run waits for holders' reports before granting; default 30 s. */
  recoveryTimeoutMs?: number;
  /** Set by the previous run on continue-as-new. */
  state?: CallBudgetCarriedState;
}

/** The input with its defaults applied; a value that is not a positive integer counts as absent. */
export interface BudgetOptions {
  account: string;
  budgetKey: string;
  capacity: number;
  defaultLeaseMs: number;
  maxSignalsPerRun: number;
  recoveryTimeoutMs: number;
}

export function budgetOptions(input: CallBudgetInput): BudgetOptions {
  return {
    account: input.account,
    budgetKey: input.budgetKey ?? input.account,
    capacity: positiveInteger(input.capacity) ?? DEFAULT_CAPACITY,
    defaultLeaseMs: positiveInteger(input.defaultLeaseMs) ?? DEFAULT_LEASE_MS,
    maxSignalsPerRun: positiveInteger(input.maxSignalsPerRun) ?? DEFAULT_MAX_SIGNALS_PER_RUN,
    recoveryTimeoutMs: positiveInteger(input.recoveryTimeoutMs) ?? DEFAULT_RECOVERY_TIMEOUT_MS,
  };
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
