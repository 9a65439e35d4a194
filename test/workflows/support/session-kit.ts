/**
 * What every session test does against a running stack: start sessions, read the simulator's ledger, wait on the
 * session's or the budget's own view, and compare a summary with what the simulator billed.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { formatMoney, parseMoney, sumMoney } from '../../../src/domain/money';
import type { SessionStatus, SessionSummary } from '../../../src/domain/session-types';
import type { SimCall, SimStats } from '../../../dev/simulator';
import { ENDPOINTS } from '../../../dev/simulator/config-schema';
import { conferenceSession } from '../../../src/workflows';
import { budgetStateQuery, callBudgetWorkflowId, statusQuery, type BudgetState } from '../../../src/workflows/messages';
import type { SessionStack } from '../../support/session-stack';
import { uniqueId } from '../../support/temporal-test-env';

/** The simulator's default account: its Hoiio application id keys the call budget. */
export const DEMO_APP_ID = 'demo-app';

/** A leg that lasts for the whole test: answered after a short ring, talking for a simulated day. */
export const LONG_CALL = { outcome: 'answered', ringSeconds: 1, talkSeconds: 86_400 } as const;

/** n distinct Singapore numbers, e.g. +6580000001. */
export function numbers(n: number, base = 80_000_000): string[] {
  return Array.from({ length: n }, (_, i) => `+65${base + i + 1}`);
}

export type SessionInput = Parameters<typeof conferenceSession>[0];

export function sessionKit(stack: () => SessionStack) {
  const startSession = async (input: SessionInput, workflowId = uniqueId('session')) =>
    await stack().env.client.workflow.start(conferenceSession, {
      taskQueue: stack().taskQueue,
      workflowId,
      args: [input],
    });

  const runSession = async (input: SessionInput, workflowId = uniqueId('session')) =>
    await (await startSession(input, workflowId)).result();

  const ledger = async () => {
    const { calls } = await stack().simGet<{ calls: SimCall[] }>('/_sim/calls');
    const stats = await stack().simGet<SimStats>('/_sim/stats');
    return { calls, stats };
  };

  const budget = () => stack().env.client.workflow.getHandle(callBudgetWorkflowId(DEMO_APP_ID));

  /** Polls the status query until the predicate holds (the session's own view, not a sleep). */
  const waitForStatus = async (
    handle: WorkflowHandle<typeof conferenceSession>,
    predicate: (status: SessionStatus) => boolean,
    timeoutMs = 30_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await handle.query(statusQuery).catch(() => undefined);
      if (status && predicate(status)) return status;
      if (Date.now() > deadline) {
        // The budget's view too: a session that waits for nothing usually waits for a permit.
        const state = await budget()
          .query(budgetStateQuery)
          .catch((error: unknown) => String(error));
        if (process.env.DUMP_HISTORY) {
          const history = await handle.fetchHistory();
          const fs = await import('node:fs');
          fs.writeFileSync(process.env.DUMP_HISTORY, JSON.stringify(history.events, null, 1));
        }
        throw new Error(`status never matched: ${JSON.stringify(status)}\nbudget: ${JSON.stringify(state)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /** The account's budget once the predicate holds, or as it is after `timeoutMs` (for the assertion to show). */
  const waitForBudget = async (predicate: (state: BudgetState) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await budget().query(budgetStateQuery);
      if (predicate(state) || Date.now() > deadline) return state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /** Waits until the simulator has received `count` requests to `endpoint`. */
  const waitForRequests = async (endpoint: string, count: number, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { stats } = await ledger();
      if ((stats.requests[endpoint] ?? 0) >= count) return;
      if (Date.now() > deadline) throw new Error(`${endpoint} reached ${stats.requests[endpoint] ?? 0} of ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  /** The demo account's credit, set as Hoiio would hold it (points; no bonus). */
  const setCredit = async (amount: string) =>
    await stack().simPost('/_sim/config', { accounts: [{ appId: DEMO_APP_ID, points: amount, bonus: '0.000' }] });

  return { startSession, runSession, ledger, budget, waitForStatus, waitForBudget, waitForRequests, setCredit };
}

/** Back to a clean simulator between tests: no calls, no scripts, no faults, no history lag. */
export async function resetSimulator(stack: SessionStack): Promise<void> {
  await stack.simPost('/_sim/reset', {});
  await stack.simPost('/_sim/config', {
    replaceScripts: true,
    scripts: {},
    historyLagMs: 0,
    faults: {
      // Every endpoint's: a test that slows one down must not slow the next.
      api: Object.fromEntries(['*', ...ENDPOINTS].map((endpoint) => [endpoint, null])),
      notifications: { dropRate: 0, duplicateRate: 0, delayRate: 0, reorderRate: 0 },
    },
  });
}

export function expectSummaryMatchesLedger(summary: SessionSummary, calls: SimCall[]) {
  const byTxn = new Map(calls.map((call) => [call.txn_ref, call]));
  const summaryTxns = summary.participants.flatMap((p) => p.txnRefs);
  const roomCalls = calls.filter((c) => c.room === summary.room);
  // Leg for leg: every leg the simulator dialed for this room is in the summary, and nothing else.
  expect(new Set(summaryTxns)).toEqual(new Set(roomCalls.map((c) => c.txn_ref)));
  for (const participant of summary.participants) {
    const legs = participant.txnRefs.map((txn) => byTxn.get(txn)!);
    for (const leg of legs) expect(leg.dest).toBe(participant.number);
    expect(participant.debit).toBe(formatMoney(sumMoney(legs.map((leg) => parseMoney(leg.debit ?? '0')))));
    expect(participant.minutes).toBe(legs.reduce((total, leg) => total + Number(leg.duration ?? 0), 0));
    // A participant never dialed (left out by a partial run, refused by Hoiio) has no leg to compare with.
    if (legs.length > 0) expect(participant.status).toBe(legs.at(-1)!.call_status_dest);
  }
  const ledgerTotal = sumMoney(roomCalls.map((c) => parseMoney(c.debit ?? '0')));
  expect(summary.totals).toEqual([
    {
      currency: 'SGD',
      debit: formatMoney(ledgerTotal),
      minutes: roomCalls.reduce((t, c) => t + Number(c.duration ?? 0), 0),
    },
  ]);
}

/** Legs the ledger shows per number: a double dial shows as 2 where the rules allow 1. */
export function legsPerNumber(calls: SimCall[], room?: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) {
    if (room !== undefined && call.room !== room) continue;
    counts.set(call.dest, (counts.get(call.dest) ?? 0) + 1);
  }
  return counts;
}
