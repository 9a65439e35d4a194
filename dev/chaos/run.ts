/**
 * One chaos run: start the stack as processes, start the sessions and escalations, break things while they run
 * (worker stops mid-dial, dev server restarts, receiver restarts, every simulator fault), wait for them all, then judge
 * the ledger. Every process started is killed before `runChaos` returns or throws.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { DEFAULT_ACCOUNT } from '../../src/domain/session-input';
import type { EscalationResult } from '../../src/domain/escalation-types';
import type { SessionSummary } from '../../src/domain/session-types';
import type { conferenceSession, escalation } from '../../src/workflows';
import {
  budgetStateQuery,
  callBudgetWorkflowId,
  escalationStatusQuery,
  statusQuery,
} from '../../src/workflows/messages';
import { APP_ID, type SimCall, type SimStats } from '../bench/ledger';
import {
  checkRun,
  type BudgetView,
  type EscalationOutcomeView,
  type SessionOutcome,
  type SimDelivery,
  type Violation,
} from './checks';
import { chaosFaults, faultFigures, NO_FAULTS, type FaultFigures } from './faults';
import {
  planEscalations,
  planSessions,
  REDIAL_RULES,
  Rng,
  simulatorScripts,
  type EscalationChaosPlan,
  type SessionPlan,
} from './scenario';
import { ChaosStack, TASK_QUEUE } from './stack';

export interface ChaosOptions {
  sessions: number;
  participants: number;
  /** `escalation` workflows paging scripted on-call trees on the same account, alongside the sessions. */
  escalations: number;
  workerStops: number;
  serverRestarts: number;
  receiverRestarts: number;
  faults: boolean;
  seed: number;
  timeScale: number;
  /** Simulated seconds of talk per answered leg. */
  talk: { min: number; max: number };
  /** The whole run may take this long (real seconds) before unfinished sessions count as stalled. */
  timeoutSeconds: number;
  /** No new leg and no session finished for this long (real seconds): a stall is logged. */
  stallSeconds: number;
  workerShutdownGraceMs: number;
  /** Keep the run directory after a pass (a failed run always keeps it). */
  keepLogs: boolean;
  log: (line: string) => void;
}

export interface ChaosResult {
  options: Omit<ChaosOptions, 'log'>;
  runDir: string;
  /** Whether runDir (logs, database) is still there. */
  logsKept: boolean;
  faults: FaultFigures;
  workerStops: { graceful: number; kill: number; midDial: number; forced: number };
  serverRestarts: number;
  receiverRestarts: number;
  sessions: { total: number; completed: number };
  /** Session legs (the escalations' calls are pages and bridge legs). */
  legs: number;
  escalations: { total: number; acknowledged: number; pages: number; bridgeLegs: number };
  doubles: number;
  orphans: number;
  stalls: number;
  stallWarnings: string[];
  peakConcurrent: number;
  concurrentRejections: number;
  seconds: number;
  violations: Violation[];
  sessionReports: Array<{ workflowId: string; status: string; endedBy?: string; outcomes?: object; legs?: number }>;
  escalationReports: Array<{
    workflowId: string;
    status: string;
    outcome?: string;
    acknowledgedBy?: string;
    reason?: string;
    legs?: number;
    cost?: Record<string, string>;
    failure?: string;
  }>;
}

type Action = { kind: 'worker'; signal: 'SIGTERM' | 'SIGKILL' } | { kind: 'server' } | { kind: 'receiver' };

/** Worker stops alternate SIGTERM and SIGKILL; server and receiver restarts are spread evenly between them. */
export function chaosPlan(workerStops: number, serverRestarts: number, receiverRestarts: number): Action[] {
  const plan: Array<{ at: number; action: Action }> = [];
  for (let i = 0; i < workerStops; i += 1) {
    plan.push({ at: i + 1, action: { kind: 'worker', signal: i % 2 === 0 ? 'SIGTERM' : 'SIGKILL' } });
  }
  const spread = (count: number, offset: number, action: Action) => {
    for (let i = 0; i < count; i += 1) plan.push({ at: ((i + offset) * (workerStops + 1)) / (count + 0.5), action });
  };
  spread(serverRestarts, 0.75, { kind: 'server' });
  spread(receiverRestarts, 0.5, { kind: 'receiver' });
  return plan.sort((a, b) => a.at - b.at).map((entry) => entry.action);
}

interface TrackedEscalation {
  plan: EscalationChaosPlan;
  handle: WorkflowHandle<typeof escalation>;
  status: string;
  result?: EscalationResult;
  failure?: string;
}

/** A session the run started, and how it ended. */
export interface Tracked {
  plan: SessionPlan;
  handle: WorkflowHandle<typeof conferenceSession>;
  status: string;
  summary?: SessionSummary;
  failure?: string;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const began = Date.now();
  const { log } = options;
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'bridgekeeper-chaos-'));
  const runId = `${Date.now().toString(36)}${options.seed}`;
  const rng = new Rng(options.seed ^ 0x5bd1e995);
  const plans = planSessions({ ...options, runId });
  const escalationPlans = planEscalations({ ...options, runId });
  const stack = new ChaosStack({
    dir: runDir,
    seed: options.seed,
    timeScale: options.timeScale,
    workerShutdownGraceMs: options.workerShutdownGraceMs,
    historySettleMs: 2_000,
    log,
    simulatorConfig: {
      timing: {
        ringSeconds: { min: 2, max: 8 },
        noAnswerSeconds: 30,
        busySeconds: 3,
        failedSeconds: 2,
        // An IVR call left without a next block is hung up after a real minute: far past any round trip under chaos
        // (a worker stop, a server restart), so only a lost notification leaves a call idle, and the step's end
        // (30 or 60 real s) hangs it up first.
        ivrIdleSeconds: Math.round(60 * options.timeScale),
        ivrMessageSeconds: 2,
      },
      scripts: simulatorScripts(plans, escalationPlans),
    },
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: killing every process this run started`);
    stack.killAll();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onExit = () => stack.killAll();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);

  const workerStops = { graceful: 0, kill: 0, midDial: 0, forced: 0 };
  let serverRestarts = 0;
  let receiverRestarts = 0;
  const stallWarnings: string[] = [];
  const extraViolations: Violation[] = [];
  try {
    log(`run directory ${runDir} (logs, dev server database)`);
    await stack.start();
    log(
      `stack up: Temporal ${stack.temporalAddress}, simulator ${stack.simulatorOrigin}, ` +
        `${Date.now() - began} ms; faults ${options.faults ? 'on' : 'off'}`,
    );
    if (options.faults) await stack.simPost('/_sim/config', chaosFaults());

    const deadlineSeconds = Math.max(60, options.timeoutSeconds - 30);
    const tracked: Tracked[] = [];
    for (const plan of plans) {
      const handle = await stack.client.workflow.start<typeof conferenceSession>('conferenceSession', {
        taskQueue: TASK_QUEUE,
        workflowId: plan.workflowId,
        args: [
          {
            participants: plan.participants.map(({ number, name }) => ({ number, name })),
            room: plan.room,
            tag: 'chaos',
            redial: REDIAL_RULES,
            notificationGraceSeconds: 5,
            // A safety net only: a session that needs it has stalled, and is reported so.
            deadlineSeconds,
          },
        ],
      });
      tracked.push({ plan, handle, status: 'RUNNING' });
    }
    log(`started ${plans.length} sessions × ${options.participants} participants (deadline ${deadlineSeconds} s)`);
    const escalations: TrackedEscalation[] = [];
    for (const plan of escalationPlans) {
      const handle = await stack.client.workflow.start<typeof escalation>('escalation', {
        taskQueue: TASK_QUEUE,
        workflowId: plan.workflowId,
        args: [plan.input],
      });
      escalations.push({ plan, handle, status: 'RUNNING' });
    }
    if (escalations.length > 0)
      log(`started ${escalations.length} escalations (${escalations[0]!.plan.workflowId}, ...)`);

    const hardDeadline = began + options.timeoutSeconds * 1000;
    const allDone = () =>
      tracked.every((t) => t.status !== 'RUNNING') && escalations.every((e) => e.status !== 'RUNNING');
    const finished = () =>
      tracked.filter((t) => t.status !== 'RUNNING').length + escalations.filter((e) => e.status !== 'RUNNING').length;
    let lastProgress = { at: Date.now(), legs: 0, done: 0 };
    let supervising = true;

    // Watches the sessions (describe, not a long poll: it must survive server restarts), logs stalls, and restarts a
    // worker or receiver that died on its own.
    const watcher = (async () => {
      while (supervising && !allDone()) {
        for (const t of tracked.filter((x) => x.status === 'RUNNING')) {
          try {
            const description = await t.handle.describe();
            if (description.status.name !== 'RUNNING') {
              t.status = description.status.name;
              if (t.status === 'COMPLETED') t.summary = await t.handle.result();
              else await t.handle.result().catch((error: unknown) => (t.failure = String(error)));
              log(`${t.plan.workflowId} ${t.status}${t.summary ? ` (${t.summary.endedBy})` : ''}`);
            }
          } catch {
            // The server is restarting: ask again next round.
          }
        }
        for (const e of escalations.filter((x) => x.status === 'RUNNING')) {
          try {
            const description = await e.handle.describe();
            if (description.status.name !== 'RUNNING') {
              e.status = description.status.name;
              if (e.status === 'COMPLETED') e.result = await e.handle.result();
              else await e.handle.result().catch((error: unknown) => (e.failure = String(error)));
              log(`${e.plan.workflowId} ${e.status}${e.result ? ` (${e.result.outcome})` : ''}`);
            }
          } catch {
            // The server is restarting: ask again next round.
          }
        }
        try {
          const { calls } = await stack.simGet<{ calls: SimCall[] }>(`/_sim/calls?app_id=${APP_ID}`);
          const done = finished();
          if (calls.length !== lastProgress.legs || done !== lastProgress.done) {
            lastProgress = { at: Date.now(), legs: calls.length, done };
          } else if (Date.now() - lastProgress.at > options.stallSeconds * 1000) {
            const warning = await describeStall(stack, tracked, escalations, calls, options.stallSeconds);
            stallWarnings.push(warning);
            log(`STALL: ${warning}`);
            // Not one line in use, yet sessions wait: nothing but our own code can be holding them up.
            if (calls.every((call) => call.ended_at !== null)) {
              extraViolations.push({ invariant: 'stall', detail: `with every line free, ${warning}` });
            }
            lastProgress.at = Date.now();
          }
        } catch {
          // The simulator is busy; next round.
        }
        await sleep(1_000);
      }
    })();

    const plan = chaosPlan(options.workerStops, options.serverRestarts, options.receiverRestarts);
    const done = { worker: 0, server: 0, receiver: 0 };
    for (const action of plan) {
      if (allDone() || Date.now() > hardDeadline) break;
      await sleep(rng.int(1_500, 4_000)); // let the stack work between two blows
      if (allDone()) break;
      if (action.kind === 'worker') {
        const midDial = await waitForDialInFlight(stack, 20_000);
        const label = `worker stop ${done.worker + 1}/${options.workerStops} (${action.signal}${midDial ? ', dial in flight' : ''})`;
        const stopped = await stack.stopWorker(action.signal);
        done.worker += 1;
        if (action.signal === 'SIGTERM') workerStops.graceful += 1;
        else workerStops.kill += 1;
        if (midDial) workerStops.midDial += 1;
        if (stopped.forced) workerStops.forced += 1;
        log(`${label}: exited (${stopped.exit}${stopped.forced ? ', had to be killed' : ''})`);
        await sleep(rng.int(200, 2_000));
        await stack.startWorker();
      } else if (action.kind === 'server') {
        const restarted = await stack.restartServer(rng.int(500, 3_000));
        done.server += 1;
        serverRestarts += 1;
        log(`dev server restart ${done.server}/${options.serverRestarts}: down ${restarted.downMs} ms`);
      } else {
        await stack.restartReceiver(rng.int(500, 2_000));
        done.receiver += 1;
        receiverRestarts += 1;
        log(`receiver restart ${done.receiver}/${options.receiverRestarts}`);
      }
    }
    const shortfall = [
      ['worker stops', done.worker, options.workerStops],
      ['server restarts', done.server, options.serverRestarts],
      ['receiver restarts', done.receiver, options.receiverRestarts],
    ].filter(([, did, planned]) => did !== planned);
    if (shortfall.length > 0) {
      extraViolations.push({
        invariant: 'chaos-incomplete',
        detail:
          `the sessions and escalations finished (or time ran out) before the planned chaos: ` +
          shortfall.map(([what, did, planned]) => `${what} ${did}/${planned}`).join(', '),
      });
    }
    log('chaos done; waiting for the sessions and escalations to finish');

    while (!allDone() && Date.now() < hardDeadline) {
      if (!stack.workerRunning())
        await stack.startWorker().catch((e: unknown) => log(`worker restart failed: ${String(e)}`));
      if (!stack.receiverRunning())
        await stack.startReceiver().catch((e: unknown) => log(`receiver restart failed: ${String(e)}`));
      await sleep(1_000);
    }
    supervising = false;
    await watcher;

    // Unfinished sessions are stalls: say where they stand, then end them so the ledger can settle.
    for (const t of tracked.filter((x) => x.status === 'RUNNING')) {
      const status = await t.handle.query(statusQuery).catch((error: unknown) => String(error));
      const failure = await lastTaskFailure(t.handle);
      t.failure =
        `still running after ${options.timeoutSeconds} s; status ${JSON.stringify(status)}` +
        (failure ? `; last workflow task failure: ${failure}` : '');
      log(`STALLED ${t.plan.workflowId}: ${t.failure}`);
      await t.handle.terminate('chaos suite timeout').catch(() => undefined);
    }
    for (const e of escalations.filter((x) => x.status === 'RUNNING')) {
      const status = await e.handle.query(escalationStatusQuery).catch((error: unknown) => String(error));
      const failure = await lastTaskFailure(e.handle);
      e.failure =
        `still running after ${options.timeoutSeconds} s; status ${JSON.stringify(status).slice(0, 2_000)}` +
        (failure ? `; last workflow task failure: ${failure}` : '');
      log(`STALLED ${e.plan.workflowId}: ${e.failure}`);
      await e.handle.terminate('chaos suite timeout').catch(() => undefined);
    }

    const { calls, stats } = await settledLedger(stack, 15_000);
    const deliveries = await stack
      .simGet<{ notifications: SimDelivery[] }>('/_sim/notifications')
      .then((answer) => answer.notifications)
      .catch(() => undefined);
    const budgets = await budgetViews(stack);
    const sessions: SessionOutcome[] = tracked.map((t) => ({
      plan: t.plan,
      status: t.status,
      summary: t.summary,
      failure: t.failure,
    }));
    const escalationViews: EscalationOutcomeView[] = escalations.map((e) => ({
      plan: e.plan,
      status: e.status,
      result: e.result,
      failure: e.failure,
    }));
    const verdict = checkRun({ sessions, escalations: escalationViews, calls, stats, budgets, deliveries });
    const violations = [...verdict.violations, ...extraViolations];
    for (const exit of stack.unexpectedExits) {
      violations.push({
        invariant: 'process-crash',
        detail: `${exit.process} exited by itself at ${exit.at} (code ${exit.code}, signal ${exit.signal}): ${exit.tail.replace(/\s+/g, ' ').slice(-300)}`,
      });
    }

    await stack.stop();
    const left = stack.processes.alive();
    if (left.length > 0) {
      violations.push({ invariant: 'process-left-behind', detail: `still running after stop: ${left.join(', ')}` });
    }
    const logsKept = options.keepLogs || violations.length > 0;
    if (!logsKept) rmSync(runDir, { recursive: true, force: true });
    const stalledSessions = new Set(
      violations.filter((v) => v.invariant === 'stall' && v.session).map((v) => v.session),
    );
    return {
      options: withoutLog(options),
      runDir,
      logsKept,
      faults: options.faults ? faultFigures(stats) : faultFigures(stats, NO_FAULTS),
      workerStops,
      serverRestarts,
      receiverRestarts,
      sessions: { total: tracked.length, completed: sessions.filter((s) => s.summary?.endedBy === 'completed').length },
      legs: verdict.counts.legs,
      escalations: {
        total: verdict.counts.escalations,
        acknowledged: verdict.counts.acknowledged,
        pages: verdict.counts.pages,
        bridgeLegs: verdict.counts.bridgeLegs,
      },
      doubles: verdict.counts.doubles,
      orphans: verdict.counts.orphans,
      // Sessions unfinished at the timeout, plus periods in which sessions waited while every line was free.
      stalls: stalledSessions.size + violations.filter((v) => v.invariant === 'stall' && !v.session).length,
      stallWarnings,
      peakConcurrent: Math.max(verdict.counts.peakConcurrent, verdict.counts.peakConcurrentLedger),
      concurrentRejections: verdict.counts.concurrentRejections,
      seconds: (Date.now() - began) / 1000,
      violations,
      sessionReports: tracked.map((t) => ({
        workflowId: t.plan.workflowId,
        status: t.status,
        endedBy: t.summary?.endedBy,
        outcomes: t.summary?.outcomes,
        legs: t.summary?.legs.total,
      })),
      escalationReports: escalations.map((e) => ({
        workflowId: e.plan.workflowId,
        status: e.status,
        outcome: e.result?.outcome,
        acknowledgedBy: e.result?.acknowledged?.by,
        reason: e.result?.reason,
        legs: e.result?.legs.length,
        cost: e.result?.cost,
        failure: e.failure,
      })),
    };
  } finally {
    await stack.stop().catch(() => stack.killAll());
    stack.killAll();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('exit', onExit);
  }
}

function withoutLog(options: ChaosOptions): Omit<ChaosOptions, 'log'> {
  const { log: _log, ...rest } = options;
  return rest;
}

/**
 * Waits until a dial is in flight, a conference/call (session or bridge legs) or an ivr/start/dial (a page): the
 * simulator has counted more requests than it has answered (it logs each reply as it sends it; the slow-reply fault
 * holds replies back). False when none came in time.
 */
async function waitForDialInFlight(stack: ChaosStack, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const stats = await stack.simGet<SimStats>('/_sim/stats');
      const requests =
        (stats.requests['conference/call'] ?? 0) +
        (stats.requests['voice/conference'] ?? 0) +
        (stats.requests['ivr/start/dial'] ?? 0);
      if (requests > stack.dialReplies()) return true;
    } catch {
      // Ask again.
    }
    await sleep(25);
  }
  return false;
}

/** The ledger once no leg is live (legs hung up at the end still send their notifications), or as it is. */
export async function settledLedger(
  stack: Pick<ChaosStack, 'simGet'>,
  timeoutMs: number,
): Promise<{ calls: SimCall[]; stats: SimStats }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { calls } = await stack.simGet<{ calls: SimCall[] }>('/_sim/calls');
    const stats = await stack.simGet<SimStats>('/_sim/stats');
    if (calls.every((call) => call.ended_at !== null) || Date.now() > deadline) return { calls, stats };
    await sleep(250);
  }
}

/**
 * The account's budget: the id callBudgetWorkflowId gives for the app id (and, while that argument is changing, for
 * the account name), plus any running callBudget workflow visibility lists. Waits a little for releases in flight.
 */
export async function budgetViews(stack: Pick<ChaosStack, 'client'>): Promise<BudgetView[]> {
  const ids = new Set([callBudgetWorkflowId(APP_ID), callBudgetWorkflowId(DEFAULT_ACCOUNT)]);
  try {
    for await (const execution of stack.client.workflow.list({
      query: "WorkflowType = 'callBudget' AND ExecutionStatus = 'Running'",
    })) {
      ids.add(execution.workflowId);
    }
  } catch {
    // Visibility is best effort; the ids above are asked anyway.
  }
  const views: BudgetView[] = [];
  for (const workflowId of ids) {
    const handle = stack.client.workflow.getHandle(workflowId);
    const exists = await handle.describe().then(
      (d) => d.status.name === 'RUNNING',
      () => false,
    );
    if (!exists) continue;
    const deadline = Date.now() + 15_000;
    let view: BudgetView = { workflowId };
    for (;;) {
      try {
        const state = await handle.query(budgetStateQuery);
        view = { workflowId, state };
        if ((state.held.length === 0 && state.waiting.length === 0) || Date.now() > deadline) break;
      } catch (error) {
        view = { workflowId, error: String(error) };
        if (Date.now() > deadline) break;
      }
      await sleep(500);
    }
    views.push(view);
  }
  return views;
}

async function describeStall(
  stack: ChaosStack,
  tracked: readonly Tracked[],
  escalations: readonly TrackedEscalation[],
  calls: readonly SimCall[],
  seconds: number,
): Promise<string> {
  const running = tracked.filter((t) => t.status === 'RUNNING');
  const parts: string[] = [];
  for (const t of running) {
    try {
      const status = await t.handle.query(statusQuery);
      parts.push(`${t.plan.workflowId}: ${JSON.stringify(status.counts)}, ${status.activeLegs} active legs`);
    } catch (error) {
      parts.push(`${t.plan.workflowId}: status query failed (${String(error).slice(0, 120)})`);
    }
    const failure = await lastTaskFailure(t.handle);
    if (failure) parts.push(`${t.plan.workflowId}: last workflow task failure: ${failure}`);
  }
  for (const e of escalations.filter((x) => x.status === 'RUNNING')) {
    try {
      const status = await e.handle.query(escalationStatusQuery);
      const tries = status.tries.filter((t) => t.endedAt === undefined).map((t) => `${t.number} ${t.state}`);
      parts.push(
        `${e.plan.workflowId}: ${status.phase}, round ${status.round} step ${status.step}, live tries [${tries.join(', ')}]`,
      );
    } catch (error) {
      parts.push(`${e.plan.workflowId}: status query failed (${String(error).slice(0, 120)})`);
    }
    const failure = await lastTaskFailure(e.handle);
    if (failure) parts.push(`${e.plan.workflowId}: last workflow task failure: ${failure}`);
  }
  const live = calls.filter((call) => call.ended_at === null).length;
  let budget = '';
  try {
    const state = await stack.client.workflow.getHandle(callBudgetWorkflowId(APP_ID)).query(budgetStateQuery);
    const holders = new Map<string, number>();
    for (const permit of state.held) holders.set(permit.holder, (holders.get(permit.holder) ?? 0) + 1);
    const byHolder = [...holders].map(([holder, count]) => `${holder}×${count}`).join(', ');
    budget = `; budget holds ${state.held.length}${byHolder ? ` (${byHolder})` : ''}, ${state.waiting.length} waiting`;
  } catch {
    budget = '';
  }
  return `no new leg and no session or escalation finished for ${seconds} s (${calls.length} legs, ${live} live${budget}): ${parts.join('; ')}`;
}

/** The message of the session's latest failed workflow task (a bug in workflow code stalls a session silently). */
async function lastTaskFailure(
  handle: WorkflowHandle<typeof conferenceSession> | WorkflowHandle<typeof escalation>,
): Promise<string | undefined> {
  try {
    const history = await handle.fetchHistory();
    const failed = [...(history.events ?? [])].reverse().find((event) => event.workflowTaskFailedEventAttributes);
    const failure = failed?.workflowTaskFailedEventAttributes?.failure;
    if (!failure) return undefined;
    const where = failure.stackTrace?.split('\n').find((line) => line.includes('src/')) ?? '';
    return `${failure.message ?? 'no message'}${where ? ` (${where.trim()})` : ''}`;
  } catch {
    return undefined;
  }
}
