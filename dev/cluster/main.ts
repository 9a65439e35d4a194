/**
 * `npm run verify:cluster`: bridgekeeper on a real Temporal cluster, not the dev server. A throwaway PostgreSQL, the
 * Temporal server built from go.temporal.io/server (the version docker-compose.yml pins) with its schemas set up by
 * the schema tool, the `default` namespace registered; then the production build's 2 workers and 2 receivers run
 * sessions on one account (8 lines) while the server is restarted mid-session, and every summary is checked against
 * the simulator's ledger with the chaos suite's checks. Prints a report, exits 0 on PASS, 1 on FAIL. See
 * docs/cluster.md.
 *
 *   npm run verify:cluster
 *   npm run verify:cluster -- --sessions 4 --participants 8 --keep-logs
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { conferenceSession } from '../../src/workflows';
import { APP_ID, LINES, type SimStats } from '../bench/ledger';
import { checkRun, type SessionOutcome } from '../chaos/checks';
import { PROJECT_ROOT, ProcessRegistry } from '../chaos/processes';
import { budgetViews, settledLedger, type Tracked } from '../chaos/run';
import { planSessions, REDIAL_RULES, simulatorScripts } from '../chaos/scenario';
import { countDialReplies } from '../chaos/stack';
import { simGet } from '../simulator/inspection-client';
import { resolveTemporalCli } from '../stack/temporal-cli';
import { Bridgekeeper } from './bridgekeeper';
import { startPostgres, type Postgres } from './postgres';
import { resolvePrerequisites, type Prerequisites } from './prerequisites';
import { sessionFigures, type SessionFigures } from './session-figures';
import { setupSchemas, TemporalServer } from './temporal-server';

const NAMESPACE = 'default';
const TASK_QUEUE = 'bridgekeeper-cluster';

const HELP = `Usage: npm run verify:cluster -- [options]
  --sessions <n>       concurrent sessions on the one account (default 3)
  --participants <n>   participants per session (default 6)
  --seed <n>           seeds the participants' scripts and the simulator (default 11)
  --time-scale <x>     simulated seconds per real second (default 20)
  --timeout <s>        give up on unfinished sessions after this many seconds (default 600)
  --build              build the Temporal server with Go when .tools/cluster/ lacks it
  --no-npm-build       use the dist/ there is instead of running npm run build first
  --keep-logs          keep the run directory (process logs, PostgreSQL data)
`;

function whole(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be a whole number >= ${min}, not ${text}`);
  return value;
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: 'string' },
      participants: { type: 'string' },
      seed: { type: 'string' },
      'time-scale': { type: 'string' },
      timeout: { type: 'string' },
      build: { type: 'boolean', default: false },
      'no-npm-build': { type: 'boolean', default: false },
      'keep-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help' as const;
  return {
    sessions: whole('sessions', values.sessions, 3, 1),
    participants: whole('participants', values.participants, 6, 1),
    seed: whole('seed', values.seed, 11, 0),
    timeScale: whole('time-scale', values['time-scale'], 20, 1),
    timeoutSeconds: whole('timeout', values.timeout, 600, 60),
    build: values.build,
    npmBuild: !values['no-npm-build'],
    keepLogs: values['keep-logs'],
  };
}

const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

/** Until `timeoutMs`: live legs on the account and a dial request the simulator has not answered yet. */
async function waitForLiveLegsAndDial(bk: Bridgekeeper, minLive: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let stats: SimStats | undefined;
  while (Date.now() < deadline) {
    stats = await simGet<SimStats>(bk.simulatorOrigin, '/_sim/stats').catch(() => undefined);
    const live = stats?.activeCalls[APP_ID] ?? 0;
    const pending = (stats?.requests['conference/call'] ?? 0) - countDialReplies(bk.simulatorLog());
    if (live >= minLive && pending > 0) return { live, pending, found: true };
    await sleep(10);
  }
  return { live: stats?.activeCalls[APP_ID] ?? 0, pending: 0, found: false };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(HELP);
    return 0;
  }
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, step: () => Promise<T> | T): Promise<T> => {
    const began = Date.now();
    const result = await step();
    timings[name] = Date.now() - began;
    return result;
  };
  // Nothing is started, and no directory made, until the prerequisites are there.
  let prereqs: Prerequisites;
  try {
    prereqs = await time('prerequisites', () => resolvePrerequisites({ build: options.build }, log));
    if (options.npmBuild) {
      await time('npm run build', () => {
        log('npm run build (the workers and receivers run dist/ with plain node)');
        const build = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
        if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
      });
    }
  } catch (error) {
    console.error(`verify:cluster: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }

  const registry = new ProcessRegistry();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bridgekeeper-cluster-'));
  let keep = options.keepLogs;
  const cleanUp = () => {
    registry.killAll();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`${signal}: stopping every process this run started, removing ${dir}`);
    keep = false;
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', cleanUp);

  let connection: Connection | undefined;
  let bk: Bridgekeeper | undefined;
  let server: TemporalServer | undefined;
  let pg: Postgres | undefined;
  try {
    log(`run directory ${dir}`);
    pg = await time('postgres', () => startPostgres({ pgBin: prereqs.pgBin, dir, registry, log }));
    const db = pg;
    await time('schemas', () => setupSchemas(prereqs.sqlTool, db, log));
    const cli = await resolveTemporalCli(log);
    server = new TemporalServer({
      binary: prereqs.serverBinary,
      cli,
      dir,
      postgres: db,
      namespace: NAMESPACE,
      registry,
      log,
    });
    await time('server start', () => server!.start());
    await time('namespace', () => server!.registerNamespace());
    const versions = { postgres: db.version, server: server.version(), cli: server.cliVersion().split('\n')[0] };
    log(`Temporal server up on ${server.address} (${versions.server}); namespace ${NAMESPACE} registered`);

    const runId = `${Date.now().toString(36)}${options.seed}`;
    const plans = planSessions({ ...options, talk: { min: 120, max: 360 }, runId }).map((plan) => ({
      ...plan,
      workflowId: plan.workflowId.replace(/^chaos-/, 'cluster-'),
      room: plan.room.replace(/^chaos_/, 'cluster_'),
    }));
    bk = new Bridgekeeper({
      dir,
      registry,
      temporalAddress: server.address,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      workers: 2,
      receivers: 2,
      seed: options.seed,
      timeScale: options.timeScale,
      simulatorConfig: {
        timing: { ringSeconds: { min: 2, max: 8 }, noAnswerSeconds: 30, busySeconds: 3, failedSeconds: 2 },
        scripts: simulatorScripts(plans),
        // Half the dials answer 1.5 s late, so the server restart can land while a dial is in flight (no other fault).
        faults: { api: { 'conference/call': { slowRate: 0.5, slowMs: 1_500 } } },
      },
    });
    await time('bridgekeeper start', () => bk!.start());
    log(`simulator ${bk.simulatorOrigin}, 2 workers (dist/worker.js), 2 receivers (dist/receiver.js)`);

    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: NAMESPACE });
    const sessionsBegan = Date.now();
    const tracked: Tracked[] = [];
    for (const plan of plans) {
      const handle = await client.workflow.start<typeof conferenceSession>('conferenceSession', {
        taskQueue: TASK_QUEUE,
        workflowId: plan.workflowId,
        args: [
          {
            participants: plan.participants.map(({ number, name }) => ({ number, name })),
            room: plan.room,
            tag: 'cluster',
            redial: REDIAL_RULES,
            notificationGraceSeconds: 5,
            deadlineSeconds: options.timeoutSeconds,
          },
        ],
      });
      tracked.push({ plan, handle, status: 'RUNNING' });
    }
    log(`started ${plans.length} sessions × ${options.participants} participants on ${APP_ID} (${LINES} lines)`);

    const moment = await waitForLiveLegsAndDial(bk, 3, 60_000);
    log(
      `restarting the Temporal server: ${moment.live} legs live, ${moment.pending} dial(s) in flight` +
        (moment.found ? '' : ' (no dial caught in flight within 60 s)'),
    );
    const runningAtRestart = (
      await Promise.all(tracked.map((t) => t.handle.describe().then((d) => d.status.name)))
    ).filter((status) => status === 'RUNNING').length;
    const restart = await server.restart(1_000);
    log(`server back after ${restart.downMs} ms (stop took ${restart.stopMs} ms${restart.forced ? ', SIGKILL' : ''})`);

    const deadline = sessionsBegan + options.timeoutSeconds * 1000;
    while (tracked.some((t) => t.status === 'RUNNING') && Date.now() < deadline) {
      for (const t of tracked.filter((x) => x.status === 'RUNNING')) {
        try {
          const description = await t.handle.describe();
          if (description.status.name === 'RUNNING') continue;
          t.status = description.status.name;
          if (t.status === 'COMPLETED') t.summary = await t.handle.result();
          else await t.handle.result().catch((error: unknown) => (t.failure = String(error)));
          log(`${t.plan.workflowId} ${t.status}${t.summary ? ` (${t.summary.endedBy})` : ''}`);
        } catch {
          // Asked again next round.
        }
      }
      await sleep(1_000);
    }
    timings['sessions'] = Date.now() - sessionsBegan;
    for (const t of tracked.filter((x) => x.status === 'RUNNING')) {
      t.failure = `still running after ${options.timeoutSeconds} s`;
      await t.handle.terminate('verify:cluster timeout').catch(() => undefined);
    }

    const { calls, stats } = await settledLedger({ simGet: (route) => simGet(bk!.simulatorOrigin, route) }, 15_000);
    const budgets = await budgetViews({ client });
    const sessions: SessionOutcome[] = tracked.map(({ plan, status, summary, failure }) => ({
      plan,
      status,
      summary,
      failure,
    }));
    const verdict = checkRun({ sessions, calls, stats, budgets });
    const exited = bk.exited();
    const figures: SessionFigures[] = sessions.map((s) => sessionFigures(s, calls));
    const perReceiver = bk.notificationsPerReceiver();
    const problems = [
      ...verdict.violations.map((v) => `${v.invariant}${v.session ? ` ${v.session}` : ''}: ${v.detail}`),
      ...exited.map((e) => `process exited during the run: ${e}`),
      ...(moment.found ? [] : ['the server restart caught no dial in flight']),
      ...(runningAtRestart === tracked.length
        ? []
        : [`only ${runningAtRestart} of ${tracked.length} sessions were running when the server restarted`]),
      ...Object.entries(perReceiver)
        .filter(([, n]) => n === 0)
        .map(([name]) => `${name} accepted no notification`),
    ];

    console.log('\n== verify:cluster report ==');
    console.log(`PostgreSQL         ${versions.postgres}`);
    console.log(`Temporal server    ${versions.server} (go.temporal.io/server, postgres12 persistence)`);
    console.log(`Temporal CLI       ${versions.cli}`);
    console.log(`processes          2 workers (node dist/worker.js), 2 receivers (node dist/receiver.js), simulator`);
    console.log(
      `timings (ms)       ${Object.entries(timings)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.log(
      `server restart     ${runningAtRestart}/${tracked.length} sessions running, ${moment.live} legs live, ` +
        `${moment.pending} dial(s) in flight; ` +
        `down ${restart.downMs} ms`,
    );
    console.log(
      `notifications      ${Object.entries(perReceiver)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    console.log(
      `ledger             ${verdict.counts.legs} legs, doubles ${verdict.counts.doubles}, orphans ` +
        `${verdict.counts.orphans}, peak ${Math.max(verdict.counts.peakConcurrent, verdict.counts.peakConcurrentLedger)}` +
        ` of ${LINES} lines, concurrent-limit rejections ${verdict.counts.concurrentRejections}`,
    );
    for (const f of figures) {
      console.log(
        `  ${f.workflowId}: ${f.status}${f.endedBy ? `/${f.endedBy}` : ''}, ${f.participants} participants, ` +
          `${f.legs} legs (${f.answered} answered), ${f.minutes} min, cost ${f.cost}, ` +
          `summary = ledger: ${f.matchesLedger ? 'yes' : 'NO'}`,
      );
    }
    for (const problem of problems) console.log(`  FAIL ${problem}`);
    const pass = problems.length === 0;
    console.log(pass ? 'PASS' : 'FAIL');
    if (!pass) {
      keep = true;
      console.log(`logs kept in ${dir}`);
    }
    return pass ? 0 : 1;
  } catch (error) {
    console.error(`verify:cluster stopped: ${error instanceof Error ? error.message : String(error)}`);
    for (const name of registry.alive()) console.error(`  running: ${name}`);
    keep = true;
    console.error(`logs kept in ${dir}`);
    return 1;
  } finally {
    await bk?.stop().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await pg?.process.stop('SIGTERM', 10_000).catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
