/**
 * What a deploy, a network and a bad message do to running sessions, each at the worst moment: a worker stopped
 * while a dial is in flight, a notification dropped so that only a poll can free the line, a history that lags
 * behind the dial, a malformed signal. Every case is judged by the simulator's ledger and the session's summary.
 */
import { WorkflowFailedError } from '@temporalio/client';
import {
  addParticipantsUpdate,
  callBudgetWorkflowId,
  callEndedSignal,
  endUpdate,
  kickUpdate,
  statusQuery,
} from '../../src/workflows/messages';
import { SessionState } from '../../src/domain/session-state';
import { conferenceSession } from '../../src/workflows';
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import {
  DEMO_APP_ID,
  LONG_CALL,
  expectSummaryMatchesLedger,
  legsPerNumber,
  numbers,
  resetSimulator,
  sessionKit,
} from './support/session-kit';

let stack: SessionStack;

beforeAll(async () => {
  stack = await startSessionStack(
    { timeScale: 600, seed: 11 },
    {
      // A second account name on the same Hoiio application: it must share the application's 8 lines.
      hoiioEnv: {
        HOIIO_ACCOUNTS: JSON.stringify({ alias: { appId: DEMO_APP_ID, accessTokenEnv: 'ALIAS_TOKEN' } }),
        ALIAS_TOKEN: 'demo-token',
      },
      worker: { shutdownGraceMs: 2_000, historySettleMs: 2_000 },
    },
  );
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => resetSimulator(stack));

const { startSession, ledger, waitForStatus, waitForBudget, waitForRequests } = sessionKit(() => stack);

const longCalls = (participants: string[]) => ({
  scripts: Object.fromEntries(participants.map((number) => [number, LONG_CALL])),
});

async function setDialFault(fault: Record<string, unknown> | null) {
  await stack.simPost('/_sim/config', { faults: { api: { 'conference/call': fault } } });
}

describe('a session under faults', () => {
  it('a worker stopped while its dial waits for Hoiio: the next worker adopts the legs by tag, none is lost', async () => {
    const participants = numbers(4, 81_000_000);
    await stack.simPost('/_sim/config', longCalls(participants));
    // Hoiio places the calls, then holds its reply longer than the stopping worker waits for the activity.
    await setDialFault({ slowRate: 1, slowMs: 6_000 });
    const handle = await startSession({ participants });
    await waitForRequests('conference/call', 1);
    await stack.restartWorker();
    await setDialFault(null);

    await waitForStatus(handle, (status) => status.activeLegs === 4);
    await handle.executeUpdate(endUpdate, { args: [{ reason: 'test over' }] });
    const summary = await handle.result();
    const { calls } = await ledger();

    expect(calls).toHaveLength(4);
    expect([...legsPerNumber(calls).values()]).toEqual([1, 1, 1, 1]);
    expectSummaryMatchesLedger(summary, calls);
    expect(summary.outcomes).toEqual({ answered: 4 });
    expect(summary.retries.reasons.worker_shutdown).toBe(1);
  });

  it('a deploy lets a dial that finishes within the grace time complete on its first attempt', async () => {
    const participants = numbers(3, 81_100_000);
    await stack.simPost('/_sim/config', longCalls(participants));
    await setDialFault({ slowRate: 1, slowMs: 700 });
    const handle = await startSession({ participants });
    await waitForRequests('conference/call', 1);
    await stack.restartWorker();
    await setDialFault(null);

    await waitForStatus(handle, (status) => status.activeLegs === 3);
    await handle.executeUpdate(endUpdate, { args: [{}] });
    const summary = await handle.result();
    expect(summary.retries.total).toBe(0);
    expect(summary.requests).toMatchObject({ conferenceCall: 1, historyLookups: 0 });

    // A crashed worker's attempt is retried after the heartbeat timeout, not the whole start-to-close.
    const history = await handle.fetchHistory();
    const dial = history.events?.find(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'placeConferenceCall',
    );
    expect(Number(dial?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds)).toBe(30);
  });

  it('looks again when the history lags behind a dial whose reply was lost, and never dials twice', async () => {
    const participants = numbers(3, 81_200_000);
    await stack.simPost('/_sim/config', { ...longCalls(participants), historyLagMs: 1_500 });
    // The first request is placed, then answered with a bare 503: the retry must find its legs, late as they are.
    await setDialFault({ http5xxAfterRate: 1 });
    const handle = await startSession({ participants });
    await waitForRequests('conference/call', 1);
    await setDialFault(null);

    await waitForStatus(handle, (status) => status.activeLegs === 3);
    await handle.executeUpdate(endUpdate, { args: [{}] });
    const summary = await handle.result();
    const { calls, stats } = await ledger();

    expect(stats.requests['conference/call']).toBe(1);
    expect([...legsPerNumber(calls).values()]).toEqual([1, 1, 1]);
    expectSummaryMatchesLedger(summary, calls);
  });

  it('frees the lines of legs settled by polls at once, so sessions sharing the account never stall', async () => {
    await stack.simPost('/_sim/config', {
      faults: { notifications: { dropRate: 1 } },
      outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
      timing: { ringSeconds: { min: 1, max: 2 }, talkSeconds: { min: 60, max: 120 } },
    });
    // The first session takes all 8 lines and has 4 more to dial; the second queues behind it at the budget. No
    // notification ever comes: only the first session's polls can show its 8 legs ended and free the account.
    const first = await startSession({ participants: numbers(12, 82_000_000), notificationGraceSeconds: 1 });
    await waitForStatus(first, (status) => status.activeLegs === 8);
    const second = await startSession({ participants: numbers(4, 82_100_000), notificationGraceSeconds: 1 });
    const summaries = await Promise.all([first.result(), second.result()]);
    const { calls, stats } = await ledger();

    for (const summary of summaries) {
      expectSummaryMatchesLedger(summary, calls);
      expect(summary.legs.endedBy.notification).toBe(0);
    }
    expect(calls).toHaveLength(16);
    expect(stats.peakConcurrentCalls[DEMO_APP_ID]).toBeLessThanOrEqual(8);
    expect((await waitForBudget((state) => state.held.length === 0)).held).toEqual([]);
  });

  it('gives back the lines of ended legs while a dial is stuck in retries', async () => {
    const first = numbers(4, 83_000_000);
    const second = numbers(4, 83_100_000);
    await stack.simPost('/_sim/config', longCalls([...first, ...second]));
    const handle = await startSession({ participants: first });
    await waitForStatus(handle, (status) => status.activeLegs === 4);
    // Every new dial is now refused for the rate limit, and retried with backoff for as long as it lasts.
    await setDialFault({ rateLimitRate: 1 });
    await handle.executeUpdate(addParticipantsUpdate, { args: [{ participants: second }] });
    await waitForBudget((state) => state.held.length === 8);
    await waitForRequests('conference/call', 3);
    for (const number of first) await handle.executeUpdate(kickUpdate, { args: [{ number }] });

    // The kicked legs' permits go back while the dial of the next four still waits out its backoff.
    const budget = await waitForBudget((state) => state.held.length === 4);
    expect(budget.held).toHaveLength(4);
    expect(await handle.query(statusQuery)).toMatchObject({ counts: { dialing: 4 } });

    await setDialFault(null);
    await waitForStatus(handle, (status) => status.activeLegs === 4, 90_000);
    await handle.executeUpdate(endUpdate, { args: [{}] });
    const summary = await handle.result();
    const { calls } = await ledger();
    expectSummaryMatchesLedger(summary, calls);
    expect([...legsPerNumber(calls).values()].every((count) => count === 1)).toBe(true);
  });

  it('end finishes a session whose dial keeps failing, which shows its participants dialing, not in a call', async () => {
    const participants = numbers(2, 87_000_000);
    // Hoiio is down: every dial is answered 503 before any work, and retried with backoff for about half an hour.
    await setDialFault({ http5xxRate: 1 });
    const handle = await startSession({ participants });
    await waitForRequests('conference/call', 2);
    const status = await handle.query(statusQuery).catch(async (error: unknown) => {
      await handle.terminate(); // a session left dialing would skew the next test's request counts
      throw error;
    });
    await handle.executeUpdate(endUpdate, { args: [{ reason: 'hoiio down' }] });
    const summary = await handle.result();
    expect(status.counts).toEqual({ dialing: 2 });
    expect(status.activeLegs).toBe(0);
    const { calls } = await ledger();

    expect(calls).toEqual([]);
    expect(summary.endedBy).toBe('end-request');
    expect(summary.participants.map((p) => [p.status, p.reason, p.attempts])).toEqual([
      ['cancelled', 'ended: hoiio down', 0],
      ['cancelled', 'ended: hoiio down', 0],
    ]);
  });

  it('end cancels a dial whose reply is late, then finds its legs by tag and hangs them up, dialing none twice', async () => {
    const participants = numbers(2, 87_100_000);
    await stack.simPost('/_sim/config', longCalls(participants));
    // Hoiio places the calls at once but holds its reply for 20 s: the end lands while the dial's outcome is unknown.
    await setDialFault({ slowRate: 1, slowMs: 20_000 });
    const handle = await startSession({ participants });
    await waitForRequests('conference/call', 1);
    await handle.executeUpdate(endUpdate, { args: [{ reason: 'changed plans' }] });
    const summary = await handle.result();
    const { calls, stats } = await ledger();

    expect(stats.requests['conference/call']).toBe(1);
    expect(calls.map((c) => c.state)).toEqual(['ended', 'ended']);
    expectSummaryMatchesLedger(summary, calls);
    expect(summary.endedBy).toBe('end-request');
    // The end cancelled the dial rather than wait out its reply.
    const { events } = await handle.fetchHistory();
    expect(events?.filter((event) => event.activityTaskCancelRequestedEventAttributes)).toHaveLength(1);
  });

  it('drops and counts a malformed callEnded signal instead of wedging the session', async () => {
    const participants = numbers(2, 84_000_000);
    await stack.simPost('/_sim/config', longCalls(participants));
    const handle = await startSession({ participants });
    const status = await waitForStatus(handle, (status) => status.activeLegs === 2);
    const txnRef = status.participants[0]!.txnRefs[0]!;
    // Any client of the namespace can send these: a live leg's end with a debit of four decimals, and junk.
    const bad = { txnRef, dest: participants[0], callStatus: 'answered', durationMinutes: 1, currency: 'SGD' };
    await handle.signal(callEndedSignal, { ...bad, rate: '0.020', debit: '0.0205' } as never);
    await handle.signal(callEndedSignal, 'not even an object' as never);

    const ended = await handle.executeUpdate(endUpdate, { args: [{ reason: 'after bad signals' }] });
    expect(ended).toEqual({ hungUp: 2, cancelled: 0 });
    const summary = await handle.result();
    const { calls } = await ledger();
    expect(summary.legs.malformedNotifications).toBe(2);
    expectSummaryMatchesLedger(summary, calls);
  });

  it('refuses an end reason too long to copy into every participant', async () => {
    const participants = numbers(1, 84_100_000);
    await stack.simPost('/_sim/config', longCalls(participants));
    const handle = await startSession({ participants });
    await waitForStatus(handle, (status) => status.activeLegs === 1);
    await expect(handle.executeUpdate(endUpdate, { args: [{ reason: 'x'.repeat(5_000) }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/at most 200 characters/) as unknown },
    });
    await handle.executeUpdate(endUpdate, { args: [{ reason: 'short' }] });
    await handle.result();
  });

  it('goes on after continue-as-new with an input a later release validates more strictly', async () => {
    const participants = numbers(2, 84_200_000);
    const snapshot = SessionState.start({ room: 'bk_resumed', sessionKey: 'resumed0001', now: Date.now() });
    const state = new SessionState(snapshot, { redial: {}, graceMs: 120_000, maxPollIntervalMs: 600_000 });
    state.add(participants);
    // As if the previous run had started under a schema that allowed 5 messages per run (today's minimum is 10).
    const input = { participants, messagesPerRun: 5 };
    const resume = {
      state: state.snapshot(),
      pool: { held: [], available: [], pending: [], released: [] },
      phase: 'running' as const,
    };
    const handle = await stack.env.client.workflow.start(conferenceSession, {
      taskQueue: stack.taskQueue,
      workflowId: uniqueId('resumed'),
      args: [input, resume],
    });
    const summary = await handle.result();
    const { calls } = await ledger();
    expect(summary.participants.map((p) => p.txnRefs.length)).toEqual([1, 1]);
    expectSummaryMatchesLedger(summary, calls);
    // The same input on a first run is refused at once.
    await expect(startSession(input).then((started) => started.result())).rejects.toThrow(WorkflowFailedError);
  });

  it('fails at once, before any budget starts, when the account is unknown', async () => {
    const handle = await startSession({ participants: numbers(1, 85_000_000), account: 'nosuch' });
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // The workflow fails with the resolving activity's failure, whose cause names the account and the known ones.
    const resolving = (failure as WorkflowFailedError).cause?.cause as Error | undefined;
    expect(resolving?.message).toMatch(/"nosuch".*unknown; configured: alias, default/);
    const budget = stack.env.client.workflow.getHandle(callBudgetWorkflowId('nosuch'));
    await expect(budget.describe()).rejects.toThrow(/not found/i);
  });

  it('shares one budget between account names that point at the same Hoiio application', async () => {
    const viaDefault = numbers(8, 86_000_000);
    const viaAlias = numbers(8, 86_100_000);
    await stack.simPost('/_sim/config', longCalls([...viaDefault, ...viaAlias]));
    const first = await startSession({ participants: viaDefault });
    const second = await startSession({ participants: viaAlias, account: 'alias' });
    // Eight lines in all: whichever session got them, the other one waits.
    for (;;) {
      const [a, b] = await Promise.all([first.query(statusQuery), second.query(statusQuery)]);
      if (a.activeLegs + b.activeLegs === 8) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Long enough for a second budget, if there were one, to have dialed its own eight.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const { stats } = await ledger();

    expect(stats.peakConcurrentCalls[DEMO_APP_ID]).toBeLessThanOrEqual(8);
    expect(stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
    await Promise.all([first, second].map((handle) => handle.executeUpdate(endUpdate, { args: [{}] })));
    await Promise.all([first.result(), second.result()]);
  });
});
