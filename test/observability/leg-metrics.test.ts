import type { WorkflowInfo } from '@temporalio/workflow';
import { legMetricsSinks } from '../../src/observability/leg-metrics';
import { costThousandths, legsEnded } from '../../src/observability/metrics';
import { callEndedSignal, endUpdate } from '../../src/workflows/messages';
import { waitFor } from '../support/wait-for';
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { LONG_CALL, numbers, resetSimulator, sessionKit } from '../workflows/support/session-kit';

/**
 * The worker's leg metrics count each leg once, even when a leg's notification comes again after the session
 * continued as new: the new run starts with an empty memory, so the interceptor must learn the legs ended before from
 * the state the run carries. The worker runs in this process, so its registry is read directly.
 */
let stack: SessionStack;

beforeAll(async () => {
  stack = await startSessionStack({ timeScale: 600, seed: 5 });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => resetSimulator(stack));

const { startSession, ledger, waitForStatus } = sessionKit(() => stack);

async function legsCounted(): Promise<number> {
  const { values } = await legsEnded.get();
  return values.filter((value) => value.labels.account === 'default').reduce((sum, value) => sum + value.value, 0);
}

it('does not count a leg again when its notification comes again after continue-as-new', async () => {
  const participants = numbers(20, 87_000_000);
  await stack.simPost('/_sim/config', { scripts: { [participants[0]!]: LONG_CALL } });
  const before = await legsCounted();
  const handle = await startSession({ participants, messagesPerRun: 10 });
  // Everyone but the long call has finished.
  await waitForStatus(
    handle,
    (status) =>
      status.activeLegs === 1 &&
      (['answered', 'unanswered', 'busy', 'failed'] as const).reduce((sum, s) => sum + (status.counts[s] ?? 0), 0) ===
        19,
    60_000,
  );
  // The run that holds the session now is not the first: the earliest ends were handled by an earlier run.
  await waitFor(
    async () => (await handle.describe()).runId,
    (runId) => runId !== handle.firstExecutionRunId,
    'the session to continue as new',
  );

  const { calls } = await ledger();
  const first = calls
    .filter((call) => call.ended_at !== null)
    .sort((a, b) => Date.parse(a.ended_at!) - Date.parse(b.ended_at!))[0]!;
  // The receiver's signal for that leg, sent again (as a second receiver, or Hoiio's retry, would).
  await handle.signal(callEndedSignal, {
    txnRef: first.txn_ref,
    dest: first.dest,
    callStatus: first.call_status_dest as 'answered',
    durationMinutes: Number(first.duration),
    currency: first.currency,
    rate: first.rate,
    debit: first.debit!,
  });
  await handle.executeUpdate(endUpdate, { args: [{ reason: 'test over' }] });
  const summary = await handle.result();

  expect(summary.legs.duplicateNotifications).toBe(1);
  const ended = (await ledger()).calls.length;
  expect(ended).toBe(20);
  expect((await legsCounted()) - before).toBe(ended);
}, 120_000);

it('counts a leg and its bill once when the workflow task that ended it runs again and calls the sink again', async () => {
  // The worker calls a sink after the task has run, before the server accepts (or refuses) its completion; a refused
  // or timed-out task runs again from history and makes the same calls. Those calls are what reach the worker then.
  const { legEnded, legBilled } = legMetricsSinks.bridgekeeperMetrics;
  const info = workflowInfoFor('rerun-session');
  const account = 'sink-rerun';
  const leg = { account, txnRef: 'TX-sink-rerun-1', outcome: 'answered' };
  const bill = { currency: 'SGD', debit: '0.070' };

  await legEnded.fn(info, leg);
  await legEnded.fn(info, leg); // the task ran again
  await legBilled.fn(info, { ...leg, bill });
  await legBilled.fn(info, { ...leg, bill });
  await legEnded.fn(info, { ...leg, txnRef: 'TX-sink-rerun-2', bill });
  await legEnded.fn(info, { ...leg, txnRef: 'TX-sink-rerun-2', bill });

  const ends = (await legsEnded.get()).values.filter((value) => value.labels.account === account);
  expect(ends.reduce((sum, value) => sum + value.value, 0)).toBe(2);
  const cost = (await costThousandths.get()).values.filter((value) => value.labels.account === account);
  expect(cost.map((value) => value.value)).toEqual([140]);
});

/** What the worker passes a sink with each call; the leg sinks do not read it. */
function workflowInfoFor(workflowId: string): WorkflowInfo {
  return { workflowId, runId: `${workflowId}-run`, workflowType: 'conferenceSession' } as WorkflowInfo;
}
