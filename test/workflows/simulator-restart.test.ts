/**
 * `npm start` stopped and started again mid-session: the dev server keeps the session, and the simulator, on its
 * state file, keeps its calls. The calls that were up end at its restart with their notifications, so the session
 * finishes in seconds with its lines back in the budget, instead of polling for minutes into `unknown_txn_ref`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSimulator, type RunningSimulator, type SimCall } from '../../dev/simulator';
import { freePort } from '../support/processes';
import { startSessionStack, type SessionStack } from '../support/session-stack';
import { LONG_CALL, numbers, sessionKit } from './support/session-kit';

let stack: SessionStack;
let restarted: RunningSimulator | undefined;
let dir: string;
let simulatorOptions: { port: number; stateFile: string; timeScale: number };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sim-restart-'));
  // A fixed port: the worker's base URL and the legs' notify_url must still reach the simulator after its restart.
  simulatorOptions = { port: await freePort(), stateFile: path.join(dir, 'ledger.json'), timeScale: 600 };
  stack = await startSessionStack(simulatorOptions);
});

afterAll(async () => {
  await restarted?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const { startSession, waitForStatus, waitForBudget } = sessionKit(() => stack);

it('a session mid-call across a simulator restart finishes in seconds, its lines freed', async () => {
  const participants = numbers(3, 83_000_000);
  await stack.simPost('/_sim/config', {
    scripts: Object.fromEntries(participants.map((number) => [number, LONG_CALL])),
  });
  // Polls come only after an hour without news: whatever ends these legs promptly is their notification.
  const handle = await startSession({ participants, notificationGraceSeconds: 3_600 });
  await waitForStatus(handle, (status) => status.counts['in-call'] === 3);
  // Answered, not ringing: a call ringing at the stop would end failed (docs/simulator.md, "State file").
  await waitUntil(async () => {
    const { calls } = await stack.simGet<{ calls: SimCall[] }>('/_sim/calls');
    return calls.filter((call) => call.state === 'answered').length === 3;
  });

  await stack.simulator.close();
  restarted = await startSimulator(simulatorOptions);

  const stoppedAt = Date.now();
  const summary = await handle.result();
  expect(Date.now() - stoppedAt).toBeLessThan(20_000);
  expect({ statuses: summary.participants.map((p) => p.status), summary }).toMatchObject({
    statuses: ['answered', 'answered', 'answered'],
  });
  expect(summary.participants.every((p) => p.minutes >= 1)).toBe(true);
  const budget = await waitForBudget((state) => state.held.every((p) => p.holder !== handle.workflowId));
  expect(budget.held.filter((p) => p.holder === handle.workflowId)).toEqual([]);
}, 90_000);

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
