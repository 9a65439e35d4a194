/**
 * `npm run bench`: bridgekeeper against the physical limit (docs/benchmarks.md).
 *
 * An account may hold 8 calls at once, so no orchestration can finish a set of legs sooner than
 * max(longest leg, Σ leg time / 8). The benchmark starts the whole stack on 127.0.0.1 (a throwaway Temporal dev
 * server, the Hoiio simulator, the notification receiver and a worker, all from `dev/stack/local-stack.ts`), makes
 * every leg answer, and measures:
 *   A  one session of 20 participants;
 *   B  three concurrent sessions of 20 (60 legs through the same 8 lines);
 *   C  a naive script without Temporal: batches of 8 to conference/call, retried 1 s after each concurrent-limit
 *      rejection.
 * It prints a table, writes the same as markdown to dev/bench/results.md (or --out), and exits non-zero when a run fails
 * or breaks a limit (peak concurrent calls over 8, a concurrent-limit rejection for a Temporal session, a leg that
 * did not answer).
 *
 *   npm run bench                          # time scales 600 (as the tests) and 60, seed 7
 *   npm run bench -- --time-scale 120 --seed 3 --out /tmp/results.md
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import type { SessionSummary } from '../../src/domain/session-types';
import { DEMO_ACCOUNT } from '../simulator';
import { startLocalStack, type LocalStack } from '../stack/local-stack';
import { conferenceSession } from '../../src/workflows';
import { callBudgetWorkflowId } from '../../src/workflows/messages';
import { historyFigures } from './history';
import {
  APP_ID,
  LINES,
  ledgerFigures,
  peakFromLedger,
  refillFigures,
  type LedgerFigures,
  type RefillFigures,
  type SimCall,
  type SimStats,
} from './ledger';
import { MemorySampler, mib } from './memory';
import { runNaiveScript, NAIVE_RETRY_MS } from './naive';

const PARTICIPANTS = 20;
const CONCURRENT_SESSIONS = 3;
/** One scenario may take this long (real time) before the benchmark gives up on it. */
const SCENARIO_TIMEOUT_MS = 180_000;
/** The whole run, stack start and stop included. */
const BENCH_TIMEOUT_MS = 15 * 60_000;

interface Options {
  timeScales: number[];
  /** The time scale of the scenario being run. */
  timeScale: number;
  seed: number;
  out: string;
  warmup: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      'time-scale': { type: 'string', default: '600,60' },
      seed: { type: 'string', default: '7' },
      out: { type: 'string', default: path.join(__dirname, 'results.md') },
      'no-warmup': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const timeScales = values['time-scale'].split(',').map((text) => Number(text.trim()));
  const seed = Number(values.seed);
  if (timeScales.length === 0 || !timeScales.every((scale) => scale > 0 && scale <= 100_000)) {
    throw new Error('--time-scale must be a number in (0, 100000], or several separated by commas');
  }
  if (!Number.isInteger(seed)) throw new Error('--seed must be a whole number');
  return { timeScales, timeScale: timeScales[0] ?? 600, seed, out: values.out, warmup: !values['no-warmup'] };
}

interface ScenarioResult {
  key: string;
  title: string;
  timeScale: number;
  sessions: number;
  participants: number;
  /** Start of the run → its end (Temporal: workflow start → last result; naive: script start → last hang-up). */
  wallMs: number;
  /** Start of the run → first leg dialed, and last hang-up → end of the run, real milliseconds. */
  beforeFirstDialMs: number;
  afterLastEndMs: number;
  ledger: LedgerFigures;
  refill: RefillFigures;
  conferenceCallRequests: number;
  otherApiRequests: number;
  concurrentRejections: number;
  peakConcurrent: number;
  peakConcurrentLedger: number;
  notificationsDelivered: number;
  /** Temporal only. */
  history?: { sessionEvents: number; sessionRuns: number; budgetEvents: number };
  peakRss: number;
  failures: string[];
}

/** Back to a clean simulator that answers every leg, with the same seed for every scenario. */
async function prepareSimulator(stack: LocalStack, options: Options): Promise<void> {
  await stack.simPost('/_sim/config', {
    seed: options.seed,
    timeScale: options.timeScale,
    outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    replaceScripts: true,
    scripts: {},
    faults: {
      api: { '*': null, 'conference/call': null },
      notifications: { dropRate: 0, duplicateRate: 0, delayRate: 0, reorderRate: 0 },
    },
  });
  // After the config, so the random streams restart from the seed.
  await stack.simPost('/_sim/reset', {});
}

/** n distinct Singapore numbers from a base, e.g. +6580000001. */
function numbers(n: number, base: number): string[] {
  return Array.from({ length: n }, (_, i) => `+65${base + i + 1}`);
}

async function withTimeout<T>(what: string, work: Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(ms, undefined, { signal: controller.signal }).then(() => {
        throw new Error(`${what} took longer than ${ms / 1000} s`);
      }),
    ]);
  } finally {
    controller.abort();
  }
}

/** The ledger once every leg has ended (the naive script has no notifications to wait for). */
async function settledLedger(stack: LocalStack, expectedLegs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { calls } = await stack.simGet<{ calls: SimCall[] }>(`/_sim/calls?app_id=${APP_ID}`);
    if (calls.length >= expectedLegs && calls.every((call) => call.ended_at !== null)) {
      const stats = await stack.simGet<SimStats>('/_sim/stats');
      return { calls, stats };
    }
    if (Date.now() > deadline) {
      const open = calls.filter((call) => call.ended_at === null).length;
      throw new Error(`after ${timeoutMs / 1000} s: ${calls.length}/${expectedLegs} legs dialed, ${open} not ended`);
    }
    await sleep(10);
  }
}

function simFigures(
  calls: SimCall[],
  stats: SimStats,
): Pick<
  ScenarioResult,
  | 'ledger'
  | 'refill'
  | 'conferenceCallRequests'
  | 'otherApiRequests'
  | 'concurrentRejections'
  | 'peakConcurrent'
  | 'peakConcurrentLedger'
  | 'notificationsDelivered'
> {
  const conferenceCallRequests = (stats.requests['conference/call'] ?? 0) + (stats.requests['voice/conference'] ?? 0);
  const allRequests = Object.values(stats.requests).reduce((total, n) => total + n, 0);
  return {
    ledger: ledgerFigures(calls),
    refill: refillFigures(calls),
    conferenceCallRequests,
    otherApiRequests: allRequests - conferenceCallRequests,
    concurrentRejections: stats.rejections.error_concurrent_call_limit_reached ?? 0,
    peakConcurrent: stats.peakConcurrentCalls[APP_ID] ?? 0,
    peakConcurrentLedger: peakFromLedger(calls),
    notificationsDelivered: stats.notifications.delivered,
  };
}

function commonChecks(result: Omit<ScenarioResult, 'failures'>, expectedLegs: number): string[] {
  const failures: string[] = [];
  if (result.peakConcurrent > LINES) failures.push(`peak concurrent calls ${result.peakConcurrent} > ${LINES}`);
  if (result.ledger.legs !== expectedLegs) failures.push(`${result.ledger.legs} legs dialed, expected ${expectedLegs}`);
  if (result.ledger.answered !== expectedLegs) failures.push(`${result.ledger.answered}/${expectedLegs} legs answered`);
  // A makespan below the physical limit means the measurement is wrong, not that the code is fast.
  if (result.ledger.spanMs < result.ledger.lowerBoundMs - 1) failures.push('ledger makespan below the lower bound');
  return failures;
}

async function runTemporalScenario(
  stack: LocalStack,
  options: Options,
  memory: MemorySampler,
  spec: { key: string; title: string; sessions: number },
): Promise<ScenarioResult> {
  await prepareSimulator(stack, options);
  const client = stack.env.client;
  const budgetId = callBudgetWorkflowId(DEMO_ACCOUNT.appId);
  const budgetBefore = await historyFigures(client, budgetId);
  const stamp = `${Date.now().toString(36)}-${process.pid}`;
  const inputs = Array.from({ length: spec.sessions }, (_, s) => ({
    workflowId: `bench-${spec.key}-${stamp}-${s + 1}`,
    participants: numbers(PARTICIPANTS, 80_000_000 + s * 1_000_000).map((number, i) => ({
      number,
      name: `S${s + 1}P${i + 1}`,
    })),
  }));

  const startedAtMs = Date.now();
  const started = performance.now();
  const handles = await Promise.all(
    inputs.map(({ workflowId, participants }) =>
      client.workflow.start(conferenceSession, { taskQueue: stack.taskQueue, workflowId, args: [{ participants }] }),
    ),
  );
  let summaries: SessionSummary[];
  try {
    summaries = await withTimeout(
      `scenario ${spec.key}`,
      Promise.all(handles.map((handle) => handle.result())),
      SCENARIO_TIMEOUT_MS,
    );
  } catch (error) {
    await Promise.allSettled(handles.map((handle) => handle.terminate('benchmark gave up')));
    throw error;
  }
  const wallMs = performance.now() - started;
  const endedAtMs = startedAtMs + wallMs;

  const { calls, stats } = await settledLedger(stack, spec.sessions * PARTICIPANTS, 10_000);
  let sessionEvents = 0;
  let sessionRuns = 0;
  for (const { workflowId } of inputs) {
    const figures = await historyFigures(client, workflowId);
    sessionEvents += figures.events;
    sessionRuns += figures.runs;
  }
  const budgetAfter = await historyFigures(client, budgetId);
  memory.sample();

  const sim = simFigures(calls, stats);
  const result: Omit<ScenarioResult, 'failures'> = {
    key: spec.key,
    title: spec.title,
    timeScale: options.timeScale,
    sessions: spec.sessions,
    participants: spec.sessions * PARTICIPANTS,
    wallMs,
    beforeFirstDialMs: sim.ledger.firstDialMs - startedAtMs,
    afterLastEndMs: endedAtMs - sim.ledger.lastEndMs,
    ...sim,
    history: { sessionEvents, sessionRuns, budgetEvents: budgetAfter.events - budgetBefore.events },
    peakRss: memory.peakRss,
  };
  const failures = commonChecks(result, spec.sessions * PARTICIPANTS);
  if (result.concurrentRejections > 0) {
    failures.push(`${result.concurrentRejections} error_concurrent_call_limit_reached rejections`);
  }
  for (const summary of summaries) {
    if (summary.endedBy !== 'completed') failures.push(`session ${summary.room} ended by ${summary.endedBy}`);
  }
  return { ...result, failures };
}

async function runNaiveScenario(stack: LocalStack, options: Options, memory: MemorySampler): Promise<ScenarioResult> {
  await prepareSimulator(stack, options);
  const naive = await withTimeout(
    'the naive script',
    runNaiveScript(stack.hoiio.default, numbers(PARTICIPANTS, 80_000_000)),
    SCENARIO_TIMEOUT_MS,
  );
  const { calls, stats } = await settledLedger(stack, PARTICIPANTS, SCENARIO_TIMEOUT_MS);
  memory.sample();
  const sim = simFigures(calls, stats);
  // The script is done when its last leg has hung up: that is the moment it could report.
  const wallMs = sim.ledger.lastEndMs - naive.startedAtMs;
  const result: Omit<ScenarioResult, 'failures'> = {
    key: 'C',
    title: 'C: naive script, 1 × 20',
    timeScale: options.timeScale,
    sessions: 1,
    participants: PARTICIPANTS,
    wallMs,
    beforeFirstDialMs: sim.ledger.firstDialMs - naive.startedAtMs,
    afterLastEndMs: 0,
    ...sim,
    peakRss: memory.peakRss,
  };
  const failures = commonChecks(result, PARTICIPANTS);
  if (naive.requests !== result.conferenceCallRequests) {
    failures.push(`the script counted ${naive.requests} requests, the simulator ${result.conferenceCallRequests}`);
  }
  if (naive.rejected !== result.concurrentRejections) {
    failures.push(`the script counted ${naive.rejected} rejections, the simulator ${result.concurrentRejections}`);
  }
  return { ...result, failures };
}

/** A small session first, so that the worker's first workflow and the budget workflow's start are not measured. */
async function warmUp(stack: LocalStack, options: Options): Promise<void> {
  await prepareSimulator(stack, options);
  await withTimeout(
    'the warm-up session',
    stack.env.client.workflow.execute(conferenceSession, {
      taskQueue: stack.taskQueue,
      workflowId: `bench-warmup-${Date.now().toString(36)}-${process.pid}`,
      args: [{ participants: numbers(4, 89_000_000) }],
    }),
    SCENARIO_TIMEOUT_MS,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------------

interface Row {
  label: string;
  cells: string[];
}

function buildRows(results: ScenarioResult[]): Row[] {
  const sim = (r: ScenarioResult, realMs: number): string => `${((realMs * r.timeScale) / 1000).toFixed(0)} s`;
  const real = (realMs: number): string => `${realMs.toFixed(0)} ms`;
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  const na = '–';
  const row = (label: string, cell: (r: ScenarioResult) => string): Row => ({ label, cells: results.map(cell) });
  return [
    row('sessions × participants (legs)', (r) => `${r.sessions} × ${PARTICIPANTS} (${r.ledger.legs})`),
    row('makespan, wall: start → result (real)', (r) => real(r.wallMs)),
    row('makespan, wall (simulated)', (r) => sim(r, r.wallMs)),
    row('makespan, ledger: first dial → last hang-up (sim)', (r) => sim(r, r.ledger.spanMs)),
    row('Σ leg time, dial → hang-up (sim)', (r) => sim(r, r.ledger.lineTimeMs)),
    row('longest leg (sim)', (r) => sim(r, r.ledger.longestLegMs)),
    row(`lower bound = max(longest, Σ / ${LINES}) (sim)`, (r) => sim(r, r.ledger.lowerBoundMs)),
    row('ratio wall makespan / lower bound', (r) => ratio(r.wallMs, r.ledger.lowerBoundMs)),
    row('ratio ledger makespan / lower bound', (r) => ratio(r.ledger.spanMs, r.ledger.lowerBoundMs)),
    row(
      `line utilisation: Σ / (${LINES} × ledger makespan)`,
      (r) => `${((100 * r.ledger.lineTimeMs) / (LINES * r.ledger.spanMs)).toFixed(0)} %`,
    ),
    row('start → first dial (real)', (r) => real(r.beforeFirstDialMs)),
    row('last hang-up → result (real)', (r) => (r.history ? real(r.afterLastEndMs) : na)),
    row('freed line idle until next dial: mean / max (real)', (r) =>
      r.refill.refills === 0 ? na : `${real(r.refill.meanGapMs)} / ${real(r.refill.maxGapMs)}`,
    ),
    row('conference/call requests', (r) => String(r.conferenceCallRequests)),
    row('  rejected: error_concurrent_call_limit_reached', (r) => String(r.concurrentRejections)),
    row('other Hoiio API requests (status, history, hangup…)', (r) => String(r.otherApiRequests)),
    row('notifications delivered', (r) => String(r.notificationsDelivered)),
    row(`peak concurrent calls (/_sim/stats; limit ${LINES})`, (r) => String(r.peakConcurrent)),
    row('peak concurrent calls (from ledger timestamps)', (r) => String(r.peakConcurrentLedger)),
    row('session history events, all runs (runs)', (r) =>
      r.history ? `${r.history.sessionEvents} (${r.history.sessionRuns})` : na,
    ),
    row('session history events per participant', (r) =>
      r.history ? (r.history.sessionEvents / r.participants).toFixed(1) : na,
    ),
    row('call-budget history events added (per participant)', (r) =>
      r.history ? `${r.history.budgetEvents} (${(r.history.budgetEvents / r.participants).toFixed(1)})` : na,
    ),
    row('bench process RSS peak so far', (r) => mib(r.peakRss)),
    row('checks', (r) => (r.failures.length === 0 ? 'pass' : `FAIL: ${r.failures.join('; ')}`)),
  ];
}

interface Facts {
  date: string;
  nproc: string;
  cpu: string;
  memory: string;
  node: string;
  seed: number;
  timing: string;
  peakRss: number;
  peakHeap: number;
  totalMs: number;
  warmup: boolean;
}

function nproc(): string {
  try {
    return execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    return String(os.availableParallelism());
  }
}

function byTimeScale(results: ScenarioResult[]): Array<[number, ScenarioResult[]]> {
  const groups = new Map<number, ScenarioResult[]>();
  for (const result of results) groups.set(result.timeScale, [...(groups.get(result.timeScale) ?? []), result]);
  return [...groups];
}

function markdown(results: ScenarioResult[], facts: Facts): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  const scales = byTimeScale(results);
  const lines = [
    '# Benchmark: conference sessions against the physical limit',
    '',
    'Written by `npm run bench` (`dev/bench/sessions.ts`); rerun it to refresh this file.',
    '',
    `- Date: ${facts.date}`,
    `- Machine: \`nproc\` ${facts.nproc}, ${facts.cpu}, ${facts.memory} RAM; Node ${facts.node}`,
    `- Simulator: time scale ${scales.map(([scale]) => scale).join(' and ')}, seed ${facts.seed}, every leg ` +
      `answered; timing (simulated seconds) \`${facts.timing}\``,
    `- Account limit: ${LINES} concurrent calls; a warm-up session (4 participants) before the first scenario: ` +
      (facts.warmup ? 'yes' : 'no'),
    `- Bench process (worker, simulator, receiver, clients; the Temporal dev server is a separate process, not ` +
      `counted): RSS peak ${mib(facts.peakRss)}, heap used peak ${mib(facts.peakHeap)}; whole run ` +
      `${(facts.totalMs / 1000).toFixed(1)} s`,
    '',
  ];
  for (const [scale, group] of scales) {
    lines.push(
      `## Time scale ${scale} (a simulated second lasts ${(1000 / scale).toFixed(2)} real ms)`,
      '',
      `| Figure | ${group.map((r) => escape(r.title)).join(' | ')} |`,
      `| --- | ${group.map(() => '---:').join(' | ')} |`,
      ...buildRows(group).map((row) => `| ${escape(row.label)} | ${row.cells.map(escape).join(' | ')} |`),
      '',
    );
  }
  lines.push(
    '## How to read it',
    '',
    `- **Lower bound**: no schedule can finish sooner than the longest leg, nor sooner than the total line time ` +
      `spread over ${LINES} lines. Both come from the simulator's ledger (\`/_sim/calls\`: \`ended_at − dialed_at\` ` +
      'per leg, which includes ringing and the dial gap between the numbers of one request). It ignores that legs ' +
      'cannot be split, so even a perfect scheduler stays somewhat above it.',
    '- **Ledger makespan** (first dial → last hang-up) measures how the lines were used; **wall makespan** (workflow ' +
      'start → result) adds starting the workflows, the first permits and reporting the summary. Simulated figures ' +
      'are real milliseconds × time scale, so a fixed reaction time in real milliseconds (notification → signal → ' +
      'permit back → next request) weighs ten times more simulated seconds at scale 600 than at 60: the higher the ' +
      'time scale, the more pessimistic the ratios are for real calls (time scale 1).',
    '- **Freed line idle until next dial** replays the ledger on 8 lines: each dial takes the line free the longest, ' +
      'and the idle time counted is from the hang-up that freed it to the dial that reused it.',
    `- **C** is a plain script without Temporal or a budget: batches of ${LINES} sent at once (the first opens the ` +
      `room), each retried ${NAIVE_RETRY_MS / 1000} s after an \`error_concurrent_call_limit_reached\`. Its ` +
      'makespan ends at its last hang-up (it learns of it for free from the ledger); it keeps no state, so a crash ' +
      'loses the session, and a batch of 8 waits for all 8 lines to be free.',
    '- **History events** count every event of every run of each session workflow (continue-as-new included); the ' +
      'call-budget workflow is shared by all sessions of the account, so its events are shown apart.',
    '',
  );
  return lines.join('\n');
}

/** The project's prettier style, so that `npm run format:check` stays clean after a run. */
async function prettyMarkdown(text: string, file: string): Promise<string> {
  const prettier = await import('prettier');
  const config = await prettier.resolveConfig(file);
  return await prettier.format(text, { ...config, parser: 'markdown' });
}

function printTables(results: ScenarioResult[], facts: Facts): void {
  console.log(`\nbridgekeeper benchmark: ${facts.date}, nproc ${facts.nproc}, Node ${facts.node}, seed ${facts.seed}`);
  for (const [scale, group] of byTimeScale(results)) {
    const table = new Table({
      head: [`Time scale ${scale}`, ...group.map((r) => r.title)],
      style: { head: [], border: [] },
      colAligns: ['left', ...group.map(() => 'right' as const)],
      wordWrap: true,
      colWidths: [54, ...group.map(() => 24)],
    });
    for (const row of buildRows(group)) table.push([row.label, ...row.cells]);
    console.log(table.toString());
  }
  console.log(
    `bench process RSS peak ${mib(facts.peakRss)}, heap used peak ${mib(facts.peakHeap)}, ` +
      `whole run ${(facts.totalMs / 1000).toFixed(1)} s`,
  );
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions();
  const memory = new MemorySampler();
  const began = performance.now();
  const log = (line: string): void => console.error(`[bench] ${line}`);

  log(`starting the stack on 127.0.0.1 (time scales ${options.timeScales.join(', ')}, seed ${options.seed})`);
  const stack = await startLocalStack({ simulator: { seed: options.seed, timeScale: options.timeScale } });
  const results: ScenarioResult[] = [];
  let timing = '';
  try {
    const config = await stack.simGet<{ timing?: Record<string, unknown> }>('/_sim/config');
    timing = JSON.stringify(config.timing ?? {});
    if (options.warmup) {
      log('warm-up session (4 participants, not measured)');
      await warmUp(stack, options);
    }
    for (const timeScale of options.timeScales) {
      const scaled = { ...options, timeScale };
      log(`time scale ${timeScale}, A: one session of ${PARTICIPANTS}`);
      results.push(
        await runTemporalScenario(stack, scaled, memory, { key: 'A', title: 'A: Temporal, 1 × 20', sessions: 1 }),
      );
      log(`time scale ${timeScale}, B: ${CONCURRENT_SESSIONS} concurrent sessions of ${PARTICIPANTS}`);
      results.push(
        await runTemporalScenario(stack, scaled, memory, {
          key: 'B',
          title: `B: Temporal, ${CONCURRENT_SESSIONS} × 20 at once`,
          sessions: CONCURRENT_SESSIONS,
        }),
      );
      log(`time scale ${timeScale}, C: naive script`);
      results.push(await runNaiveScenario(stack, scaled, memory));
    }
  } finally {
    log('stopping the stack');
    await stack.stop();
  }
  memory.stop();

  const facts: Facts = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: nproc(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    seed: options.seed,
    timing,
    peakRss: memory.peakRss,
    peakHeap: memory.peakHeapUsed,
    totalMs: performance.now() - began,
    warmup: options.warmup,
  };
  printTables(results, facts);
  writeFileSync(options.out, await prettyMarkdown(markdown(results, facts), options.out));
  log(`wrote ${path.relative(process.cwd(), options.out) || options.out}`);

  const failed = results.filter((r) => r.failures.length > 0);
  for (const r of failed) console.error(`FAILED ${r.title} (time scale ${r.timeScale}): ${r.failures.join('; ')}`);
  return failed.length === 0 ? 0 : 1;
}

const watchdog = setTimeout(() => {
  console.error(`[bench] gave up after ${BENCH_TIMEOUT_MS / 60_000} minutes`);
  process.exit(3);
}, BENCH_TIMEOUT_MS);

main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exit(code);
  },
  (error: unknown) => {
    clearTimeout(watchdog);
    console.error('[bench] failed:', error);
    process.exit(1);
  },
);
