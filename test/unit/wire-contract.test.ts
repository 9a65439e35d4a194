/**
 * The names and shapes that callers outside this code base use: workflow types, signal, update and query names,
 * and input fields. The temporal CLI, Schedules, users' scripts and workflows already running on older workers all
 * call them by name, so a rename breaks them silently at run time. This test makes every change here deliberate:
 * a new, renamed or removed one fails until it is pinned below.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { callEndedSchema } from '../../src/domain/call-ended';
import { escalationInputSchema, validateEscalationInput } from '../../src/domain/escalation-input';
import { ivrEventSchema } from '../../src/domain/ivr-event';
import { sessionInputSchema, validateSessionInput } from '../../src/domain/session-input';
import * as workflows from '../../src/workflows';
import * as messages from '../../src/workflows/messages';
import type { AddParticipantsRequest, EndRequest, ModerateRequest, RedialRequest } from '../../src/workflows/messages';

const README = path.resolve(__dirname, '../../README.md');

type MessageKind = 'signal' | 'query' | 'update';

function isMessageDefinition(value: unknown): value is { type: MessageKind; name: string } {
  if (value === null || typeof value !== 'object') return false;
  const { type, name } = value as { type?: unknown; name?: unknown };
  return (type === 'signal' || type === 'query' || type === 'update') && typeof name === 'string';
}

function exportsOf<T>(module: object, keep: (value: unknown) => value is T): Record<string, T> {
  return Object.fromEntries(Object.entries(module).filter((entry): entry is [string, T] => keep(entry[1])));
}

function objectKeys(schema: z.core.$ZodType): string[] {
  return schema instanceof z.ZodMiniObject ? Object.keys(schema.shape).sort() : [];
}

describe('wire contract', () => {
  it('serves the workflow types callers start by name', () => {
    expect(Object.keys(workflows).sort()).toEqual(['callBudget', 'conferenceSession', 'escalation']);
    for (const [exported, workflow] of Object.entries(workflows)) {
      // Clients start a workflow type by its function's name; the worker finds it by its export key: they must agree.
      expect(workflow.name).toBe(exported);
    }
  });

  it('keeps every signal, update and query name', () => {
    const definitions = exportsOf(messages, isMessageDefinition);
    expect(
      Object.fromEntries(
        Object.entries(definitions).map(([exported, { type, name }]) => [exported, `${type} ${name}`]),
      ),
    ).toEqual({
      // conferenceSession
      callEndedSignal: 'signal callEnded',
      addParticipantsUpdate: 'update addParticipants',
      kickUpdate: 'update kick',
      muteUpdate: 'update mute',
      unmuteUpdate: 'update unmute',
      redialUpdate: 'update redial',
      endUpdate: 'update end',
      statusQuery: 'query status',
      // callBudget and its holders
      requestPermitsSignal: 'signal requestPermits',
      releasePermitsSignal: 'signal releasePermits',
      renewPermitsSignal: 'signal renewPermits',
      cancelPermitRequestSignal: 'signal cancelPermitRequest',
      permitsGrantedSignal: 'signal permitsGranted',
      reportPermitsSignal: 'signal reportPermits',
      recallPermitsSignal: 'signal recallPermits',
      budgetStateQuery: 'query budgetState',
      permitHoldingsQuery: 'query permitHoldings',
      // escalation
      ivrEventSignal: 'signal ivrEvent',
      acknowledgeUpdate: 'update acknowledge',
      resolveUpdate: 'update resolve',
      escalateUpdate: 'update escalate',
      addRespondersUpdate: 'update addResponders',
      escalationStatusQuery: 'query status',
    });
  });

  it('keeps the fields of every message payload with a schema', () => {
    const schemas = exportsOf(messages, (value): value is z.core.$ZodType => value instanceof z.core.$ZodType);
    expect(
      Object.fromEntries(Object.entries(schemas).map(([exported, schema]) => [exported, objectKeys(schema)])),
    ).toEqual({
      permitRequestSchema: ['count', 'holder', 'holderType', 'leaseMs', 'priority', 'requestId'],
      permitGrantSchema: ['permitIds', 'requestId'],
      permitReleaseSchema: ['holder', 'permitIds'],
      permitBindingSchema: ['permitId', 'txnRef'],
      pendingRequestSchema: ['priority', 'remaining', 'requestId'],
      permitRenewalSchema: ['bindings', 'budgetKey', 'holder', 'holderType', 'leaseMs', 'pending', 'permitIds'],
      permitCancellationSchema: ['holder', 'requestId'],
      reportPermitsRequestSchema: ['budgetKey'],
      recallPermitsSchema: ['budgetKey'],
    });
    expect(objectKeys(callEndedSchema)).toEqual([
      'callStatus',
      'currency',
      'date',
      'debit',
      'dest',
      'durationMinutes',
      'rate',
      'tag',
      'txnRef',
    ]);
    expect(objectKeys(ivrEventSchema)).toEqual([
      'callState',
      'currency',
      'date',
      'debit',
      'dest',
      'dialStatus',
      'digits',
      'durationMinutes',
      'rate',
      'session',
      'tag',
      'transferStatus',
      'txnRef',
    ]);
  });

  it("accepts the README's temporal CLI input for escalation", () => {
    const start = readFileSync(README, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('npm run temporal -- workflow start --type escalation'));
    expect(start).toContain('--workflow-id escalation:INC-42');
    const fromReadme: unknown = JSON.parse(/--input '([^']*)'/.exec(start ?? '')?.[1] ?? 'null');
    expect(validateEscalationInput(fromReadme)).toMatchObject({
      ok: true,
      value: { incident: { id: 'INC-42' }, bridge: { room: 'inc_42', alsoDial: ['+6591110009'] } },
    });
  });

  it('keeps the field names escalation accepts, and refuses unknown ones', () => {
    expect(objectKeys(escalationInputSchema)).toEqual(['account', 'bridge', 'callerId', 'incident', 'policy']);
    const everyField = {
      incident: { id: 'INC-42', title: 'Database primary down' },
      policy: {
        steps: [
          { notify: ['+6591110001', { number: '+6591110002', name: 'Bo' }], mode: 'simultaneous', waitSeconds: 120 },
          { notify: ['+6591110003'], mode: 'round-robin', waitSeconds: 300 },
        ],
        repeat: 'until-acknowledged',
        repeatFrom: 1,
        ackDigit: '1',
        declineDigit: '2',
        maxMinutes: 60,
        maxCost: '5.000',
      },
      bridge: { room: 'inc_42', alsoDial: ['+6591110009'] },
      callerId: '+6560000000',
      account: 'default',
    };
    expect(validateEscalationInput(everyField)).toEqual({ ok: true, value: everyField });
    expect(validateEscalationInput({ ...everyField, bridges: {} })).toMatchObject({ ok: false });
  });

  it("accepts the README's temporal CLI input for conferenceSession", () => {
    const start = readFileSync(README, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('npm run temporal -- workflow start'));
    expect(start).toContain('--type conferenceSession');
    const input = /--input '([^']*)'/.exec(start ?? '')?.[1];
    const fromReadme: unknown = JSON.parse(input ?? 'null');

    const knownGood = {
      participants: ['+6591230001', { number: '+6591230002', name: 'Bob' }],
      tag: 'from-temporal-cli',
    };
    expect(fromReadme).toEqual(knownGood);
    expect(validateSessionInput(knownGood)).toEqual({ ok: true, value: knownGood });
  });

  it('keeps the field names conferenceSession accepts, and refuses unknown ones', () => {
    expect(objectKeys(sessionInputSchema)).toEqual([
      'account',
      'callerId',
      'deadlineSeconds',
      'expectedMinutes',
      'maxCost',
      'messagesPerRun',
      'notificationGraceSeconds',
      'onShortCredit',
      'participants',
      'redial',
      'room',
      'tag',
    ]);
    const everyField = {
      participants: ['+6591230001', { number: '+6591230002', name: 'Bob' }],
      room: 'standup.1',
      callerId: 'private',
      tag: 'weekly',
      account: 'default',
      redial: {
        busy: { attempts: 1, delaySeconds: 60 },
        unanswered: { attempts: 2, delaySeconds: 120 },
        failed: { attempts: 0, delaySeconds: 0 },
      },
      notificationGraceSeconds: 120,
      deadlineSeconds: 3600,
      messagesPerRun: 2000,
      expectedMinutes: 15,
      onShortCredit: 'partial',
      maxCost: { SGD: '5.000' },
    };
    expect(validateSessionInput(everyField)).toEqual({ ok: true, value: everyField });
    expect(validateSessionInput({ participants: ['+6591230001'], rooms: 'typo' })).toMatchObject({ ok: false });
  });

  it('keeps the input fields of the updates (checked by the type checker)', () => {
    const add: Required<AddParticipantsRequest> = { participants: ['+6591230001'] };
    const moderate: Required<ModerateRequest> = { number: '+6591230001' };
    const end: Required<EndRequest> = { reason: 'done' };
    const redial: Required<RedialRequest> = { number: '+6591230001' };
    // Excess property checks make a renamed field a compile error above; the keys confirm it at run time too.
    expect([add, moderate, end, redial].map((request) => Object.keys(request))).toEqual([
      ['participants'],
      ['number'],
      ['reason'],
      ['number'],
    ]);
  });
});
