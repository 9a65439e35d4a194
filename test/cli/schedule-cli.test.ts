/**
 * `bridgekeeper schedule …` on the real stack: a Temporal dev server running the schedules, the simulator, the
 * receiver and a production worker, with the real CLI as a child process. Outcomes are read from the simulator's
 * ledger, the runs' results and the server's own view of each schedule; waits are on that state, never on sleeps.
 * Every schedule is paused, its running session cancelled and the schedule deleted after its test.
 */
import type { ScheduleDescription } from '@temporalio/client';
import { DEMO_ACCOUNT } from '../../dev/simulator';
import type { ScheduleView } from '../../src/cli/schedule-report';
import { formatInZone } from '../../src/cli/schedule-report';
import type { SessionSummary } from '../../src/domain/session-types';
import type { conferenceSession } from '../../src/workflows';
import { endUpdate } from '../../src/workflows/messages';
import { cliEnvFor, startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import {
  LONG_CALL,
  expectSummaryMatchesLedger,
  numbers,
  resetSimulator,
  sessionKit,
} from '../workflows/support/session-kit';
import { runCli } from './run-cli';

/** Answered after a short ring; the callee hangs up after `minutes` simulated minutes. */
const talk = (minutes: number) => ({ outcome: 'answered', ringSeconds: 1, talkSeconds: minutes * 60 }) as const;
/** A calendar that does not fire during a test: runs come from `trigger` alone. */
const NEW_YEAR = ['--cron', '0 0 1 1 *'];

let stack: SessionStack;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  stack = await startSessionStack({ timeScale: 600, seed: 29 });
  cliEnv = cliEnvFor(stack);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(async () => {
  await resetSimulator(stack);
  await setCredit(DEMO_ACCOUNT.points);
});

const schedules: string[] = [];
afterEach(async () => {
  for (const id of schedules.splice(0)) {
    const handle = stack.env.client.schedule.getHandle(id);
    // Paused first, so no run starts between reading the running ones and deleting the schedule.
    await handle.pause('test over');
    const { runningActions } = (await handle.describe()).info;
    await handle.delete();
    for (const action of runningActions) {
      const run = stack.env.client.workflow.getHandle(action.workflow.workflowId);
      await run.cancel().catch(() => undefined);
      await run.result().catch(() => undefined);
    }
  }
});

const kit = sessionKit(() => stack);
const { ledger, waitForStatus, setCredit } = kit;

/** Runs the CLI and expects it to succeed; returns its stdout. */
async function cli(...args: string[]): Promise<string> {
  const run = await runCli(args, cliEnv);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return run.stdout;
}

async function create(id: string, ...args: string[]): Promise<string> {
  schedules.push(id);
  return await cli('schedule', 'create', id, ...args);
}

async function trigger(id: string): Promise<string> {
  return (await cli('schedule', 'trigger', id)).trim();
}

async function describeJson(id: string): Promise<ScheduleView> {
  return JSON.parse(await cli('schedule', 'describe', id, '--json')) as ScheduleView;
}

/** The server's view of a schedule once `predicate` holds. */
async function waitForSchedule(id: string, predicate: (d: ScheduleDescription) => boolean, timeoutMs = 30_000) {
  const handle = stack.env.client.schedule.getHandle(id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await handle.describe();
    if (predicate(description)) return description;
    if (Date.now() > deadline) throw new Error(`schedule ${id} never matched: ${JSON.stringify(description.info)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const sessionHandle = (workflowId: string) => stack.env.client.workflow.getHandle<typeof conferenceSession>(workflowId);

describe('bridgekeeper schedule', () => {
  it('creates a schedule whose trigger runs a session; describe shows the run, its cost and the next 5 runs in the zone', async () => {
    const id = uniqueId('standup');
    const [alice, bob] = numbers(2, 86_000_000);
    await stack.simPost('/_sim/config', { scripts: { [alice!]: talk(2), [bob!]: talk(3) } });
    const created = await create(
      id,
      alice!,
      bob!,
      '--name',
      `${bob!}=Bob`,
      '--at',
      '09:00',
      '--days',
      'mon-fri',
      '--timezone',
      'Asia/Singapore',
      '--expected-minutes',
      '5',
    );
    expect(created).toContain(`schedule ${id} created: at 09:00 on Mon-Fri, Asia/Singapore time`);
    expect(created).toMatch(/next run: \d{4}-\d{2}-\d{2} (Mon|Tue|Wed|Thu|Fri) 09:00:00 \(Asia\/Singapore\)/);

    const workflowId = await trigger(id);
    expect(workflowId.startsWith(`${id}-`)).toBe(true);
    const summary: SessionSummary = await sessionHandle(workflowId).result();
    const { calls } = await ledger();
    expect(
      calls
        .filter((call) => call.room === summary.room)
        .map((call) => call.dest)
        .sort(),
    ).toEqual([alice!, bob!].sort());
    expectSummaryMatchesLedger(summary, calls);
    expect(summary.preflight?.expectedMinutes).toBe(5);

    // Temporal tags the run with the schedule's id: runs can be listed per schedule.
    const listed: string[] = [];
    const deadline = Date.now() + 15_000;
    while (!listed.includes(workflowId) && Date.now() < deadline) {
      listed.splice(0);
      for await (const run of stack.env.client.workflow.list({ query: `TemporalScheduledById = '${id}'` })) {
        listed.push(run.workflowId);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(listed).toEqual([workflowId]);

    const view = await describeJson(id);
    expect(view).toMatchObject({
      scheduleId: id,
      paused: false,
      timeZone: 'Asia/Singapore',
      when: 'at 09:00 on Mon-Fri, Asia/Singapore time',
      overlap: 'skip',
      catchupWindow: '10m',
      counts: { taken: 1, skippedOverlap: 0, missedCatchupWindow: 0 },
      session: { participants: [alice!, { number: bob!, name: 'Bob' }], expectedMinutes: 5 },
    });
    expect(view.nextRuns).toHaveLength(5);
    for (const next of view.nextRuns) {
      expect(next.local).toMatch(/^\d{4}-\d{2}-\d{2} (Mon|Tue|Wed|Thu|Fri) 09:00:00$/);
      expect(formatInZone(new Date(next.at), 'Asia/Singapore')).toBe(next.local);
    }
    expect(view.runs).toEqual([
      expect.objectContaining({
        workflowId,
        status: 'completed',
        endedBy: 'completed',
        participants: 2,
        answered: 2,
        cost: summary.totals,
      }),
    ]);

    const text = await cli('schedule', 'describe', id);
    const cost = summary.totals.map((total) => `${total.currency} ${total.debit}`).join(', ');
    expect(text).toContain(`${workflowId} | ${view.runs[0]!.startedLocal} | completed | 2/2 answered | cost ${cost}`);
    expect(text).toContain(`next runs (Asia/Singapore):\n  ${view.nextRuns[0]!.local}`);

    expect(await cli('schedule', 'pause', id, '--note', 'office closed')).toContain('paused: office closed');
    expect(await cli('schedule', 'describe', id)).toContain(`schedule ${id} | paused: office closed`);
  });

  it('update --add: the next run dials the new roster, the running one keeps its own', async () => {
    const id = uniqueId('weekly');
    const [first, late] = numbers(2, 86_100_000);
    await stack.simPost('/_sim/config', { scripts: { [first!]: LONG_CALL, [late!]: talk(1) } });
    await create(id, first!, ...NEW_YEAR);

    const running = await trigger(id);
    await waitForStatus(sessionHandle(running), (status) => status.activeLegs === 1);
    const updated = await cli('schedule', 'update', id, '--add', late!, '--name', `${late!}=Late`);
    expect(updated).toContain(`schedule ${id} updated: 2 participant(s)`);

    // The running session is untouched: its roster stays, and so does what it dials.
    const status = await waitForStatus(sessionHandle(running), () => true);
    expect(status.participants.map((p) => p.number)).toEqual([first!]);
    await sessionHandle(running).executeUpdate(endUpdate, { args: [{ reason: 'test' }] });
    const before = await sessionHandle(running).result();
    expect(before.participants.map((p) => p.number)).toEqual([first!]);

    await stack.simPost('/_sim/config', { scripts: { [first!]: talk(1) } });
    const next = await trigger(id);
    expect(next).not.toBe(running);
    const after = await sessionHandle(next).result();
    expect(after.participants.map((p) => [p.number, p.name])).toEqual([
      [first!, undefined],
      [late!, 'Late'],
    ]);
    // Each run dials into a room of its own.
    expect(after.room).not.toBe(before.room);
    const { calls } = await ledger();
    expect(calls.filter((call) => call.room === before.room).map((call) => call.dest)).toEqual([first!]);
    expect(
      calls
        .filter((call) => call.room === after.room)
        .map((call) => call.dest)
        .sort(),
    ).toEqual([first!, late!].sort());
  });

  it('runs on its calendar, every 2 s, and skips a run while the previous one still runs', async () => {
    const id = uniqueId('every2s');
    const [caller] = numbers(1, 86_200_000);
    await stack.simPost('/_sim/config', { scripts: { [caller!]: LONG_CALL } });
    await create(id, caller!, '--every', '2s');

    // The first run talks all day: the calendar fires again and again, and every later run is skipped.
    const description = await waitForSchedule(id, (d) => d.info.numActionsSkippedOverlap >= 2);
    expect(description.info.numActionsTaken).toBe(1);
    expect(description.info.runningActions).toHaveLength(1);
    const { calls } = await ledger();
    expect(calls.filter((call) => call.dest === caller)).toHaveLength(1);

    const view = await describeJson(id);
    expect(view.when).toBe('every 2s, UTC time');
    expect(view.counts.taken).toBe(1);
    expect(view.counts.skippedOverlap).toBeGreaterThanOrEqual(2);
    expect(view.runs).toEqual([expect.objectContaining({ status: 'running' })]);

    // The list is the server's visibility, which lags a little behind a create.
    type Row = { scheduleId: string; nextRun?: { at: string } };
    const listed = async () =>
      (JSON.parse(await cli('schedule', 'list', '--json')) as Row[]).find((r) => r.scheduleId === id);
    let row = await listed();
    for (let attempt = 0; attempt < 30 && row === undefined; attempt += 1) row = await listed();
    expect(row?.nextRun?.at).toBeDefined();
  });

  it("never runs on a skip date: today's date in the schedule's zone", async () => {
    // A zone where today is far from midnight, so the test cannot straddle two dates.
    const utcHour = new Date().getUTCHours();
    const zone = utcHour >= 2 && utcHour <= 21 ? 'UTC' : 'Asia/Tokyo';
    const today = formatInZone(new Date(), zone).slice(0, 10);
    const [skipped, control] = numbers(2, 86_300_000);
    await stack.simPost('/_sim/config', { scripts: { [control!]: LONG_CALL } });
    const skipId = uniqueId('skip');
    const controlId = uniqueId('control');
    await create(skipId, skipped!, '--every', '1s', '--timezone', zone, '--skip', today);
    await create(controlId, control!, '--every', '1s', '--timezone', zone);

    // The same calendar without the skip date fires three times (one run, then skips while it talks)...
    await waitForSchedule(controlId, (d) => d.info.numActionsTaken + d.info.numActionsSkippedOverlap >= 3);
    // ...while the one with it has taken nothing, and its next runs are all after today.
    const view = await describeJson(skipId);
    expect(view.counts).toEqual({ taken: 0, skippedOverlap: 0, missedCatchupWindow: 0 });
    expect(view.runs).toEqual([]);
    expect(view.when).toContain(`except ${today}`);
    for (const next of view.nextRuns) expect(next.local.slice(0, 10) > today).toBe(true);
    const { calls } = await ledger();
    expect(calls.filter((call) => call.dest === skipped)).toEqual([]);
  });

  it('shows a run that pre-flight refused, with its reason, and dials nobody', async () => {
    await setCredit('0.100');
    const id = uniqueId('broke');
    await create(id, ...numbers(3, 86_400_000), ...NEW_YEAR);
    const workflowId = await trigger(id);
    await expect(sessionHandle(workflowId).result()).rejects.toThrow();

    const view = await describeJson(id);
    expect(view.runs).toEqual([expect.objectContaining({ workflowId, status: 'failed' })]);
    const failure = view.runs[0]!.failure ?? '';
    expect(failure).toContain('SGD 1.800');
    expect(failure).toContain('SGD 0.100');
    expect(failure).toContain('nobody was dialed');
    expect(await cli('schedule', 'describe', id)).toContain(`| failed: ${failure}`);
    expect((await ledger()).calls).toEqual([]);
  });

  it('names a schedule that does not exist, and one that does already', async () => {
    const id = uniqueId('twice');
    await create(id, '+6591239999', ...NEW_YEAR);
    const again = await runCli(['schedule', 'create', id, '+6591239999', ...NEW_YEAR], cliEnv);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`schedule ${id} already exists`);
    const missing = await runCli(['schedule', 'describe', 'no-such-schedule'], cliEnv);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('bridgekeeper: schedule no-such-schedule not found\n');
  });
});
