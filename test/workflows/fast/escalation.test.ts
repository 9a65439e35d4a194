/**
 * The escalation's decisions, with Hoiio played by stub activities (IVR callees scripted per number) and the real
 * call budget and workflow: who is rung when, what a keypress or an update does, and the cost it reports.
 * The same scenarios on the simulator and the receiver are in test/workflows/escalation.test.ts.
 */
import type { EscalationInput } from '../../../src/domain/escalation-input';
import type { EscalationResult } from '../../../src/domain/escalation-types';
import { sumMoney, parseMoney, formatMoney } from '../../../src/domain/money';
import {
  acknowledgeUpdate,
  addRespondersUpdate,
  budgetStateQuery,
  callBudgetWorkflowId,
  escalateUpdate,
  escalationStatusQuery,
  resolveUpdate,
} from '../../../src/workflows/messages';
import { uniqueId } from '../../support/temporal-test-env';
import { waitFor } from '../../support/wait-for';
import { useStubHoiioStack, type IvrScript } from './stub-hoiio';

const stack = useStubHoiioStack();
const { hoiio } = stack;

const A = '+6591110001';
const B = '+6591110002';
const C = '+6591110003';
const BRIDGE = '+6591110009';

function input(account: string, policy: EscalationInput['policy'], alsoDial: string[] = []): EscalationInput {
  return {
    incident: { id: uniqueId('INC'), title: 'Database primary down' },
    policy,
    bridge: { room: 'inc_test', alsoDial },
    account,
  };
}

function scripted(account: string, scripts: Record<string, IvrScript>): void {
  hoiio.behave(account, { ivr: (number) => scripts[number] ?? { outcome: 'unanswered' } });
}

async function start(args: EscalationInput) {
  return await stack.client().workflow.start('escalation', {
    taskQueue: stack.taskQueue(),
    workflowId: `escalation:${args.incident.id}`,
    args: [args],
  });
}

/** What the stub billed for the result's legs, summed exactly. */
function billed(result: EscalationResult): string {
  const refs = new Set(result.legs.map((leg) => leg.txnRef));
  const legs = hoiio.legs.filter((leg) => refs.has(leg.txnRef));
  expect(legs).toHaveLength(result.legs.length);
  return formatMoney(
    sumMoney(hoiio.billed.filter((bill) => refs.has(bill.txnRef)).map((bill) => parseMoney(bill.debit))),
  );
}

describe('escalation (stub Hoiio)', () => {
  it('rings step 1 (unanswered, busy), then step 2, whose keypress acknowledges: transferred, the rest let go, alsoDial dialed', async () => {
    const account = uniqueId('esc-a');
    scripted(account, {
      [A]: { outcome: 'unanswered' },
      [B]: { outcome: 'busy' },
      [C]: { outcome: 'answered', keys: '1' },
    });
    const handle = await start(
      input(
        account,
        {
          steps: [
            { notify: [A, { number: B, name: 'Bo' }], mode: 'simultaneous', waitSeconds: 60 },
            { notify: [C], waitSeconds: 60 },
          ],
        },
        [BRIDGE],
      ),
    );
    const result: EscalationResult = await handle.result();

    expect(result.outcome).toBe('acknowledged');
    expect(result.acknowledged).toMatchObject({ by: C, via: 'keypress' });
    const ivr = hoiio.ivrCalls(account);
    expect(ivr.map((leg) => leg.number)).toEqual([A, B, C]);
    expect(ivr.find((leg) => leg.number === C)!.blocks).toEqual(['gather', 'transfer:inc_test']);
    const bridge = hoiio.requestsOf(account).filter((request) => !request.ivr);
    expect(bridge).toHaveLength(1);
    expect(bridge[0]).toMatchObject({ room: 'inc_test', numbers: [BRIDGE] });
    expect(result.legs.map((leg) => [leg.number, leg.kind, leg.status])).toEqual([
      [A, 'page', 'unanswered'],
      [B, 'page', 'busy'],
      [C, 'page', 'answered'],
      [BRIDGE, 'bridge', 'answered'],
    ]);
    expect(result.cost).toEqual({ SGD: billed(result) });
    expect(result.cost).toEqual({ SGD: '0.040' });
    const events = result.timeline.map((entry) => `${entry.step}:${entry.event}:${entry.number ?? ''}`);
    expect(events).toEqual(
      expect.arrayContaining([`0:no-answer:${A}`, `0:no-answer:${B}`, `1:acknowledged:${C}`, `1:bridged:${C}`]),
    );
  });

  it('a decline ends that try at once and the next step starts without waiting out the step', async () => {
    const account = uniqueId('esc-b');
    scripted(account, { [A]: { outcome: 'answered', keys: '2' }, [B]: { outcome: 'answered', keys: '1' } });
    const began = Date.now();
    const handle = await start(
      input(account, {
        steps: [
          { notify: [A], waitSeconds: 600 },
          { notify: [B], waitSeconds: 600 },
        ],
      }),
    );
    const result: EscalationResult = await handle.result();
    expect(Date.now() - began).toBeLessThan(60_000);
    expect(result.outcome).toBe('acknowledged');
    expect(result.acknowledged?.by).toBe(B);
    const a = hoiio.ivrCalls(account).find((leg) => leg.number === A)!;
    expect(a.blocks).toEqual(['gather', expect.stringMatching(/^hangup:Thank you/)]);
    expect(result.timeline.some((entry) => entry.event === 'declined' && entry.number === A)).toBe(true);
  });

  it('nobody acknowledges: every step rung once more per repeat, from repeatFrom, then unacknowledged', async () => {
    const account = uniqueId('esc-c');
    scripted(account, { [A]: { outcome: 'answered' }, [B]: { outcome: 'busy' } });
    const handle = await start(
      input(account, {
        steps: [
          { notify: [A], waitSeconds: 30 },
          { notify: [B], waitSeconds: 30 },
        ],
        repeat: 2,
        repeatFrom: 1,
      }),
    );
    const result: EscalationResult = await handle.result();
    expect(result.outcome).toBe('unacknowledged');
    expect(hoiio.ivrCalls(account).map((leg) => leg.number)).toEqual([A, B, B, B]);
    expect(result.reason).toBe('every step and repeat was rung');
    // A answered and pressed nothing: one minute billed; busy calls cost nothing.
    expect(result.cost).toEqual({ SGD: '0.020' });
  });

  it('sequential shares the step among responders one at a time; round-robin starts each repeat one further along', async () => {
    const account = uniqueId('esc-d');
    scripted(account, {});
    const handle = await start(
      input(account, { steps: [{ notify: [A, B, C], mode: 'round-robin', waitSeconds: 30 }], repeat: 2 }),
    );
    const result: EscalationResult = await handle.result();
    expect(result.outcome).toBe('unacknowledged');
    expect(hoiio.ivrCalls(account).map((leg) => leg.number)).toEqual([A, B, C, B, C, A, C, A, B]);
  });

  it('an acknowledge update mid-ring hangs up every call still ringing and still dials alsoDial', async () => {
    const account = uniqueId('esc-e');
    scripted(account, { [A]: { outcome: 'unanswered', ringMs: 60_000 }, [B]: { outcome: 'answered', keyMs: 60_000 } });
    const handle = await start(input(account, { steps: [{ notify: [A, B], waitSeconds: 300 }] }, [BRIDGE]));
    await waitFor(
      () => handle.query(escalationStatusQuery),
      (status) => status.tries.some((t) => t.state === 'answered'),
      'B to answer',
    );
    const reply = await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'chat-bot' }] });
    expect(reply).toEqual({ acknowledged: true });
    const result: EscalationResult = await handle.result();
    expect(result.outcome).toBe('acknowledged');
    expect(result.acknowledged).toMatchObject({ by: 'chat-bot', via: 'update' });
    const calls = hoiio.ivrCalls(account);
    expect(calls.every((leg) => leg.ended)).toBe(true);
    // B was mid-gather: Hoiio takes only a forced hang-up then, without a message.
    expect(calls.find((leg) => leg.number === B)!.blocks).toEqual(['gather', 'hangup:']);
    expect(
      hoiio
        .requestsOf(account)
        .filter((request) => !request.ivr)
        .map((r) => r.numbers),
    ).toEqual([[BRIDGE]]);
  });

  it('resolve mid-ring hangs everything up and finishes resolved; escalate skips to the next step', async () => {
    const account = uniqueId('esc-f');
    scripted(account, {
      [A]: { outcome: 'unanswered', ringMs: 60_000 },
      [B]: { outcome: 'unanswered', ringMs: 60_000 },
    });
    const handle = await start(
      input(account, {
        steps: [
          { notify: [A], waitSeconds: 300 },
          { notify: [B], waitSeconds: 300 },
        ],
      }),
    );
    await waitFor(
      () => Promise.resolve(hoiio.ivrCalls(account).length),
      (n) => n === 1,
      'the first page',
    );
    expect(await handle.executeUpdate(escalateUpdate)).toEqual({ round: 0, step: 1 });
    await waitFor(
      () => handle.query(escalationStatusQuery),
      (status) => status.tries.some((t) => t.number === B && t.state === 'ringing'),
      'the second step ringing',
    );
    const resolved = await handle.executeUpdate(resolveUpdate, { args: [{ reason: 'fixed by restart' }] });
    expect(resolved.hungUp).toBe(1);
    const result: EscalationResult = await handle.result();
    expect(result.outcome).toBe('resolved');
    expect(result.reason).toBe('fixed by restart');
    expect(hoiio.ivrCalls(account).every((leg) => leg.ended)).toBe(true);
    expect(result.legs.map((leg) => leg.status)).toEqual(['unanswered', 'unanswered']);
  });

  it('addResponders joins the step now ringing, and the added responder can take the incident', async () => {
    const account = uniqueId('esc-h');
    scripted(account, {
      [A]: { outcome: 'unanswered', ringMs: 60_000 },
      [B]: { outcome: 'answered', keys: '1' },
    });
    const handle = await start(input(account, { steps: [{ notify: [A], waitSeconds: 300 }] }));
    await waitFor(
      () => Promise.resolve(hoiio.ivrCalls(account).length),
      (n) => n === 1,
      'the first page',
    );
    const added = await handle.executeUpdate(addRespondersUpdate, {
      args: [{ responders: [{ number: B, name: 'Bea' }] }],
    });
    expect(added).toEqual({ added: [B], step: 0 });
    const refused = await handle
      .executeUpdate(addRespondersUpdate, { args: [{ responders: ['+65 1'] }] })
      .catch((error: unknown) => error);
    expect(String((refused as Error).cause ?? refused)).toContain('"+65 1"');
    const result: EscalationResult = await handle.result();
    expect(result.acknowledged).toMatchObject({ by: B, name: 'Bea', via: 'keypress' });
    expect(hoiio.ivrCalls(account).map((leg) => [leg.number, leg.ended])).toEqual([
      [A, true],
      [B, true],
    ]);
  });

  it('a cancel mid-gather leaves no call up and no permit held, and ends the workflow cancelled', async () => {
    const account = uniqueId('esc-i');
    scripted(account, { [A]: { outcome: 'answered', keyMs: 60_000 } });
    const handle = await start(input(account, { steps: [{ notify: [A], waitSeconds: 300 }] }));
    await waitFor(
      () => handle.query(escalationStatusQuery),
      (status) => status.tries.some((t) => t.state === 'answered'),
      'A listening to the question',
    );
    await handle.cancel();
    const error = await handle.result().catch((e: unknown) => e);
    expect(String((error as Error).cause ?? error)).toMatch(/cancel/i);
    expect(hoiio.ivrCalls(account).every((leg) => leg.ended)).toBe(true);
    const budget = await stack
      .client()
      .workflow.getHandle(callBudgetWorkflowId(stack.budgetKey))
      .query(budgetStateQuery);
    expect(budget.held.filter((permit) => permit.holder === handle.workflowId)).toEqual([]);
  });

  it('refuses an acknowledge once paging has stopped, and a responder already in the step', async () => {
    const account = uniqueId('esc-j');
    // The let-go call's end comes 5 s after its hangup, so the workflow is still open for the late acknowledge.
    scripted(account, { [A]: { outcome: 'answered', keyMs: 60_000, hangupEndMs: 5_000 } });
    const handle = await start(input(account, { steps: [{ notify: [A], waitSeconds: 300 }] }));
    const duplicate = await handle
      .executeUpdate(addRespondersUpdate, { args: [{ responders: [A] }] })
      .catch((error: unknown) => error);
    expect(String((duplicate as Error).cause ?? duplicate)).toContain(`${A} already in step 0`);
    await waitFor(
      () => handle.query(escalationStatusQuery),
      (status) => status.tries.some((t) => t.state === 'answered'),
      'A listening to the question',
    );
    // Escalating past the last step gives up; the call still up is let go, and a late acknowledge is refused.
    expect(await handle.executeUpdate(escalateUpdate)).toEqual({});
    await waitFor(
      () => handle.query(escalationStatusQuery),
      (status) => status.timeline.some((entry) => entry.event === 'gave-up'),
      'paging to stop',
    );
    const late = await handle
      .executeUpdate(acknowledgeUpdate, { args: [{ by: 'chat-bot' }] })
      .catch((error: unknown) => error);
    expect(String((late as Error).cause ?? late)).toMatch(/paging has stopped|already ended/);
    const result: EscalationResult = await handle.result();
    expect(result.outcome).toBe('unacknowledged');
  });

  it('until-acknowledged continues as new between passes and stops at maxCost', async () => {
    const account = uniqueId('esc-g');
    scripted(account, { [A]: { outcome: 'answered' } });
    const handle = await start(
      input(account, { steps: [{ notify: [A], waitSeconds: 30 }], repeat: 'until-acknowledged', maxCost: '0.060' }),
    );
    const result: EscalationResult = await handle.result();
    expect(result.outcome).toBe('unacknowledged');
    expect(result.reason).toBe('maxCost 0.060 reached');
    expect(result.legs).toHaveLength(3);
    expect(result.cost).toEqual({ SGD: '0.060' });
    const description = await handle.describe();
    expect(description.runId).not.toBe(handle.firstExecutionRunId);
  });
});
