import { waitFor } from '../support/wait-for';
/**
 * The call budget taking permits back from a holder that is gone, on the real stack: a Temporal dev server, the Hoiio
 * simulator over HTTP (its ledger says which legs are up), and a worker with the production budget and conference
 * activities serving the test holders of `support/budget-holders.ts`.
 */
import { type WorkflowHandle } from '@temporalio/client';
import { createBudgetActivities } from '../../src/activities/budget';
import { createConferenceActivities } from '../../src/activities/conference';
import { hoiioConfigFromEnv } from '../../src/hoiio/config';
import type { SimCall } from '../../dev/simulator/inspection-types';
import { budgetStateQuery, callBudgetWorkflowId, type BudgetState } from '../../src/workflows/messages';
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { startTestWorker, uniqueId, type TestWorker } from '../support/temporal-test-env';
import {
  holderDialUpdate,
  holderFinishSignal,
  holderRequestUpdate,
  holderViewQuery,
  scriptedHolder,
} from './support/budget-holders';

let stack: SessionStack;
let worker: TestWorker;

beforeAll(async () => {
  stack = await startSessionStack({
    // Every leg answers within a second and would then talk for ten minutes: only a hangup ends it during the test.
    outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    timing: { ringSeconds: { min: 1, max: 1 }, talkSeconds: { min: 600, max: 600 }, dialGapSeconds: 0 },
  });
  worker = await startTestWorker(stack.env, {
    workflowsPath: require.resolve('./support/workflows'),
    activities: {
      ...createBudgetActivities(stack.env.client),
      ...createConferenceActivities({
        hoiio: hoiioConfigFromEnv({ HOIIO_BASE_URL: stack.simulator.baseUrl }),
        publicUrl: stack.receiver.url,
      }),
    },
  });
});

afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

function budgetState(key: string): Promise<BudgetState> {
  return stack.env.client.workflow.getHandle(callBudgetWorkflowId(key)).query(budgetStateQuery);
}

async function startHolder(key: string, name: string, opts: { capacity?: number; leaseMs?: number } = {}) {
  return stack.env.client.workflow.start(scriptedHolder, {
    taskQueue: worker.taskQueue,
    workflowId: uniqueId(`holder-${name}`),
    args: [{ account: 'default', budgetKey: key, ...opts }],
  });
}

const simCalls = async () => (await stack.simGet<{ calls: SimCall[] }>('/_sim/calls')).calls;

test('a terminated holder has its legs hung up before its permits go to anyone else', async () => {
  const key = uniqueId('app-gone');
  const T: WorkflowHandle<typeof scriptedHolder> = await startHolder(key, 'T', { capacity: 2, leaseMs: 2_000 });
  const W = await startHolder(key, 'W');
  await T.executeUpdate(holderRequestUpdate, { args: [2] });
  await waitFor(
    () => T.query(holderViewQuery),
    (v) => v.received.length === 2,
    'T received 2',
  );
  const bound = await T.executeUpdate(holderDialUpdate, {
    args: [{ numbers: ['+6591110001', '+6591110002'], room: 'budget_gone' }],
  });
  expect(bound).toHaveLength(2);
  // Binds are not signalled one by one: the budget has not heard of these legs, and learns of them from the holder
  // itself (its permitHoldings query, answered from its history) once the holder is gone.
  expect((await budgetState(key)).held.map((p) => p.txnRef)).toEqual([undefined, undefined]);

  await W.executeUpdate(holderRequestUpdate, { args: [1] });
  await waitFor(
    () => budgetState(key),
    (s) => s.waiting.length === 1,
    'W waiting',
  );
  const up = await simCalls();
  for (const { txnRef } of bound) expect(up.find((c) => c.txn_ref === txnRef)?.ended_at).toBeNull();

  // The session dies without hanging up or releasing anything.
  await T.terminate('killed by an operator');
  const s = await waitFor(
    () => budgetState(key),
    (st) => st.held.some((p) => p.holder === W.workflowId),
    'W granted a permit of T',
  );
  const grantedAt = s.held.find((p) => p.holder === W.workflowId)!.grantedAt;
  const calls = await simCalls();
  for (const { txnRef } of bound) {
    const call = calls.find((c) => c.txn_ref === txnRef)!;
    expect(call.ended_by).toBe('hangup');
    expect(Date.parse(call.ended_at!)).toBeLessThanOrEqual(grantedAt);
  }
  expect(s).toMatchObject({ reclaimed: 2, hungUp: 2 });
  expect(s.held).toHaveLength(1);

  await W.signal(holderFinishSignal);
  await stack.env.client.workflow.getHandle(callBudgetWorkflowId(key)).terminate('test done');
});
