/**
 * The escalation on the real stack: a Temporal dev server, the Hoiio simulator (IVR callees scripted per number) over
 * HTTP, the receiver turning IVR notifications into `ivrEvent` signals, and a worker wired as in production. Every
 * assertion is on what really happened: the simulator's ledger of calls, the workflow's result and history.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { request } from 'undici';
import type { SimCall } from '../../dev/simulator';
import { escalationWorkflowId, type EscalationInput } from '../../src/domain/escalation-input';
import type { EscalationResult, EscalationStatus } from '../../src/domain/escalation-types';
import { formatMoney, parseMoney, sumMoney } from '../../src/domain/money';
import type { PolicyFile } from '../../src/domain/escalation-input';
import { escalation } from '../../src/workflows';
import {
  acknowledgeUpdate,
  budgetStateQuery,
  callBudgetWorkflowId,
  escalationStatusQuery,
  resolveUpdate,
} from '../../src/workflows/messages';
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import { waitFor } from '../support/wait-for';
import { DEMO_APP_ID, numbers, resetSimulator, sessionKit } from './support/session-kit';

const ALERTMANAGER_TOKEN = 'alertmanager-test-token-0123456789';
const ONCALL: PolicyFile = {
  policy: {
    steps: [{ notify: ['+6597770001'], mode: 'simultaneous', waitSeconds: 60 }],
    repeat: 0,
    repeatFrom: 0,
    ackDigit: '1',
    declineDigit: '2',
  },
};

let stack: SessionStack;

beforeAll(async () => {
  // 60x: a simulated minute passes in a real second; a gather's 3 × 10 s take half a second.
  stack = await startSessionStack(
    { timeScale: 60, seed: 11 },
    { alertmanager: { token: ALERTMANAGER_TOKEN, policies: new Map([['oncall', ONCALL]]) } },
  );
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await resetSimulator(stack);
  // A call left without a next block is hung up after 5 real seconds, well past any round trip of the test.
  await stack.simPost('/_sim/config', { timing: { ivrIdleSeconds: 300, ivrMessageSeconds: 2 } });
});

const { startSession, ledger, waitForRequests } = sessionKit(() => stack);

async function script(scripts: Record<string, unknown>): Promise<void> {
  await stack.simPost('/_sim/config', { scripts });
}

function room(): string {
  return `inc_${uniqueId('r')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(-12)}`;
}

async function startEscalation(input: Omit<EscalationInput, 'incident'>): Promise<WorkflowHandle<typeof escalation>> {
  const incident = { id: uniqueId('INC'), title: 'Database primary down' };
  return await stack.env.client.workflow.start(escalation, {
    taskQueue: stack.taskQueue,
    workflowId: escalationWorkflowId(incident.id),
    args: [{ incident, ...input }],
  });
}

async function statusOf(handle: WorkflowHandle<typeof escalation>, ok: (status: EscalationStatus) => boolean) {
  return await waitFor(() => handle.query(escalationStatusQuery), ok, `escalation status of ${handle.workflowId}`);
}

/** Every call in the ledger is the result's, leg for leg, and the result's cost is the ledger's to the thousandth. */
function expectResultMatchesLedger(result: EscalationResult, calls: SimCall[]): void {
  const byTxn = new Map(calls.map((call) => [call.txn_ref, call]));
  expect(new Set(result.legs.map((leg) => leg.txnRef))).toEqual(new Set(calls.map((call) => call.txn_ref)));
  for (const leg of result.legs) {
    const call = byTxn.get(leg.txnRef)!;
    expect({ txn: leg.txnRef, number: leg.number, debit: leg.debit, minutes: String(leg.minutes) }).toEqual({
      txn: call.txn_ref,
      number: call.dest,
      debit: call.debit,
      minutes: call.duration,
    });
    expect(leg.kind).toBe(call.kind === 'ivr' ? 'page' : 'bridge');
  }
  const total = formatMoney(sumMoney(calls.map((call) => parseMoney(call.debit ?? '0'))));
  expect(result.cost).toEqual({ SGD: total });
}

const [A, B, C, D, E] = numbers(5, 97_000_000) as [string, string, string, string, string];
const BRIDGE = '+6597009999';

describe('escalation (real stack)', () => {
  it('step 1 unanswered and busy, step 2 acknowledges: transferred into the bridge, the other hung up, alsoDial dialed, costs equal the ledger', async () => {
    await script({
      [A]: { outcome: 'unanswered', ringSeconds: 20 },
      [B]: { outcome: 'busy', ringSeconds: 5 },
      [C]: { outcome: 'answered', ringSeconds: 5, keys: '1', keyAfterSeconds: 5, talkSeconds: 120 },
      // Answers, but would press only after the gather has long timed out: still listening when C takes it.
      [D]: { outcome: 'answered', ringSeconds: 3, keys: '1', keyAfterSeconds: 25, talkSeconds: 600 },
      [BRIDGE]: { outcome: 'answered', ringSeconds: 5, talkSeconds: 90 },
    });
    const bridgeRoom = room();
    const handle = await startEscalation({
      policy: {
        steps: [
          { notify: [A, { number: B, name: 'Bo' }], mode: 'simultaneous', waitSeconds: 120 },
          { notify: [C, D], waitSeconds: 300 },
        ],
        repeat: 2,
      },
      bridge: { room: bridgeRoom, alsoDial: [BRIDGE] },
    });
    const result = await handle.result();
    const { calls, stats } = await ledger();

    expect(result.outcome).toBe('acknowledged');
    expect(result.acknowledged).toMatchObject({ by: C, via: 'keypress' });
    const byNumber = new Map(calls.map((call) => [call.dest, call]));
    expect(calls.map((call) => [call.dest, call.kind]).sort()).toEqual(
      [
        [A, 'ivr'],
        [B, 'ivr'],
        [C, 'ivr'],
        [D, 'ivr'],
        [BRIDGE, 'conference'],
      ].sort(),
    );
    expect(byNumber.get(A)!.call_status_dest).toBe('unanswered');
    expect(byNumber.get(B)!.call_status_dest).toBe('busy');
    expect(byNumber.get(C)).toMatchObject({ transfer_dest: `room:${bridgeRoom}`, transfer_status: 'answered' });
    expect(byNumber.get(C)!.digits).toEqual(['1']);
    // D was let go with a message as soon as C took the incident, long before its own key or talk time.
    expect(byNumber.get(D)).toMatchObject({ ended_by: 'ivr_hangup', digits: [], transfer_dest: null });
    expect(byNumber.get(BRIDGE)).toMatchObject({ room: bridgeRoom, call_status_dest: 'answered' });
    expectResultMatchesLedger(result, calls);
    expect(stats.peakConcurrentCalls[DEMO_APP_ID]).toBeLessThanOrEqual(8);
    expect(stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
    const events = result.timeline.map((entry) => `${entry.step}:${entry.event}:${entry.number ?? ''}`);
    expect(events).toEqual(
      expect.arrayContaining([
        `0:no-answer:${A}`,
        `0:no-answer:${B}`,
        `1:acknowledged:${C}`,
        `1:bridged:${C}`,
        `1:dialed-into-bridge:${BRIDGE}`,
      ]),
    );
  });

  it('a decline ends that try at once: the next step starts long before the first step is over', async () => {
    await script({
      [A]: { outcome: 'answered', ringSeconds: 3, keys: '2', keyAfterSeconds: 3 },
      [B]: { outcome: 'answered', ringSeconds: 3, keys: '1', keyAfterSeconds: 3, talkSeconds: 60 },
    });
    const began = Date.now();
    const handle = await startEscalation({
      policy: {
        steps: [
          { notify: [A], waitSeconds: 600 },
          { notify: [B], waitSeconds: 600 },
        ],
      },
      bridge: { room: room() },
    });
    const result = await handle.result();
    const { calls } = await ledger();
    expect(Date.now() - began).toBeLessThan(120_000);
    expect(result.outcome).toBe('acknowledged');
    expect(result.acknowledged?.by).toBe(B);
    expect(calls.find((call) => call.dest === A)!.digits).toEqual(['2']);
    expect(result.timeline.some((entry) => entry.event === 'declined' && entry.number === A)).toBe(true);
    expectResultMatchesLedger(result, calls);
  });

  it('nobody acknowledges: the steps are rung again per repeat, then the escalation ends unacknowledged', async () => {
    await script({
      [A]: { outcome: 'unanswered', ringSeconds: 5 },
      // Answers and presses nothing: the gather ends empty and the call is hung up with a message.
      [B]: { outcome: 'answered', ringSeconds: 3 },
    });
    const handle = await startEscalation({
      policy: {
        steps: [
          { notify: [A], waitSeconds: 30 },
          { notify: [B], waitSeconds: 30 },
        ],
        repeat: 1,
      },
      bridge: { room: room() },
    });
    const result = await handle.result();
    const { calls } = await ledger();
    expect(result.outcome).toBe('unacknowledged');
    expect(result.reason).toBe('every step and repeat was rung');
    expect(calls.map((call) => call.dest)).toEqual([A, B, A, B]);
    expect(calls.every((call) => call.kind === 'ivr' && call.transfer_dest === null)).toBe(true);
    expect(result.timeline.filter((entry) => entry.event === 'no-key').map((entry) => entry.number)).toEqual([B, B]);
    expectResultMatchesLedger(result, calls);
  });

  it('an acknowledge update mid-ring lets every ringing call go; a resolve then ends the bridge and the escalation', async () => {
    await script({
      [A]: { outcome: 'unanswered', ringSeconds: 600 },
      [B]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 600, talkSeconds: 600 },
      [BRIDGE]: { outcome: 'answered', ringSeconds: 2, talkSeconds: 6_000 },
    });
    const handle = await startEscalation({
      policy: { steps: [{ notify: [A, B], waitSeconds: 600 }] },
      bridge: { room: room(), alsoDial: [BRIDGE] },
    });
    await statusOf(handle, (status) => status.tries.some((t) => t.number === B && t.state === 'answered'));
    expect(await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'chat-bot' }] })).toEqual({
      acknowledged: true,
    });
    const bridged = await waitFor(
      ledger,
      ({ calls }) => calls.some((call) => call.dest === BRIDGE && call.state === 'answered'),
      'the bridge leg to answer',
    );
    expect(bridged.calls.filter((call) => call.kind === 'ivr').every((call) => call.ended_at !== null)).toBe(true);
    // The workflow has the bridge leg too (the dial's reply is in), so the resolve has one call to hang up.
    await statusOf(handle, (status) => status.timeline.some((entry) => entry.event === 'dialed-into-bridge'));
    const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ reason: 'failover done' }] });
    expect(resolved.hungUp).toBe(1);

    const result = await handle.result();
    const { calls } = await ledger();
    expect(result.outcome).toBe('resolved');
    expect(result.reason).toBe('failover done');
    expect(result.acknowledged).toMatchObject({ by: 'chat-bot', via: 'update' });
    expect(calls.find((call) => call.dest === A)).toMatchObject({ call_status_dest: 'unanswered', debit: '0.000' });
    expect(calls.find((call) => call.dest === B)).toMatchObject({ ended_by: 'ivr_hangup', digits: [] });
    expect(calls.every((call) => call.ended_at !== null)).toBe(true);
    expectResultMatchesLedger(result, calls);
  });

  it('resolve mid-ring hangs up the calls still ringing and finishes resolved', async () => {
    await script({
      [A]: { outcome: 'unanswered', ringSeconds: 600 },
      [B]: { outcome: 'unanswered', ringSeconds: 600 },
    });
    const handle = await startEscalation({
      policy: { steps: [{ notify: [A, B], waitSeconds: 600 }] },
      bridge: { room: room() },
    });
    await statusOf(handle, (status) => status.tries.filter((t) => t.state === 'ringing').length === 2);
    expect(await handle.executeUpdate(resolveUpdate, { args: [{ reason: 'false alarm' }] })).toEqual({ hungUp: 2 });
    const result = await handle.result();
    const { calls } = await ledger();
    expect(result).toMatchObject({ outcome: 'resolved', reason: 'false alarm' });
    expect(calls.map((call) => [call.dest, call.call_status_dest, call.ended_by])).toEqual([
      [A, 'unanswered', 'hangup'],
      [B, 'unanswered', 'hangup'],
    ]);
    expectResultMatchesLedger(result, calls);
  });

  it("a page takes the first free line ahead of a stand-up's waiting request", async () => {
    // Stand-up 1 fills the account's 8 lines, its calls ending one by one from 5 s on; stand-up 2 (8 more) waits.
    const first = numbers(8, 97_100_000);
    const second = numbers(8, 97_200_000);
    await script({
      ...Object.fromEntries(
        first.map((number, i) => [number, { outcome: 'answered', ringSeconds: 1, talkSeconds: 300 + 60 * i }]),
      ),
      ...Object.fromEntries(second.map((number) => [number, { outcome: 'answered', ringSeconds: 1, talkSeconds: 60 }])),
      [E]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 2, talkSeconds: 60 },
    });
    const standup1 = await startSession({ participants: first });
    await waitFor(ledger, ({ calls }) => calls.length === 8, 'stand-up 1 on every line');
    const standup2 = await startSession({ participants: second });
    const budget = stack.env.client.workflow.getHandle(callBudgetWorkflowId(DEMO_APP_ID));
    await waitFor(
      () => budget.query(budgetStateQuery),
      (state) => state.waiting.some((request) => request.holder === standup2.workflowId),
      'stand-up 2 waiting for permits',
    );
    const page = await startEscalation({
      policy: { steps: [{ notify: [E], waitSeconds: 120 }] },
      bridge: { room: room() },
    });
    const queued = await waitFor(
      () => budget.query(budgetStateQuery),
      (state) => state.waiting.some((request) => request.holder === page.workflowId),
      'the page waiting for a permit',
    );
    // Asked last, served first.
    expect(queued.waiting[0]).toMatchObject({ holder: page.workflowId, priority: 1 });

    const result = await page.result();
    await Promise.all([standup1.result(), standup2.result()]);
    const { calls } = await ledger();
    const pageCall = calls.find((call) => call.dest === E)!;
    const secondDialed = calls.filter((call) => second.includes(call.dest)).map((call) => call.dialed_at!);
    expect(result.outcome).toBe('acknowledged');
    // The first line freed went to the page; stand-up 2 started on the lines freed after it.
    for (const dialedAt of secondDialed) expect(pageCall.dialed_at! <= dialedAt).toBe(true);
    expect(calls.filter((call) => first.includes(call.dest)).length).toBe(8);
    const { stats } = await ledger();
    expect(stats.peakConcurrentCalls[DEMO_APP_ID]).toBeLessThanOrEqual(8);
  });

  it('a page recalls the lines a stand-up would hand to its own next participants: the first line freed goes to the page', async () => {
    // The stand-up fills the 8 lines, calls ending one by one from 5 s on, with 2 more participants waiting for room:
    // as its calls end it would dial those on the lines they free, and no line would come back to the budget.
    const standup = numbers(10, 97_300_000);
    await script({
      ...Object.fromEntries(
        standup.map((number, i) => [number, { outcome: 'answered', ringSeconds: 1, talkSeconds: 300 + 60 * i }]),
      ),
      [E]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 2, talkSeconds: 60 },
    });
    const session = await startSession({ participants: standup });
    await waitFor(ledger, ({ calls }) => calls.length === 8, 'the stand-up on every line');
    const page = await startEscalation({
      policy: { steps: [{ notify: [E], waitSeconds: 120 }] },
      bridge: { room: room() },
    });

    const result = await page.result();
    await session.result();
    const { calls, stats } = await ledger();
    const pageCall = calls.find((call) => call.dest === E)!;
    const waitingDialed = calls.filter((call) => standup.slice(8).includes(call.dest)).map((call) => call.dialed_at!);
    expect(result.outcome).toBe('acknowledged');
    expect(waitingDialed).toHaveLength(2);
    for (const dialedAt of waitingDialed) expect(pageCall.dialed_at! <= dialedAt).toBe(true);
    const signals = (await session.fetchHistory()).events!.map(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName,
    );
    expect(signals.filter((name) => name === 'recallPermits')).toHaveLength(1);
    expect(stats.peakConcurrentCalls[DEMO_APP_ID]).toBeLessThanOrEqual(8);
  });

  it('a worker restart while a page is being dialed changes nothing: no one is rung twice, the page is acknowledged', async () => {
    await script({
      [A]: { outcome: 'answered', ringSeconds: 240, keys: '1', keyAfterSeconds: 3, talkSeconds: 60 },
      [BRIDGE]: { outcome: 'answered', ringSeconds: 2, talkSeconds: 60 },
    });
    // The dial's reply is held back 3 s after Hoiio has placed the call: the worker stops in between. A worker away
    // for longer than Hoiio keeps an answered call waiting for its next block loses that responder's try (see
    // docs/escalation.md); this test is about the dial, so the call waits up to 50 s.
    await stack.simPost('/_sim/config', {
      faults: { api: { 'ivr/start/dial': { slowRate: 1, slowMs: 3_000 } } },
      timing: { ivrIdleSeconds: 3_000 },
    });
    const handle = await startEscalation({
      policy: { steps: [{ notify: [A], waitSeconds: 600 }] },
      bridge: { room: room(), alsoDial: [BRIDGE] },
    });
    await waitForRequests('ivr/start/dial', 1);
    await stack.restartWorker();
    await stack.simPost('/_sim/config', { faults: { api: { 'ivr/start/dial': null } } });
    const result = await handle.result();
    const { calls } = await ledger();
    expect(result.outcome).toBe('acknowledged');
    expect(calls.map((call) => call.dest)).toEqual([A, BRIDGE]);
    expect(calls[0]).toMatchObject({ digits: ['1'], transfer_status: 'answered' });
    expectResultMatchesLedger(result, calls);
    // The restart really caught the dial: its activity ran more than once.
    const history = await handle.fetchHistory();
    const dialAttempts = history.events!.filter(
      (event) =>
        event.activityTaskStartedEventAttributes && (event.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
    );
    expect(dialAttempts.length).toBeGreaterThanOrEqual(1);
  });

  it('a page dial Hoiio holds up does not eat the step: both responders of a simultaneous step are rung', async () => {
    await script({
      [A]: { outcome: 'unanswered', ringSeconds: 600 },
      [B]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 3, talkSeconds: 60 },
    });
    // Each page's reply is held back 12 s after Hoiio placed the call: longer than the whole step of 10 s. Pages are
    // dialed one at a time, so B's could only start once A's dial was over.
    await stack.simPost('/_sim/config', {
      faults: { api: { 'ivr/start/dial': { slowRate: 1, slowMs: 12_000 } } },
      timing: { ivrIdleSeconds: 3_000 },
    });
    const handle = await startEscalation({
      policy: {
        steps: [
          { notify: [A, B], mode: 'simultaneous', waitSeconds: 10 },
          { notify: [C], waitSeconds: 10 },
        ],
      },
      bridge: { room: room() },
    });
    const result = await handle.result();
    const { calls } = await ledger();
    expect(result.outcome).toBe('acknowledged');
    expect(result.acknowledged?.by).toBe(B);
    expect(calls.map((call) => call.dest)).toEqual([A, B]);
    expectResultMatchesLedger(result, calls);
  }, 120_000);

  it('Alertmanager: a firing group pages once however often it repeats, and its resolution resolves the escalation', async () => {
    const responder = '+6597770001';
    await script({ [responder]: { outcome: 'answered', ringSeconds: 2, talkSeconds: 60 } });
    // One group for the three notifications, as Alertmanager sends them.
    const groupKey = `{}:{alertname="DbDown",cluster="${uniqueId('c')}"}`;
    const post = async (status: 'firing' | 'resolved') =>
      await request(`${stack.receiver.url}/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALERTMANAGER_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          version: '4',
          groupKey,
          truncatedAlerts: 0,
          status,
          receiver: 'bridgekeeper',
          groupLabels: { alertname: 'DbDown' },
          commonLabels: { alertname: 'DbDown', escalation_policy: 'oncall' },
          commonAnnotations: { summary: 'Database primary down' },
          externalURL: 'http://alertmanager.example',
          alerts: [
            {
              status,
              labels: { alertname: 'DbDown' },
              annotations: {},
              startsAt: '2026-11-28T10:00:00Z',
              endsAt: status === 'resolved' ? '2026-11-28T10:30:00Z' : '0001-01-01T00:00:00Z',
              generatorURL: 'http://prometheus.example',
              fingerprint: 'a1b2c3',
            },
          ],
        }),
      });
    const firing = await post('firing');
    const fired = (await firing.body.json()) as { workflowId: string; started: boolean };
    expect(firing.statusCode).toBe(200);
    expect(fired.started).toBe(true);
    const handle = stack.env.client.workflow.getHandle<typeof escalation>(fired.workflowId);
    await statusOf(handle, (status) => status.tries.some((attempt) => attempt.txnRef !== undefined));

    const again = await post('firing');
    expect(again.statusCode).toBe(200);
    expect(await again.body.json()).toMatchObject({ workflowId: fired.workflowId, started: false });

    const resolved = await post('resolved');
    expect(resolved.statusCode).toBe(200);
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'resolved', incident: { title: 'Database primary down' } });
    const { calls } = await ledger();
    expect(calls.map((call) => call.dest)).toEqual([responder]);
    expectResultMatchesLedger(result, calls);
  });
});
