import { WorkflowFailedError } from '@temporalio/client';
import { formatMoney, parseMoney, sumMoney } from '../../src/domain/money';
import type { SessionSummary } from '../../src/domain/session-types';
import { conferenceSession } from '../../src/workflows';
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';

interface SimCall {
  txn_ref: string;
  dest: string;
  room: string;
  tag: string | null;
  app_id: string;
  call_status_dest: string | null;
  duration: string | null;
  rate: string;
  debit: string | null;
  currency: string;
}

interface SimStats {
  requests: Record<string, number>;
  rejections: Record<string, number>;
  peakConcurrentCalls: Record<string, number>;
  peakRoomParticipants: Record<string, number>;
}

/** n distinct Singapore numbers, e.g. +6580000001. */
function numbers(n: number, base = 80_000_000): string[] {
  return Array.from({ length: n }, (_, i) => `+65${base + i + 1}`);
}

let stack: SessionStack;

beforeAll(async () => {
  // 600x: a simulated minute of talk passes in 0.1 s.
  stack = await startSessionStack({ timeScale: 600, seed: 7 });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await stack.simPost('/_sim/reset', {});
});

async function runSession(input: Parameters<typeof conferenceSession>[0], workflowId = uniqueId('session')) {
  return await stack.env.client.workflow.execute(conferenceSession, {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [input],
  });
}

function expectSummaryMatchesLedger(summary: SessionSummary, calls: SimCall[]) {
  const byTxn = new Map(calls.map((call) => [call.txn_ref, call]));
  const summaryTxns = summary.participants.flatMap((p) => p.txnRefs);
  // Leg for leg: every leg the simulator dialed for this room is in the summary, and nothing else.
  expect(new Set(summaryTxns)).toEqual(new Set(calls.filter((c) => c.room === summary.room).map((c) => c.txn_ref)));
  for (const participant of summary.participants) {
    const legs = participant.txnRefs.map((txn) => byTxn.get(txn)!);
    for (const leg of legs) expect(leg.dest).toBe(participant.number);
    expect(participant.debit).toBe(formatMoney(sumMoney(legs.map((leg) => parseMoney(leg.debit ?? '0')))));
    expect(participant.minutes).toBe(legs.reduce((total, leg) => total + Number(leg.duration ?? 0), 0));
    expect(participant.status).toBe(legs.at(-1)!.call_status_dest);
  }
  const ledgerTotal = sumMoney(calls.filter((c) => c.room === summary.room).map((c) => parseMoney(c.debit ?? '0')));
  expect(summary.totals).toEqual([
    {
      currency: 'SGD',
      debit: formatMoney(ledgerTotal),
      minutes: calls.filter((c) => c.room === summary.room).reduce((t, c) => t + Number(c.duration ?? 0), 0),
    },
  ]);
}

describe('conferenceSession', () => {
  it('dials 20 participants in batches of at most 8 and sums the cost exactly as the simulator billed it', async () => {
    const participants = numbers(20);
    const summary = await runSession({ participants: participants.map((number, i) => ({ number, name: `P${i + 1}` })) });
    const { calls } = await stack.simGet<{ calls: SimCall[] }>('/_sim/calls');
    const stats = await stack.simGet<SimStats>('/_sim/stats');

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
});
