/**
 * `callBudget`: the pool of call permits of one Hoiio application (docs/design.md, invariant 1).
 *
 * One workflow per Hoiio application, with the fixed id `callBudgetWorkflowId(budgetKey)` where `budgetKey` is the
 * application id (Hoiio's limit is per application, so every account name that points at one application shares one
 * budget), holds `capacity` permits (8 by default) shared by every session on every worker. A holder takes one permit
 * per call leg before dialing it, binds it to the leg once placed, reports what it holds (which renews the leases),
 * and once the leg has ended dials its next call on the permit or gives it back (permit handoff; a waiting page
 * recalls it). The budget keeps the account name it was started with: its
 * credentials hang up the legs of holders that are gone. It runs forever, continuing-as-new with what it knows.
 *
 * The rules live in `budget/`: the permits and their queue (`permit-ledger.ts`), holders whose leases ran out
 * (`holder-checks.ts`), a fresh start (`recovery.ts`) and the run that ties them together (`call-budget-run.ts`).
 */
import { continueAsNew, setHandler } from '@temporalio/workflow';
import { CallBudgetRun } from './budget/call-budget-run';
import type { CallBudgetInput } from './budget/options';
import {
  budgetStateQuery,
  cancelPermitRequestSignal,
  releasePermitsSignal,
  renewPermitsSignal,
  requestPermitsSignal,
} from './messages';

export type { CallBudgetCarriedState } from './budget/carried-state';
export {
  DEFAULT_CAPACITY,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_SIGNALS_PER_RUN,
  DEFAULT_RECOVERY_TIMEOUT_MS,
  type CallBudgetInput,
} from './budget/options';

export async function callBudget(input: CallBudgetInput): Promise<void> {
  const budget = new CallBudgetRun(input);
  // Payloads are parsed inside the budget: whatever arrives is `unknown` until then.
  setHandler(requestPermitsSignal, (payload: unknown) => budget.request(payload));
  setHandler(releasePermitsSignal, (payload: unknown) => budget.release(payload));
  setHandler(renewPermitsSignal, (payload: unknown) => budget.renew(payload));
  setHandler(cancelPermitRequestSignal, (payload: unknown) => budget.cancel(payload));
  setHandler(budgetStateQuery, () => budget.state());

  const carried = await budget.run();
  await continueAsNew<typeof callBudget>({ ...input, state: carried });
}
