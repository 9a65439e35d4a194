/**
 * The largest session the input allows, with redials: 1,000 participants, each busy four times (one dial and three
 * redials), so 4,000 legs. Its state must keep fitting through continue-as-new (the server refuses an input over
 * 2 MiB), and the summary must still match the simulator's ledger leg for leg.
 */
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import { expectSummaryMatchesLedger, legsPerNumber, numbers, sessionKit } from './support/session-kit';

let stack: SessionStack;

beforeAll(async () => {
  // 6000x: a busy signal (3 simulated seconds) lasts half a millisecond.
  stack = await startSessionStack({ timeScale: 6_000, seed: 5 });
});

afterAll(async () => {
  await stack?.stop();
});

const { startSession, ledger } = sessionKit(() => stack);

describe('a 1,000-participant session', () => {
  it('redials everyone three times, continues as new at least twice, and loses no leg', async () => {
    const participants = numbers(1_000, 87_000_000);
    await stack.simPost('/_sim/config', {
      outcomeWeights: { answered: 0, unanswered: 0, busy: 1, failed: 0 },
      timing: { busySeconds: 3, dialGapSeconds: 0 },
    });
    const workflowId = uniqueId('scale');
    const handle = await startSession(
      {
        participants: participants.map((number, i) => ({ number, name: `Participant ${i}`.padEnd(100, '.') })),
        redial: { busy: { attempts: 3, delaySeconds: 0 } },
        notificationGraceSeconds: 600,
      },
      workflowId,
    );
    const summary = await handle.result();
    const { calls, stats } = await ledger();

    expect(calls).toHaveLength(4_000);
    expect(new Set(legsPerNumber(calls).values())).toEqual(new Set([4]));
    expect(summary.outcomes).toEqual({ busy: 1_000 });
    expectSummaryMatchesLedger(summary, calls);
    expect(stats.peakConcurrentCalls['demo-app']).toBeLessThanOrEqual(8);

    let runs = 0;
    for await (const _ of stack.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs += 1;
    expect(runs).toBeGreaterThanOrEqual(3);
  }, 600_000);
});
