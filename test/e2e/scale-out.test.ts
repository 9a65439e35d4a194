/**
 * Scale-out, proved on real processes: 3 workers and 2 receivers (their entry points, configured only through the
 * environment of docs/configuration.md) on one Temporal dev server and the Hoiio simulator, the receivers behind a
 * round-robin balancer that is the one public URL. Four sessions on one account, two started by the CLI and two by
 * the TS client, ask for more lines than the account's 8; mid-session one worker and one receiver are SIGKILLed.
 * Every session must still finish with a summary equal to the simulator's ledger leg for leg, nobody dialed twice,
 * no call refused for the concurrent limit, and never more than 8 calls up at once across all workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { peakFromLedger, type SimCall, type SimStats } from '../../dev/bench/ledger';
import { compareSummaryWithLedger } from '../../dev/chaos/checks';
import { freePort, ProcessRegistry, type ManagedProcess } from '../../dev/chaos/processes';
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { parseMoney, sumMoney } from '../../src/domain/money';
import type { SessionSummary } from '../../src/domain/session-types';
import { conferenceSession } from '../../src/workflows';
import { budgetStateQuery, callBudgetWorkflowId, type BudgetState } from '../../src/workflows/messages';
import { runCli } from '../cli/run-cli';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy';
import { startTemporalTestEnv, uniqueId } from '../support/temporal-test-env';
import { waitFor } from '../support/wait-for';

const SESSIONS = 4;
const PARTICIPANTS = 7;
const LINES = 8;
/** Simulated seconds per real second: talk of 180–360 s lasts 6–12 s. */
const TIME_SCALE = 30;
/** Real seconds a silent leg waits before it is polled: longer than any talk here, so only a lost notification polls. */
const GRACE_SECONDS = 15;
const REDIAL_BUSY = { attempts: 2, delaySeconds: 1 };

/** Participant j of session k: the first is busy once then answers (a redial), the second never answers. */
const numberOf = (k: number, j: number) => `+6598${k}${String(j).padStart(5, '0')}`;
function scriptOf(k: number, j: number) {
  const talk = { outcome: 'answered' as const, talkSeconds: 180 + 30 * ((k * PARTICIPANTS + j) % 7) };
  if (j === 0) return [{ outcome: 'busy' as const }, talk];
  if (j === 1) return { outcome: 'unanswered' as const };
  return talk;
}
/** Legs each participant's script leads to under REDIAL_BUSY: exactly these, or someone was dialed twice. */
const expectedLegs = (j: number) => (j === 0 ? 2 : 1);

const signalledCount = (metrics: string) =>
  Number(/^bridgekeeper_notification_signal_seconds_count\{source="conference"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);

describe('scale-out: 3 workers and 2 receivers on one account', () => {
  let env: TestWorkflowEnvironment | undefined;
  let simulator: RunningSimulator | undefined;
  let proxy: RoundRobinProxy | undefined;
  const processes = new ProcessRegistry();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bridgekeeper-scale-out-'));
  let passed = false;

  afterAll(async () => {
    processes.killAll();
    await proxy?.close();
    await simulator?.close();
    await env?.teardown();
    // Every process's log is in `dir`: kept when the test fails.
    if (passed) rmSync(dir, { recursive: true, force: true });
    else console.error(`scale-out: the workers' and receivers' logs are in ${dir}`);
  });

  it('finishes every session exactly after a worker and a receiver are killed mid-session, within 8 lines', async () => {
    env = await startTemporalTestEnv();
    const scripts = Object.fromEntries(
      Array.from({ length: SESSIONS }, (_, k) =>
        Array.from({ length: PARTICIPANTS }, (_, j) => [numberOf(k, j), scriptOf(k, j)]),
      ).flat(),
    );
    simulator = await startSimulator({ port: 0, timeScale: TIME_SCALE, scripts });
    const receiverPorts = [await freePort(), await freePort()];
    proxy = await startRoundRobinProxy(receiverPorts);
    const taskQueue = uniqueId('scale-out');
    const shared = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOIIO_BASE_URL: simulator.baseUrl,
      HOIIO_APP_ID: DEMO_ACCOUNT.appId,
      HOIIO_ACCESS_TOKEN: DEMO_ACCOUNT.accessToken,
      BRIDGEKEEPER_PUBLIC_URL: proxy.url,
      BRIDGEKEEPER_NOTIFY_SECRET: 'scale-out-shared-notify-secret',
      BRIDGEKEEPER_METRICS_PORT: 'off',
      RECEIVER_HOST: '127.0.0.1',
    };
    const start = (name: string, entry: string, extra: NodeJS.ProcessEnv = {}) =>
      processes.start(name, path.join(dir, `${name}.log`), process.execPath, ['--import', 'tsx', entry], {
        ...shared,
        ...extra,
      });
    const workers = [0, 1, 2].map((i) => start(`worker-${i}`, 'src/worker.ts'));
    const receivers = receiverPorts.map((port, i) =>
      start(`receiver-${i}`, 'src/receiver.ts', { RECEIVER_PORT: String(port) }),
    );
    await Promise.all([
      ...workers.map((w) => w.waitForLog('Worker polling task queue', 150_000)),
      ...receivers.map((r) => r.waitForLog('bridgekeeper receiver listening on', 60_000)),
    ]);
    const receiverMetrics = (i: number) =>
      fetch(`http://127.0.0.1:${receiverPorts[i]}/metrics`).then((response) => response.text());

    // Two clients on one account: the CLI (its own process) for sessions 0 and 1, the TS client for 2 and 3.
    const ids = Array.from({ length: SESSIONS }, (_, k) => uniqueId(`scale-out-${k}`));
    const numbers = (k: number) => Array.from({ length: PARTICIPANTS }, (_, j) => numberOf(k, j));
    for (const k of [0, 1]) {
      const cli = await runCli(
        ['call', ...numbers(k), '--id', ids[k]!, '--grace', String(GRACE_SECONDS), '--redial-busy', '2:1'],
        shared,
      );
      if (cli.code !== 0) throw new Error(`bridgekeeper call exited ${cli.code}:\n${cli.stdout}${cli.stderr}`);
      expect(cli.stdout).toContain(ids[k]!);
    }
    for (const k of [2, 3]) {
      await env.client.workflow.start(conferenceSession, {
        taskQueue,
        workflowId: ids[k]!,
        args: [{ participants: numbers(k), notificationGraceSeconds: GRACE_SECONDS, redial: { busy: REDIAL_BUSY } }],
      });
    }
    const budget = env.client.workflow.getHandle(callBudgetWorkflowId(DEMO_ACCOUNT.appId));
    const ledger = async () =>
      ((await (await fetch(`${simulator!.origin}/_sim/calls`)).json()) as { calls: SimCall[] }).calls;

    // Mid-session: calls up, participants not yet dialed (waiting for a line), and each receiver has turned a
    // notification into a signal.
    await waitFor(
      async () => {
        const [calls, metrics] = await Promise.all([ledger(), Promise.all([receiverMetrics(0), receiverMetrics(1)])]);
        return { calls, signalled: metrics.map(signalledCount) };
      },
      ({ calls, signalled }) =>
        calls.some((call) => call.ended_at === null) &&
        new Set(calls.map((call) => call.dest)).size < SESSIONS * PARTICIPANTS &&
        signalled.every((count) => count > 0),
      'live legs, participants not yet dialed and a notification signalled through each receiver',
      90_000,
    );
    // The worker to kill: one running an activity now if any, else the one that started the most so far. Both die
    // while the balancer has a notification in flight to the receiver: that one is lost, as Hoiio does not resend it.
    const { worker: victim, midActivity } = await pickWorker(env, ids, workers);
    let atKill = { victimSignalled: 0, survivorSignalled: 0, live: 0 };
    await proxy.onceInFlight(0, async () => {
      const [victimMetrics, survivorMetrics, calls] = await Promise.all([
        receiverMetrics(0),
        receiverMetrics(1),
        ledger(),
      ]);
      atKill = {
        victimSignalled: signalledCount(victimMetrics),
        survivorSignalled: signalledCount(survivorMetrics),
        live: calls.filter((call) => call.ended_at === null).length,
      };
      await Promise.all([victim.stop('SIGKILL', 5_000), receivers[0]!.stop('SIGKILL', 5_000)]);
    });

    const summaries = await Promise.all(
      ids.map((id) => env!.client.workflow.getHandle<typeof conferenceSession>(id).result()),
    );
    const [calls, stats] = await Promise.all([
      ledger(),
      fetch(`${simulator.origin}/_sim/stats`).then((r) => r.json() as Promise<SimStats>),
    ]);

    // Every session exact against the ledger: legs, statuses, minutes and cost, to the thousandth.
    summaries.forEach((summary: SessionSummary, k) => {
      expect(summary.endedBy).toBe('completed');
      expect(compareSummaryWithLedger(ids[k]!, summary, calls)).toEqual([]);
      const roomCalls = calls.filter((call) => call.room === summary.room);
      expect(parseMoney(summary.totals[0]!.debit)).toBe(sumMoney(roomCalls.map((c) => parseMoney(c.debit ?? '0'))));
      expect(summary.legs.total).toBe(roomCalls.length);
      const { notification, poll, assumed } = summary.legs.endedBy;
      expect({ settled: notification + poll, assumed }).toEqual({ settled: roomCalls.length, assumed: 0 });
    });
    // Nobody dialed twice: one leg per participant attempt, as the scripts and the redial rule lead to.
    const legsPer = new Map<string, number>();
    for (const call of calls) legsPer.set(call.dest, (legsPer.get(call.dest) ?? 0) + 1);
    const wanted = new Map(ids.flatMap((_, k) => numbers(k).map((n, j) => [n, expectedLegs(j)] as const)));
    expect(Object.fromEntries(legsPer)).toEqual(Object.fromEntries(wanted));
    expect(new Set(calls.map((call) => call.txn_ref)).size).toBe(calls.length);
    expect(calls.filter((call) => call.ended_at === null)).toEqual([]);

    // The account's 8 lines were the bottleneck (all in use at once), and their limit held across all workers.
    expect(stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
    expect(stats.peakConcurrentCalls[DEMO_ACCOUNT.appId]).toBe(LINES);
    expect(peakFromLedger(calls)).toBe(LINES);
    const finalBudget: BudgetState = await budget.query(budgetStateQuery);
    expect({ held: finalBudget.held, waiting: finalBudget.waiting }).toEqual({ held: [], waiting: [] });

    // Scale-out really happened: activities ran on more than one worker, the killed one among them, and both
    // receivers delivered; the survivor went on delivering after the kill.
    const ran = await activityWorkers(env, ids);
    const ranOn = workers.filter((w) => ran.has(w.pid));
    expect(ranOn.length).toBeGreaterThanOrEqual(2);
    // A history records an activity's worker when the activity ends, so the victim's only activity may be the one
    // the kill cut short (its retry ran elsewhere).
    if (!midActivity) expect(ranOn).toContain(victim);
    expect(atKill.victimSignalled).toBeGreaterThan(0);
    const survivorMetrics = await receiverMetrics(1);
    expect(signalledCount(survivorMetrics)).toBeGreaterThan(atKill.survivorSignalled);
    // One notify secret for all: no receiver refused a token another process made.
    expect(survivorMetrics.match(/^bridgekeeper_notifications_rejected_total\{.*\} [1-9].*$/gm)).toBeNull();
    expect(atKill.live).toBeGreaterThan(0);
    expect(workers.filter((w) => w !== victim).every((w) => w.running)).toBe(true);
    // The notification lost with the receiver failed at Hoiio's end, and its leg was settled by a poll instead.
    const { notifications } = (await (await fetch(`${simulator.origin}/_sim/notifications`)).json()) as {
      notifications: { outcome: string }[];
    };
    const failed = notifications.filter((n) => n.outcome !== 'delivered').length;
    const endedBy = summaries.map((s) => s.legs.endedBy);
    const polled = endedBy.reduce((n, e) => n + e.poll, 0);
    expect(failed).toBeGreaterThan(0);
    expect(polled).toBeGreaterThan(0);
    expect(polled).toBeLessThanOrEqual(failed);
    console.log(
      `scale-out: ${calls.length} legs, ${atKill.live} up at the kill, victim ${victim.name} ` +
        `${midActivity ? 'mid-activity' : 'between activities'}; activities per worker ` +
        `${workers.map((w) => `${w.name}=${ran.get(w.pid) ?? 0}`).join(' ')}; proxy answered ${proxy.answered.join('/')}; ` +
        `notifications failed ${failed}; ended by poll ${polled}, notification ${endedBy.reduce((n, e) => n + e.notification, 0)}`,
    );
    passed = true;
  }, 300_000);
});

/** Pids of the workers that started any of the sessions' activities (the identity Temporal records is `pid@host`). */
async function activityWorkers(env: TestWorkflowEnvironment, ids: readonly string[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const id of ids) {
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity;
      const pid = Number(identity?.split('@')[0]);
      if (pid > 0) counts.set(pid, (counts.get(pid) ?? 0) + 1);
    }
  }
  return counts;
}

async function pickWorker(
  env: TestWorkflowEnvironment,
  ids: readonly string[],
  workers: readonly ManagedProcess[],
): Promise<{ worker: ManagedProcess; midActivity: boolean }> {
  for (const id of ids) {
    const { raw } = await env.client.workflow.getHandle(id).describe();
    for (const pending of raw.pendingActivities ?? []) {
      const pid = Number(pending.lastWorkerIdentity?.split('@')[0]);
      const worker = workers.find((w) => w.pid === pid);
      if (worker) return { worker, midActivity: true };
    }
  }
  const counts = await activityWorkers(env, ids);
  const busiest = [...workers].sort((a, b) => (counts.get(b.pid) ?? 0) - (counts.get(a.pid) ?? 0))[0]!;
  return { worker: busiest, midActivity: false };
}
