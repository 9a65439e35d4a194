import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { request } from 'undici';
import { HoiioSecret } from '../../src/hoiio/secret';
import { signNotification } from '../../src/hoiio/signature';
import { buildNotifyUrl, notifySecret } from '../../src/notifications/notify-url';
import { resolveTemporalCli } from '../../dev/stack/temporal-cli';
import { addParticipantsUpdate, endUpdate, kickUpdate, muteUpdate, statusQuery } from '../../src/workflows/messages';
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { LONG_CALL, expectSummaryMatchesLedger, numbers, resetSimulator, sessionKit } from './support/session-kit';
import { TRACING_PATCH } from '../../src/observability/workflow/tracing-patch';
import { patchMarkers } from '../support/patch-markers';
import { productionReplayOptions } from '../support/replay-options';

const DEMO_TOKEN = 'demo-token';

let stack: SessionStack;

beforeAll(async () => {
  // 600x: a simulated minute of talk passes in 0.1 s.
  stack = await startSessionStack({ timeScale: 600, seed: 7 });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => resetSimulator(stack));

const { startSession, runSession, ledger, waitForStatus, waitForBudget, waitForRequests } = sessionKit(() => stack);

describe('conferenceSession', () => {
  it('dials 20 participants in batches of at most 8 and sums the cost exactly as the simulator billed it', async () => {
    const participants = numbers(20);
    const summary = await runSession({
      participants: participants.map((number, i) => ({ number, name: `P${i + 1}` })),
    });
    const { calls, stats } = await ledger();

    expect(summary.participants.map((p) => p.number)).toEqual(participants);
    expect(calls).toHaveLength(20);
    expectSummaryMatchesLedger(summary, calls);
    expect(stats.peakConcurrentCalls['demo-app']).toBeLessThanOrEqual(8);
    expect(stats.peakRoomParticipants[summary.room]).toBeLessThanOrEqual(8);
    expect(stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
    expect(summary.legs.endedBy.notification).toBe(20);
    expect(summary.endedBy).toBe('completed');
  });

  it('fails at once on bad input, naming the bad number and the rule', async () => {
    const error = await runSession({ participants: ['+6580000001', '+65 8000 0002'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toContain('participants[1] = "+65 8000 0002"');
    expect(message).toContain('E.164');
  });

  it("keeps three concurrent sessions within the account's 8 lines, with no concurrent-limit rejection", async () => {
    const inputs = [numbers(10, 81_000_000), numbers(10, 82_000_000), numbers(10, 83_000_000)];
    const summaries = await Promise.all(inputs.map((participants) => runSession({ participants })));
    const { calls, stats } = await ledger();

    expect(calls).toHaveLength(30);
    for (const summary of summaries) expectSummaryMatchesLedger(summary, calls);
    expect(stats.peakConcurrentCalls['demo-app']).toBeLessThanOrEqual(8);
    // The sessions did share the lines: at some moment all 8 were busy.
    expect(stats.peakConcurrentCalls['demo-app']).toBe(8);
    expect(stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
    for (const summary of summaries) expect(stats.peakRoomParticipants[summary.room]).toBeLessThanOrEqual(8);
  });

  it('hands a freed line to its own next participant while another session waits, and to that session once it has nobody left', async () => {
    // A fills the 8 lines with a ninth participant waiting for room; B asks for a line behind it.
    const a = numbers(9, 84_000_000);
    const [b] = numbers(1, 85_000_000);
    await stack.simPost('/_sim/config', {
      scripts: {
        ...Object.fromEntries(a.map((number) => [number, LONG_CALL])),
        // 3,000 simulated seconds: 5 s of the test, long enough for B to be waiting when it ends.
        [a[0]!]: { outcome: 'answered', ringSeconds: 1, talkSeconds: 3_000 },
        [b!]: LONG_CALL,
      },
    });
    const sessionA = await startSession({ participants: a });
    await waitForStatus(sessionA, (status) => status.activeLegs === 8);
    const sessionB = await startSession({ participants: [b!] });
    await waitForBudget((state) => state.waiting.some((request) => request.holder === sessionB.workflowId));

    // a[0]'s call ends: its line goes straight to A's ninth participant, without a round trip through the budget.
    await waitForStatus(sessionA, (status) => status.activeLegs === 8 && status.counts.answered === 1, 20_000);
    const { calls } = await ledger();
    expect(calls.map((call) => call.dest)).toEqual(a);
    const state = await waitForBudget(() => true);
    expect(state.waiting).toMatchObject([{ holder: sessionB.workflowId, remaining: 1 }]);
    expect(state.held.filter((permit) => permit.holder === sessionA.workflowId)).toHaveLength(8);

    // A has nobody left to dial: the next line it frees goes back to the budget, and to B.
    await sessionA.executeUpdate(kickUpdate, { args: [{ number: a[1]! }] });
    await waitForStatus(sessionB, (status) => status.activeLegs === 1);
    await Promise.all([sessionA, sessionB].map((handle) => handle.executeUpdate(endUpdate, { args: [{}] })));
    const summaries = await Promise.all([sessionA.result(), sessionB.result()]);
    const after = await ledger();
    for (const summary of summaries) expectSummaryMatchesLedger(summary, after.calls);
    expect(after.stats.peakConcurrentCalls['demo-app']).toBe(8);
    expect(after.stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
  });

  it('retries rate-limited requests with backoff and still completes, reporting every retry', async () => {
    // Every dial is refused until two have been, so the retries are certain rather than left to the seeded dice
    // (whose sequence shifts with every other request, pre-flight's reads included); then half of them.
    const rateLimit = (rateLimitRate: number) =>
      stack.simPost('/_sim/config', { faults: { api: { 'conference/call': { rateLimitRate } } } });
    await rateLimit(1);
    const handle = await startSession({ participants: numbers(12) });
    await waitForRequests('conference/call', 2);
    await rateLimit(0.5);
    const summary = await handle.result();
    const { calls, stats } = await ledger();

    expect(calls).toHaveLength(12);
    expectSummaryMatchesLedger(summary, calls);
    const rejected = stats.rejections.error_rate_limit_exceeded ?? 0;
    expect(rejected).toBeGreaterThan(0);
    expect(summary.retries.reasons.error_rate_limit_exceeded).toBe(rejected);
    expect(summary.retries.total).toBe(rejected);
    expect(summary.requests.conferenceCall).toBe(stats.requests['conference/call']);
  });

  it('recovers legs whose notification never came by polling voice/query_status', async () => {
    await stack.simPost('/_sim/config', { faults: { notifications: { dropRate: 1 } } });
    const summary = await runSession({ participants: numbers(6), notificationGraceSeconds: 1 });
    const { calls } = await ledger();

    expectSummaryMatchesLedger(summary, calls);
    expect(summary.legs.endedBy).toEqual({ notification: 0, poll: 6, assumed: 0 });
    expect(summary.requests.statusPolls).toBeGreaterThanOrEqual(6);
  });

  it('ignores duplicated notifications: nothing is counted twice', async () => {
    await stack.simPost('/_sim/config', { faults: { notifications: { duplicateRate: 1 } } });
    const handle = await startSession({ participants: numbers(8) });
    const summary = await handle.result();
    const { calls } = await ledger();

    expectSummaryMatchesLedger(summary, calls);
    expect(summary.legs.endedBy.notification).toBe(8);
    // The receiver acknowledges each second copy without signalling it again (and the session would ignore it).
    const copies = () =>
      stack.receiverEvents.filter((event) => event.workflowId === handle.workflowId && event.outcome === 'duplicate');
    for (let waited = 0; copies().length < 8 && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(copies()).toHaveLength(8);
    expect(summary.legs.duplicateNotifications).toBe(0);
  });

  it('handles a notification that arrives before the dial request has returned', async () => {
    // Hoiio answers slowly while the legs end at once: every notification beats the reply with the txn_refs.
    await stack.simPost('/_sim/config', {
      faults: { api: { 'conference/call': { slowRate: 1, slowMs: 1_500 } } },
      scripts: Object.fromEntries(numbers(4).map((number) => [number, { outcome: 'busy' }])),
    });
    const summary = await runSession({ participants: numbers(4) });
    const { calls } = await ledger();

    expectSummaryMatchesLedger(summary, calls);
    expect(summary.participants.map((p) => p.status)).toEqual(['busy', 'busy', 'busy', 'busy']);
    expect(summary.legs.endedBy.notification).toBe(4);
  });

  it('never dials twice when a request fails after Hoiio acted on it: the retry adopts the legs by tag', async () => {
    await stack.simPost('/_sim/config', { faults: { api: { 'conference/call': { http5xxAfterRate: 1 } } } });
    const summary = await runSession({ participants: numbers(5) });
    const { calls } = await ledger();

    expect(calls).toHaveLength(5); // one leg per participant, though every reply was a 5xx
    expect(new Set(calls.map((c) => c.dest)).size).toBe(5);
    expectSummaryMatchesLedger(summary, calls);
    expect(summary.requests.historyLookups).toBeGreaterThanOrEqual(1);
    expect(summary.participants.every((p) => p.attempts === 1)).toBe(true);
  });

  it('fails only the number Hoiio does not support and dials the others', async () => {
    const participants = [...numbers(3), '+8821234567', ...numbers(2, 84_000_000)];
    const summary = await runSession({ participants });
    const { calls } = await ledger();

    const bad = summary.participants.find((p) => p.number === '+8821234567')!;
    expect(bad).toMatchObject({ status: 'failed', reason: 'error_dest_not_supported', txnRefs: [], debit: '0.000' });
    expect(calls.map((c) => c.dest).sort()).toEqual(participants.filter((n) => n !== '+8821234567').sort());
    expectSummaryMatchesLedger({ ...summary, participants: summary.participants.filter((p) => p !== bad) }, calls);
  });

  it('redials a busy participant per the rules', async () => {
    const [busyOnce, other] = numbers(2);
    await stack.simPost('/_sim/config', {
      scripts: { [busyOnce!]: [{ outcome: 'busy' }, { outcome: 'answered', talkSeconds: 120 }] },
    });
    const summary = await runSession({
      participants: [busyOnce!, other!],
      redial: { busy: { attempts: 2, delaySeconds: 1 } },
    });
    const { calls } = await ledger();

    const redialed = summary.participants.find((p) => p.number === busyOnce)!;
    expect(redialed).toMatchObject({ status: 'answered', attempts: 2, minutes: 2, debit: '0.040' });
    expect(calls.filter((c) => c.dest === busyOnce).map((c) => c.call_status_dest)).toEqual(['busy', 'answered']);
    expectSummaryMatchesLedger(summary, calls);
  });

  it('rejects a forged notification and keeps the real outcome', async () => {
    const [caller] = numbers(1);
    await stack.simPost('/_sim/config', { scripts: { [caller!]: LONG_CALL } });
    const handle = await startSession({ participants: [caller!] });
    await waitForStatus(handle, (status) => status.activeLegs === 1 && status.participants[0]!.txnRefs.length === 1);
    const { calls } = await ledger();
    const txnRef = calls[0]!.txn_ref;

    const notifyUrl = buildNotifyUrl({
      publicUrl: stack.receiver.url,
      account: 'default',
      workflowId: handle.workflowId,
      secret: notifySecret(new HoiioSecret(DEMO_TOKEN)),
    });
    const body = new URLSearchParams({
      dest: caller!,
      call_status_dest: 'answered',
      txn_ref: txnRef,
      date: '2026-01-01 10:00:00',
      duration: '99',
      currency: 'SGD',
      rate: '0.020',
      debit: '1.980',
    }).toString();
    const forged = await request(notifyUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-hoiio-signature': signNotification(body, 'not-the-token'),
      },
      body,
    });
    expect(forged.statusCode).toBe(401);
    await forged.body.dump();
    const stillActive = await handle.query(statusQuery);
    expect(stillActive.activeLegs).toBe(1);
    expect(stillActive.costSoFar).toEqual([]);

    const ended = await handle.executeUpdate(endUpdate, { args: [{ reason: 'test over' }] });
    expect(ended).toEqual({ hungUp: 1, cancelled: 0 });
    const summary = await handle.result();
    const after = await ledger();
    expectSummaryMatchesLedger(summary, after.calls);
    expect(summary.participants[0]!.minutes).not.toBe(99);
  });

  it('end hangs up every active leg, dials no more, and finishes with the summary', async () => {
    const participants = numbers(10);
    await stack.simPost('/_sim/config', {
      scripts: Object.fromEntries(participants.map((number) => [number, LONG_CALL])),
    });
    const handle = await startSession({ participants });
    await waitForStatus(handle, (status) => status.activeLegs === 8);

    const ended = await handle.executeUpdate(endUpdate, { args: [{ reason: 'chair left' }] });
    expect(ended).toEqual({ hungUp: 8, cancelled: 2 });
    const summary = await handle.result();
    const { calls } = await ledger();

    expect(summary.endedBy).toBe('end-request');
    expect(calls).toHaveLength(8);
    expect(calls.every((c) => c.call_status_dest === 'answered')).toBe(true);
    expectSummaryMatchesLedger({ ...summary, participants: summary.participants.filter((p) => p.attempts > 0) }, calls);
    expect(summary.participants.filter((p) => p.status === 'cancelled').map((p) => p.number)).toEqual(
      participants.slice(8),
    );
    expect(summary.requests.hangups).toBe(8);
  });

  it('mutes, kicks and adds participants while the session runs', async () => {
    const [first, second, late] = numbers(3);
    await stack.simPost('/_sim/config', { scripts: { [first!]: LONG_CALL, [second!]: LONG_CALL, [late!]: LONG_CALL } });
    const handle = await startSession({ participants: [first!, second!] });
    await waitForStatus(handle, (status) => status.activeLegs === 2);

    await handle.executeUpdate(muteUpdate, { args: [{ number: first! }] });
    await handle.executeUpdate(kickUpdate, { args: [{ number: second! }] });
    await waitForStatus(
      handle,
      (status) => status.participants.find((p) => p.number === second)!.status === 'answered',
    );
    // The validator rejects it before anything is written to history.
    await expect(handle.executeUpdate(kickUpdate, { args: [{ number: '+6599999999' }] })).rejects.toMatchObject({
      cause: { message: expect.stringContaining('+6599999999 is not a participant') },
    });
    const added = await handle.executeUpdate(addParticipantsUpdate, { args: [{ participants: [late!, first!] }] });
    expect(added).toEqual({ added: [late] });
    await waitForStatus(handle, (status) => status.activeLegs === 2);
    await handle.executeUpdate(endUpdate, { args: [{}] });
    const summary = await handle.result();
    const { calls } = await ledger();

    expect(summary.participants.find((p) => p.number === second)).toMatchObject({
      status: 'answered',
      reason: 'kicked',
    });
    expect(summary.requests.moderations).toBe(2);
    expectSummaryMatchesLedger(summary, calls);
  });

  it('continues as new when its history grows, without losing a leg or a cent', async () => {
    const handle = await startSession({ participants: numbers(20), messagesPerRun: 10 });
    const summary = await handle.result();
    const { calls } = await ledger();

    expectSummaryMatchesLedger(summary, calls);
    expect(calls).toHaveLength(20);
    // 20 notifications at 10 messages a run: the first run hands over, the last one finishes.
    expect(await listRuns(handle.workflowId)).toBeGreaterThanOrEqual(2);
  });

  it('gives back every permit across continue-as-new: the budget holds exactly the active legs', async () => {
    const participants = numbers(30);
    await stack.simPost('/_sim/config', { scripts: { [participants[0]!]: LONG_CALL } });
    const handle = await startSession({ participants, messagesPerRun: 10 });
    // Everyone but the long call has finished: the session holds one leg, so it must hold one permit.
    await waitForStatus(
      handle,
      (status) =>
        status.activeLegs === 1 &&
        (status.counts.answered ?? 0) +
          (status.counts.unanswered ?? 0) +
          (status.counts.busy ?? 0) +
          (status.counts.failed ?? 0) ===
          29,
    );
    // The last release travels by signal: give the budget a moment, but a leaked permit never comes back.
    const budget = await waitForBudget((state) => state.held.filter((p) => p.holder === handle.workflowId).length <= 1);
    expect(budget.held.filter((permit) => permit.holder === handle.workflowId)).toHaveLength(1);
    expect(budget.waiting.filter((request) => request.holder === handle.workflowId)).toEqual([]);
    expect(await listRuns(handle.workflowId)).toBeGreaterThanOrEqual(2);

    await handle.executeUpdate(endUpdate, { args: [{}] });
    const summary = await handle.result();
    expectSummaryMatchesLedger(summary, (await ledger()).calls);
    const after = await waitForBudget((state) => state.held.every((p) => p.holder !== handle.workflowId));
    expect(after.held.filter((permit) => permit.holder === handle.workflowId)).toEqual([]);
  });

  it('finishes after end even when hanging up a ringing leg would call for a redial', async () => {
    const [ringing] = numbers(1);
    await stack.simPost('/_sim/config', { scripts: { [ringing!]: { outcome: 'answered', ringSeconds: 86_400 } } });
    const handle = await startSession({
      participants: [ringing!],
      redial: { unanswered: { attempts: 2, delaySeconds: 1 } },
    });
    await waitForStatus(handle, (status) => status.activeLegs === 1);

    await handle.executeUpdate(endUpdate, { args: [{ reason: 'nobody home' }] });
    const summary = await handle.result();
    const { calls } = await ledger();

    expect(calls).toHaveLength(1);
    expect(summary.participants[0]).toMatchObject({ status: 'unanswered', attempts: 1 });
    expect(summary.endedBy).toBe('end-request');
  });

  it('hangs up its legs and gives back its permits when cancelled', async () => {
    const participants = numbers(3);
    await stack.simPost('/_sim/config', {
      scripts: Object.fromEntries(participants.map((number) => [number, LONG_CALL])),
    });
    const handle = await startSession({ participants });
    await waitForStatus(handle, (status) => status.activeLegs === 3);

    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const { calls } = await ledger();
    expect(calls.map((c) => c.call_status_dest)).toEqual(['answered', 'answered', 'answered']);
    expect(calls.every((c) => c.duration !== null)).toBe(true);
    const budget = await waitForBudget((state) => state.held.every((p) => p.holder !== handle.workflowId));
    expect(budget.held.filter((permit) => permit.holder === handle.workflowId)).toEqual([]);
  });

  it('hangs up the legs of a dial still in flight when cancelled', async () => {
    const participants = numbers(2);
    // Hoiio places the calls at once but answers only after 2 s: the cancel lands while the dial is in flight.
    await stack.simPost('/_sim/config', {
      faults: { api: { 'conference/call': { slowRate: 1, slowMs: 2_000 } } },
      scripts: Object.fromEntries(participants.map((number) => [number, LONG_CALL])),
    });
    const handle = await startSession({ participants });
    await waitForStatus(handle, (status) => status.counts.dialing === 2);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();

    const { calls } = await ledger();
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.state)).toEqual(['ended', 'ended']);
    const budget = await waitForBudget((state) => state.held.every((p) => p.holder !== handle.workflowId));
    expect(budget.held.filter((permit) => permit.holder === handle.workflowId)).toEqual([]);
  });

  it('settles a leg Hoiio no longer knows instead of polling it forever', async () => {
    const [caller] = numbers(1);
    await stack.simPost('/_sim/config', { scripts: { [caller!]: LONG_CALL } });
    const handle = await startSession({ participants: [caller!], notificationGraceSeconds: 1 });
    await waitForStatus(handle, (status) => status.activeLegs === 1);
    // The simulator forgets every call, silently: no notification, and query_status answers error_invalid_txn_ref.
    await stack.simPost('/_sim/reset', {});

    const summary = await handle.result();
    expect(summary.participants[0]).toMatchObject({ status: 'failed', reason: 'unknown_txn_ref', debit: '0.000' });
    expect(summary.requests.statusPolls).toBe(3);
    expect(summary.totals).toEqual([]);
  });

  it('survives its worker being replaced mid-session', async () => {
    const participants = numbers(12);
    await stack.simPost('/_sim/config', {
      scripts: Object.fromEntries(participants.map((number) => [number, { outcome: 'answered', talkSeconds: 600 }])),
    });
    const handle = await startSession({ participants });
    await waitForStatus(handle, (status) => status.activeLegs === 8);
    // Notifications that arrive while no worker runs wait in the server as signals.
    await stack.restartWorker();
    const summary = await handle.result();
    const { calls } = await ledger();

    expect(calls).toHaveLength(12);
    expectSummaryMatchesLedger(summary, calls);
    expect(summary.outcomes).toEqual({ answered: 12 });
  });

  it('keeps the access token out of every workflow history (temporal workflow show)', async () => {
    const cli = await resolveTemporalCli();
    const run = promisify(execFile);
    const { stdout: listed } = await run(cli, ['workflow', 'list', '--address', stack.env.address, '-o', 'json'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const executions = JSON.parse(listed) as { execution: { workflowId: string; runId: string } }[];
    expect(executions.length).toBeGreaterThan(10);
    const sessionHistories = [];
    for await (const execution of stack.env.client.workflow.list({ query: "WorkflowType = 'conferenceSession'" })) {
      sessionHistories.push({
        workflowId: execution.workflowId,
        history: await stack.env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory(),
      });
    }
    // Run by a worker without a trace endpoint: no session took tracing up, and every other patch was taken.
    const markers = new Set(sessionHistories.flatMap(({ history }) => patchMarkers(history)));
    expect(markers).toContain('preflight');
    expect(markers).not.toContain(TRACING_PATCH);
    // Every session this file ran replays against today's workflow code: the code is deterministic.
    const replays = Worker.runReplayHistories(productionReplayOptions(), sessionHistories);
    let replayed = 0;
    for await (const result of replays) {
      expect(result.error).toBeUndefined();
      replayed += 1;
    }
    expect(replayed).toBeGreaterThan(10);

    for (const { execution } of executions) {
      const { stdout } = await run(
        cli,
        [
          'workflow',
          'show',
          '--address',
          stack.env.address,
          '-w',
          execution.workflowId,
          '-r',
          execution.runId,
          '-o',
          'json',
        ],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      expect(stdout.length).toBeGreaterThan(100);
      expect(stdout).not.toContain(DEMO_TOKEN);
      expect(Buffer.from(stdout).toString('base64')).not.toContain(Buffer.from(DEMO_TOKEN).toString('base64'));
    }
  });
});

async function listRuns(workflowId: string): Promise<number> {
  let runs = 0;
  for await (const _ of stack.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs += 1;
  return runs;
}
