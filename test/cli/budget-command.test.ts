import { twoAccountsOnOneApp } from '../support/shared-app-accounts';
import { runCli } from './run-cli';
/**
 * `bridgekeeper budget`: the real CLI as a child process against a real Temporal dev server, with a worker serving the
 * budget workflow so that it answers queries. The budget is named by the account's Hoiio application id, so every
 * account name on one application shows the same budget.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBudgetActivities } from '../../src/activities/budget';
import { callBudget } from '../../src/workflows/call-budget';
import { callBudgetWorkflowId } from '../../src/workflows/messages';
import {
  startTemporalTestEnv,
  startTestWorker,
  stopTemporalTestEnv,
  uniqueId,
  type TestWorker,
} from '../support/temporal-test-env';

let env: TestWorkflowEnvironment;
let worker: TestWorker;

beforeAll(async () => {
  env = await startTemporalTestEnv();
  worker = await startTestWorker(env, { activities: createBudgetActivities(env.client) });
});

afterAll(() => stopTemporalTestEnv(env, worker));

test('budget --account shows the budget of the account’s Hoiio application, the same for every name on it', async () => {
  const appId = uniqueId('app-cli');
  const cliEnv: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: worker.taskQueue,
    ...twoAccountsOnOneApp(appId),
  };
  const budget = await env.client.workflow.start(callBudget, {
    taskQueue: worker.taskQueue,
    workflowId: callBudgetWorkflowId(appId),
    args: [{ account: 'sales', budgetKey: appId, capacity: 8 }],
  });

  for (const account of ['sales', 'support']) {
    const run = await runCli(['budget', '--account', account, '--json'], cliEnv);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ budgetKey: appId, capacity: 8, held: [], waiting: [] });
  }
  const table = await runCli(['budget', '--account', 'support'], cliEnv);
  expect(table.code).toBe(0);
  expect(table.stdout).toContain(`0/8 permits held`);

  // The default account (demo-app on the local simulator) has placed no call here yet.
  const none = await runCli(['budget'], cliEnv);
  expect(none.code).toBe(0);
  expect(none.stdout).toBe('no calls placed yet for account default\n');

  // An account name that is not configured cannot name a budget: a usage error, nothing queried.
  const unknown = await runCli(['budget', '--account', 'nobody'], cliEnv);
  expect(unknown.code).toBe(2);
  expect(unknown.stdout).toBe('');
  expect(unknown.stderr).toContain('nobody');
  expect(unknown.stderr).toContain('configured: default, sales, support');

  await budget.terminate('test done');
});
