import type { Client } from '@temporalio/client';
import type { HoiioConfig } from '../hoiio/config';
import { budgetStateQuery, callBudgetWorkflowId } from '../workflows/messages';
import { activeCalls, onScrape, permitsHeld, permitsWaiting } from './metrics';

/** A scrape must not hang on a slow server: a budget that does not answer in time keeps its last figures. */
const QUERY_DEADLINE_MS = 2_000;

/**
 * Active calls and permits per account, read at each scrape from the accounts' `callBudget` workflows (the only place
 * that knows them across every worker), by their `budgetState` query. An account whose budget has not started yet has
 * no series. Accounts on one Hoiio application share a budget: labelled with the name the budget was started with.
 * Returns the removal of the hook.
 */
export function watchCallBudgets(client: Client, hoiio: HoiioConfig): () => void {
  const budgetKeys = [...new Set(Object.values(hoiio.accounts).map((account) => account.appId))];
  return onScrape(async () => {
    await Promise.all(
      budgetKeys.map(async (budgetKey) => {
        const state = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
          client.workflow.getHandle(callBudgetWorkflowId(budgetKey)).query(budgetStateQuery),
        );
        const labels = { account: state.account };
        // Holders hand a permit from call to call and tell the budget its leg only at their next renewal, so the budget
        // knows which lines are in use, not which leg is on each: every held permit is a call or a dial in flight.
        activeCalls.set(labels, state.held.length);
        permitsHeld.set(labels, state.held.length);
        permitsWaiting.set(
          labels,
          state.waiting.reduce((sum, request) => sum + request.remaining, 0),
        );
      }),
    );
  });
}
