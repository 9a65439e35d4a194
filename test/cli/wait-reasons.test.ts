/**
 * Why a participant waits, and what each live leg is doing, as `bridgekeeper status` and `call --wait` tell it: the
 * real CLI as a child process against a real stack (dev server, simulator, receiver, worker). Every wait here is
 * reached by waiting on the session's own status, never by sleeping.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { SimCall } from '../../dev/simulator';
import type { SessionStatus } from '../../src/domain/session-types';
import type { conferenceSession } from '../../src/workflows';
import { addParticipantsUpdate, callBudgetWorkflowId, endUpdate } from '../../src/workflows/messages';
import { cliEnvFor, startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import { DEMO_APP_ID, LONG_CALL, numbers, resetSimulator, sessionKit } from '../workflows/support/session-kit';
import { runCli, startCli } from './run-cli';

let stack: SessionStack;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  stack = await startSessionStack({ timeScale: 600, seed: 11 });
  cliEnv = cliEnvFor(stack);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => resetSimulator(stack));

const kit = sessionKit(() => stack);
const { ledger, waitForStatus } = kit;
const started: WorkflowHandle<typeof conferenceSession>[] = [];

async function startSession(input: Parameters<typeof kit.startSession>[0]) {
  const handle = await kit.startSession(input);
  started.push(handle);
  return handle;
}

// A failed test must not leave its sessions holding the account's lines for the next one: a cancel gives them back.
afterEach(async () => {
  const running = started.splice(0);
  await Promise.all(running.map((handle) => handle.cancel().catch(() => undefined)));
  await Promise.all(running.map((handle) => handle.result().catch(() => undefined)));
});

const participant = (status: SessionStatus, number: string) => status.participants.find((p) => p.number === number)!;

/** The `status` table row of one number, as printed. */
async function statusRow(workflowId: string, number: string): Promise<string> {
  const run = await runCli(['status', workflowId], cliEnv);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout.split('\n').find((line) => line.includes(number)) ?? `(no row for ${number} in)\n${run.stdout}`;
}

async function endSession(handle: WorkflowHandle<typeof conferenceSession>): Promise<void> {
  await handle.executeUpdate(endUpdate, { args: [{ reason: 'test over' }] });
  await handle.result();
}

describe('why a participant waits, and what a live leg is doing', () => {
  it('names the sessions holding every line and the requests ahead, a full room, a ringing leg and a muted one', async () => {
    // The holder: one leg that rings and is never answered, 7 that talk all day, and a 9th participant for whom the
    // room (8 places) has no room.
    const held = numbers(9, 81_000_000);
    const [ringing, talking] = held;
    const roomless = held[8]!;
    const [first, second] = numbers(2, 82_000_000);
    await stack.simPost('/_sim/config', {
      scripts: {
        ...Object.fromEntries(held.map((number) => [number, LONG_CALL])),
        [ringing!]: { outcome: 'answered', ringSeconds: 86_400 },
        [first!]: { outcome: 'answered', talkSeconds: 60 },
        [second!]: { outcome: 'answered', talkSeconds: 60 },
      },
    });
    const holder = await startSession({ participants: held });
    const full = await waitForStatus(holder, (status) => status.activeLegs === 8);

    // The room is full: the 9th waits for a place, not for a line.
    expect(participant(full, roomless)).toMatchObject({ status: 'queued', waiting: { kind: 'room-full', inRoom: 8 } });
    expect(await statusRow(holder.workflowId, roomless)).toContain('queued: room full (8 in the room)');

    // Hoiio never says a conference leg was answered before it ends: a placed leg is ringing, never "in-call".
    const calls = (await ledger()).calls;
    const ringingCall = calls.find((call: SimCall) => call.dest === ringing)!;
    expect(ringingCall.state).toBe('ringing');
    expect(participant(full, ringing!)).toMatchObject({ status: 'in-call', call: { state: 'ringing', muted: false } });
    const ringingRow = await statusRow(holder.workflowId, ringing!);
    expect(ringingRow).toContain('ringing, unmuted');
    expect(ringingRow).not.toContain('in-call');

    // Muted through the CLI: the session knows it, and so does the simulator.
    const muted = await runCli(['mute', holder.workflowId, talking!], cliEnv);
    expect(muted.code).toBe(0);
    expect((await ledger()).calls.find((call: SimCall) => call.dest === talking)!.muted).toBe(true);
    expect(participant(await waitForStatus(holder, () => true), talking!).call).toEqual({
      state: 'ringing',
      muted: true,
    });
    expect(await statusRow(holder.workflowId, talking!)).toContain('ringing, muted');

    // Two more sessions: every line is held, so each waits for one, the second behind the first.
    const ahead = await startSession({ participants: [first!] });
    await waitForStatus(ahead, (status) => participant(status, first!).waiting?.kind === 'no-line');
    const behindId = uniqueId('behind');
    const behind = startCli(['call', second!, '--id', behindId, '--wait'], cliEnv);
    const lineWait = `1 queued | 0 active legs | cost 0 | waiting: 1 for a free line (8/8 lines held: ${holder.workflowId} x8; 1 request ahead)`;
    await behind.sawOutput(new RegExp(lineWait.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

    const waiting = await waitForStatus(
      stack.env.client.workflow.getHandle<typeof conferenceSession>(behindId),
      (status) => participant(status, second!).waiting?.kind === 'no-line',
    );
    expect(waiting.permits).toMatchObject({ budget: callBudgetWorkflowId(DEMO_APP_ID), held: 0, available: 0 });
    const status = await runCli(['status', behindId], cliEnv);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `waiting: 1 for a free line (8/8 lines held: ${holder.workflowId} x8; 1 request ahead)`,
    );
    expect(status.stdout.split('\n').find((line) => line.includes(second!))).toContain('queued: no free line');
    const firstStatus = await runCli(['status', ahead.workflowId], cliEnv);
    expect(firstStatus.stdout).toContain(`${holder.workflowId} x8; 0 requests ahead`);

    // Lines free up: both are dialed and finish; `call --wait` ends with the summary.
    await endSession(holder);
    await ahead.result();
    const done = await behind.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('completed');
  });

  it('shows a dial being sent as dialing, and who waits behind it, while Hoiio refuses it with a rate limit', async () => {
    const [first, later] = numbers(2, 84_000_000);
    await stack.simPost('/_sim/config', {
      scripts: { [first!]: LONG_CALL, [later!]: LONG_CALL },
      faults: { api: { 'conference/call': { rateLimitRate: 1 } } },
    });
    const handle = await startSession({ participants: [first!] });
    await kit.waitForRequests('conference/call', 1);
    await handle.executeUpdate(addParticipantsUpdate, { args: [{ participants: [later!] }] });

    const status = await waitForStatus(handle, (s) => participant(s, later!).waiting?.kind === 'dial-in-progress');
    expect(participant(status, first!)).toMatchObject({ status: 'dialing', txnRefs: [], call: { state: 'dialing' } });
    expect((await ledger()).calls).toEqual([]);
    expect(await statusRow(handle.workflowId, first!)).toMatch(/│ dialing\s+│/);
    expect(await statusRow(handle.workflowId, later!)).toContain('queued: behind the dial being sent');
  });

  it('says when a redial is due and which attempt it will be', async () => {
    const [busy] = numbers(1, 83_000_000);
    await stack.simPost('/_sim/config', { scripts: { [busy!]: [{ outcome: 'busy' }, LONG_CALL] } });
    const handle = await startSession({ participants: [busy!], redial: { busy: { attempts: 1, delaySeconds: 3600 } } });
    const status = await waitForStatus(handle, (s) => participant(s, busy!).status === 'redial-wait');

    const waiting = participant(status, busy!).waiting;
    expect(waiting).toMatchObject({ kind: 'redial-delay', attempt: 2 });
    const until = Date.parse(waiting?.kind === 'redial-delay' ? waiting.until : '');
    const busyEnd = Date.parse((await ledger()).calls[0]!.ended_at!);
    // An hour after the busy leg ended, as the session learnt of it (a few seconds at most after the simulator).
    expect(until - busyEnd).toBeGreaterThanOrEqual(3_600_000 - 1_000);
    expect(until - busyEnd).toBeLessThan(3_600_000 + 30_000);
    const row = await statusRow(handle.workflowId, busy!);
    expect(row).toContain(`redial-wait: attempt 2 at ${new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z')}`);

    await endSession(handle);
  });
});
