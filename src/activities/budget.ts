import { Context } from '@temporalio/activity';
import { type Client } from '@temporalio/client';
import { callBudget } from '../workflows/call-budget';
import { callBudgetWorkflowId, requestPermitsSignal, type PermitRequest } from '../workflows/messages';

/** What a holder workflow passes to the `requestPermits` activity. */
export type BudgetPermitRequest = PermitRequest & {
  /** The Hoiio account whose budget is asked; names the budget workflow. */
  account: string;
  /** Pool size, used only if this request starts the budget workflow. */
  capacity?: number;
};

/**
 * Activities that talk to the account's `callBudget` workflow. Workflows cannot signal-with-start, so the first
 * request of a holder goes through this activity; releases, renewals and cancellations are plain external signals.
 */
export function createBudgetActivities(client: Client) {
  return {
    /**
     * Delivers a permit request to the account's budget, starting the budget (on this activity's task queue) if it
     * is not running. Safe to retry: the budget ignores a request id it has seen before.
     */
    async requestPermits(req: BudgetPermitRequest): Promise<void> {
      const { account, capacity, ...request } = req;
      await client.workflow.signalWithStart(callBudget, {
        workflowId: callBudgetWorkflowId(account),
        taskQueue: Context.current().info.taskQueue,
        args: [{ account, capacity }],
        signal: requestPermitsSignal,
        signalArgs: [request],
      });
    },
  };
}

export type BudgetActivities = ReturnType<typeof createBudgetActivities>;
