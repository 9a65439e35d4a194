/**
 * BRIDGEKEEPER_BUDGET_TASK_QUEUE: the call budget runs on a task queue of its own, served by a second worker of the
 * same process, while the sessions stay on the main queue. Only that second worker polls the budget's queue, so a
 * session that completes here was given its lines by it.
 */
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import { expectSummaryMatchesLedger, numbers, resetSimulator, sessionKit } from './support/session-kit';

const budgetTaskQueue = uniqueId('budgets');
/** 15 simulated minutes: 1.5 s at 600x, long enough to hold lines across the restart. */
const HELD_CALL = { outcome: 'answered', ringSeconds: 1, talkSeconds: 900 } as const;
let stack: SessionStack;

beforeAll(async () => {
  stack = await startSessionStack({ timeScale: 600, seed: 7 }, { worker: { budgetTaskQueue } });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => resetSimulator(stack));

const { startSession, ledger, budget, waitForStatus } = sessionKit(() => stack);

describe('a call budget on its own task queue', () => {
  it('runs there, and two sessions on the main queue share its 8 lines across a worker restart mid-dial', async () => {
    const first = numbers(10, 86_000_000);
    const second = numbers(10, 87_000_000);
    // The first two of each session talk long, so lines are held while the workers restart.
    await stack.simPost('/_sim/config', {
      scripts: Object.fromEntries([...first.slice(0, 2), ...second.slice(0, 2)].map((n) => [n, HELD_CALL])),
    });
    const handles = await Promise.all([startSession({ participants: first }), startSession({ participants: second })]);
    await waitForStatus(handles[0], (status) => status.activeLegs > 0);

    const described = await budget().describe();
    expect(described.taskQueue).toBe(budgetTaskQueue);
    expect(described.taskQueue).not.toBe(stack.taskQueue);

    // A redeploy while legs are up and more are waiting for lines: both workers stop and come back.
    await stack.restartWorker();

    const summaries = await Promise.all(handles.map((handle) => handle.result()));
    const { calls, stats } = await ledger();
    expect(calls).toHaveLength(20);
    for (const summary of summaries) {
      expect(summary.endedBy).toBe('completed');
      expectSummaryMatchesLedger(summary, calls);
    }
    expect(stats.peakConcurrentCalls['demo-app']).toBe(8);
    expect(stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
  });
});
