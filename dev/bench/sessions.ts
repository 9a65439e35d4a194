/**
 * `npm run bench`: bridgekeeper against the physical limit and an in-memory reference (docs/benchmarks.md).
 *
 * An account may hold 8 calls at once, so no orchestration can finish a set of legs sooner than
 * max(longest leg, Σ leg time / 8). The benchmark starts the whole stack on 127.0.0.1 (a throwaway Temporal dev
 * server, the Hoiio simulator, the notification receiver and a worker, all from `dev/stack/local-stack.ts`), makes
 * every leg answer, and runs these scenarios against the performance targets:
 *   ten       10 sessions × 20 participants on one account, beside the greedy in-memory dialer (greedy.ts) on the
 *             same numbers, and where a freed line's idle time goes (steps.ts);
 *   scale     1,000 sessions × 5 participants open at once on one account and one worker;
 *   accounts  50 accounts × 10 sessions × 5 participants at once.
 * It prints each target beside the measured figure, writes the same as markdown to dev/bench/results.md (or --out),
 * and exits non-zero when a run breaks an invariant (over 8 calls on an account, a concurrent-limit rejection, a
 * summary that differs from the ledger, a session that did not complete). A missed speed target is reported, not fatal.
 *
 *   npm run bench                                    # ten, at time scale 120
 *   npm run bench -- --scenario ten,scale,accounts   # or all; scale and accounts run at --scale-time-scale
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import type { SessionSummary } from '../../src/domain/session-types';
import { formatMoney, parseMoney, sumMoney } from '../../src/domain/money';
import { DEMO_ACCOUNT } from '../simulator';
import { startLocalStack, type LocalStack } from '../stack/local-stack';
import { conferenceSession } from '../../src/workflows';
import { callBudgetWorkflowId } from '../../src/workflows/messages';
import { runGreedyDialer } from './greedy';
import { addCounts, countByType, historyFigures } from './history';
import {
  LINES,
  byAccount,
  ledgerFigures,
  peakFromLedger,
  refillFigures,
  type LedgerFigures,
  type RefillFigures,
  type SimCall,
  type SimStats,
} from './ledger';
import { MemorySampler, mib } from './memory';
import { addHistorySteps, stepRows, type StepRow, type StepSamples } from './steps';
import { startWorkerProcess, WORKFLOW_BUNDLE_PATH, type WorkerProcess } from './worker-process';
import { measureWorkflowCost, type WorkflowCost } from './workflow-cost';

const SCENARIOS = ['ten', 'scale', 'accounts'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
const EXTRA_ACCOUNTS = 50;
/** One scenario may take this long (real time) before the benchmark gives up on it. */
const SCENARIO_TIMEOUT_MS = 20 * 60_000;

/** The performance targets (docs/benchmarks.md). */
const TARGET = {
  refillP50Ms: 50,
  refillP99Ms: 250,
  vsReference: 1.03,
  sessionEvents: 10,
  budgetEvents: 3,
  rssMiB: 500,
};

interface Options {
  scenarios: ScenarioName[];
  timeScale: number;
  scaleTimeScale: number;
  seed: number;
  out: string;
  warmup: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'ten' },
      'time-scale': { type: 'string', default: '120' },
      'scale-time-scale': { type: 'string', default: '6000' },
      seed: { type: 'string', default: '7' },
      out: { type: 'string', default: path.join(__dirname, 'results.md') },
      'no-warmup': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const names = values.scenario === 'all' ? [...SCENARIOS] : values.scenario.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`--scenario ${values.scenario}: must be all, or some of ${SCENARIOS.join(', ')} joined by commas`);
  }
  const scale = (flag: string, text: string): number => {
    const value = Number(text);
    if (!(value > 0 && value <= 100_000)) throw new Error(`--${flag} ${text}: must be a number in (0, 100000]`);
    return value;
  };
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed ${values.seed}: must be a whole number`);
  return {
    scenarios: names as ScenarioName[],
    timeScale: scale('time-scale', values['time-scale']),
    scaleTimeScale: scale('scale-time-scale', values['scale-time-scale']),
    seed,
    out: values.out,
    warmup: !values['no-warmup'],
  };
}

/** The extra accounts of the `accounts` scenario: simulator applications and the worker's HOIIO_ACCOUNTS for them. */
const extraAccounts = Array.from({ length: EXTRA_ACCOUNTS }, (_, i) => ({
  name: `bench${i + 1}`,
  appId: `bench-app-${i + 1}`,
  accessToken: `bench-token-${i + 1}`,
}));

/** The scale scenario's account: a budget of its own, started by (and running on) the scenario's own worker. */
const scaleAccount = { name: 'benchscale', appId: 'bench-scale-app', accessToken: 'bench-scale-token' };
const benchAccounts = [...extraAccounts, scaleAccount];
/** The scale scenario's worker keeps this many workflows cached (BRIDGEKEEPER_MAX_CACHED_WORKFLOWS). */
const SCALE_WORKER_CACHE = 250;
/**
 * The scale scenario's worker is bounded as docs/deploying.md ("Bounding a worker's memory") says: a V8 heap cap, so
 * the garbage of a thousand sessions' tasks is collected instead of kept (831 MiB resident without it), and two
 * malloc arenas for the process's many threads.
 */
const SCALE_WORKER_MEMORY = { NODE_OPTIONS: '--max-old-space-size=256', MALLOC_ARENA_MAX: '2' };

interface RunFigures {
  title: string;
  timeScale: number;
  sessions: number;
  legs: number;
  /** Start of the run → its end (Temporal: workflow start → last result; reference: start → last hang-up). */
  wallMs: number;
  beforeFirstDialMs: number;
  /** Over every account's legs; the refill figures and peaks account by account. */
  ledger: LedgerFigures;
  refill: RefillFigures;
  /** The highest of the accounts' peaks (the simulator's own counter, and replayed from the ledger). */
  peak: number;
  peakLedger: number;
  accounts: number;
  concurrentRejections: number;
  conferenceCallRequests: number;
  /** Requests to the pre-flight's endpoints, and requests of any endpoint the simulator refused for a rate limit. */
  preflightReads: { requests: number; rateLimited: number };
  history?: {
    sessionEvents: number;
    budgetEvents: number;
    /** Events by type, over every session's runs and the budget's events of this scenario. */
    sessionByType: Map<string, number>;
    budgetByType: Map<string, number>;
  };
  steps?: StepRow[];
  rss: number;
  failures: string[];
}

/**
 * The pre-flight's reads (voice/get_rate, user/get_balance) allow 60 requests a minute an account; a worker shares
 * them between the sessions it runs (docs/sessions.md, "Pre-flight"), so 1,000 sessions starting at once need a
 * handful. The simulator keeps the limit in every scenario, and the scale scenario reports the reads it made.
 */
const PREFLIGHT_READS = ['voice/get_rate', 'user/get_balance'] as const;
const READ_LIMIT = 60;

/** Back to a clean simulator that answers every leg, with the same seed for every scenario. */
async function prepareSimulator(stack: LocalStack, seed: number, timeScale: number): Promise<void> {
  await stack.simPost('/_sim/config', {
    seed,
    timeScale,
    rateLimits: Object.fromEntries(PREFLIGHT_READS.map((api) => [api, READ_LIMIT])),
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

/** Session s's n numbers, distinct across sessions, e.g. +6580000101. */
function numbers(session: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `+65${80_000_000 + session * 100 + i + 1}`);
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

/** The whole ledger once every leg has ended. */
async function settledLedger(stack: LocalStack, expectedLegs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { calls } = await stack.simGet<{ calls: SimCall[] }>('/_sim/calls');
    if (calls.length >= expectedLegs && calls.every((call) => call.ended_at !== null)) {
      return { calls, stats: await stack.simGet<SimStats>('/_sim/stats') };
    }
    if (Date.now() > deadline) {
      const open = calls.filter((call) => call.ended_at === null).length;
      throw new Error(`after ${timeoutMs / 1000} s: ${calls.length}/${expectedLegs} legs dialed, ${open} not ended`);
    }
    await sleep(20);
  }
}

/** What the simulator saw, account by account; invariant breaks go into `failures`. */
function simFigures(calls: SimCall[], stats: SimStats, expectedLegs: number, failures: string[]) {
  const accounts = byAccount(calls);
  const gaps = [...accounts.values()].map(refillFigures);
  const peak = Math.max(0, ...Object.values(stats.peakConcurrentCalls));
  const peakLedger = Math.max(0, ...[...accounts.values()].map(peakFromLedger));
  const ledger = ledgerFigures(calls);
  const concurrentRejections = stats.rejections.error_concurrent_call_limit_reached ?? 0;
  if (peak > LINES || peakLedger > LINES) failures.push(`an account held ${Math.max(peak, peakLedger)} calls at once`);
  if (ledger.legs !== expectedLegs) failures.push(`${ledger.legs} legs dialed, expected ${expectedLegs}`);
  if (ledger.answered !== expectedLegs) failures.push(`${ledger.answered}/${expectedLegs} legs answered`);
  if (concurrentRejections > 0) failures.push(`${concurrentRejections} error_concurrent_call_limit_reached`);
  return {
    ledger,
    // The account's refills; with several accounts, the worst account's (by p99).
    refill: gaps.reduce((worst, r) => (r.p99GapMs > worst.p99GapMs ? r : worst), refillFigures([])),
    peak,
    peakLedger,
    accounts: accounts.size,
    concurrentRejections,
    conferenceCallRequests: (stats.requests['conference/call'] ?? 0) + (stats.requests['voice/conference'] ?? 0),
    preflightReads: {
      requests: PREFLIGHT_READS.reduce((sum, api) => sum + (stats.requests[api] ?? 0), 0),
      rateLimited: stats.rejections.error_rate_limit_exceeded ?? 0,
    },
  };
}

/** Every summary must bill exactly what the ledger debited in its room. */
function checkSummaries(summaries: SessionSummary[], accountOf: string[], calls: SimCall[], failures: string[]): void {
  const debits = new Map<string, number>();
  for (const call of calls) {
    const key = `${call.app_id} ${call.room}`;
    debits.set(key, sumMoney([debits.get(key) ?? 0, parseMoney(call.debit ?? '0.000')]));
  }
  summaries.forEach((summary, i) => {
    if (summary.endedBy !== 'completed') failures.push(`session ${summary.room} ended by ${summary.endedBy}`);
    const billed = formatMoney(sumMoney(summary.totals.map((total) => parseMoney(total.debit))));
    const ledger = formatMoney(debits.get(`${accountOf[i]} ${summary.room}`) ?? 0);
    if (billed !== ledger) failures.push(`session ${summary.room} billed ${billed}, the ledger ${ledger}`);
  });
}

interface TemporalSpec {
  title: string;
  timeScale: number;
  sessions: number;
  participants: number;
  /** The account of each session, in turn; none: the default account. */
  accounts?: typeof benchAccounts;
  /** Run the sessions on a worker in a process of its own, whose memory is then the RSS reported. */
  ownWorker?: boolean;
  /** Count history events and the refill path's steps (fetches every history: kept for the small scenario). */
  histories: boolean;
}

async function runTemporal(stack: LocalStack, options: Options, memory: MemorySampler, spec: TemporalSpec) {
  await prepareSimulator(stack, options.seed, spec.timeScale);
  const worker = spec.ownWorker
    ? await startWorkerProcess({
        ...hoiioEnv,
        TEMPORAL_ADDRESS: stack.env.address,
        TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
        HOIIO_BASE_URL: stack.simulator.baseUrl,
        BRIDGEKEEPER_PUBLIC_URL: stack.receiver.url,
        BRIDGEKEEPER_MAX_CACHED_WORKFLOWS: String(SCALE_WORKER_CACHE),
        ...SCALE_WORKER_MEMORY,
      })
    : undefined;
  try {
    return await runSessions(stack, memory, spec, worker);
  } finally {
    await worker?.stop();
  }
}

async function runSessions(stack: LocalStack, memory: MemorySampler, spec: TemporalSpec, worker?: WorkerProcess) {
  const client = stack.env.client;
  const budgetId = callBudgetWorkflowId(DEMO_ACCOUNT.appId);
  const budgetBefore = spec.histories ? await historyFigures(client, budgetId) : undefined;
  const stamp = `${Date.now().toString(36)}-${process.pid}`;
  const inputs = Array.from({ length: spec.sessions }, (_, s) => {
    const account = spec.accounts?.[s % spec.accounts.length];
    return {
      workflowId: `bench-${stamp}-${s + 1}`,
      appId: account?.appId ?? DEMO_ACCOUNT.appId,
      args: [{ participants: numbers(s, spec.participants), ...(account ? { account: account.name } : {}) }],
    };
  });
  const taskQueue = worker?.taskQueue ?? stack.taskQueue;
  const startedAtMs = Date.now();
  const handles = await Promise.all(
    inputs.map(({ workflowId, args }) =>
      client.workflow.start(conferenceSession, { taskQueue, workflowId, args: [args[0]!] }),
    ),
  );
  let summaries: SessionSummary[];
  try {
    summaries = await withTimeout(spec.title, Promise.all(handles.map((h) => h.result())), SCENARIO_TIMEOUT_MS);
  } catch (error) {
    await Promise.allSettled(handles.map((handle) => handle.terminate('benchmark gave up')));
    throw error;
  }
  const wallMs = Date.now() - startedAtMs;
  memory.sample();
  const legs = spec.sessions * spec.participants;
  const { calls, stats } = await settledLedger(stack, legs, 30_000);
  const failures: string[] = [];
  const sim = simFigures(calls, stats, legs, failures);
  checkSummaries(
    summaries,
    inputs.map((input) => input.appId),
    calls,
    failures,
  );

  let history: RunFigures['history'];
  let steps: StepRow[] | undefined;
  if (spec.histories && budgetBefore) {
    const ledger = new Map(calls.map((call) => [call.txn_ref, call]));
    const samples: StepSamples = new Map();
    let sessionEvents = 0;
    const sessionByType = new Map<string, number>();
    for (const { workflowId } of inputs) {
      const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      const figures = await historyFigures(client, workflowId);
      sessionEvents += figures.events;
      addCounts(sessionByType, figures.byType);
      addHistorySteps(samples, 'session', events, ledger);
    }
    const budgetEvents = (await client.workflow.getHandle(budgetId).fetchHistory()).events ?? [];
    const since = budgetEvents.findIndex((event) => Number(event.eventTime?.seconds ?? 0) * 1000 >= startedAtMs);
    const scenarioBudgetEvents = since < 0 ? [] : budgetEvents.slice(since);
    addHistorySteps(samples, 'budget', scenarioBudgetEvents, ledger);
    history = {
      sessionEvents,
      budgetEvents: (await historyFigures(client, budgetId)).events - budgetBefore.events,
      sessionByType,
      budgetByType: countByType(scenarioBudgetEvents, new Map()),
    };
    steps = stepRows(samples);
  }
  return {
    title: spec.title,
    timeScale: spec.timeScale,
    sessions: spec.sessions,
    legs,
    wallMs,
    beforeFirstDialMs: sim.ledger.firstDialMs - startedAtMs,
    ...sim,
    history,
    steps,
    rss: worker?.peakRss() ?? memory.peakRss,
    failures,
  } satisfies RunFigures;
}

async function runReference(stack: LocalStack, options: Options, memory: MemorySampler): Promise<RunFigures> {
  await prepareSimulator(stack, options.seed, options.timeScale);
  const sessions = Array.from({ length: 10 }, (_, s) => numbers(s, 20));
  const greedy = await withTimeout(
    'the greedy dialer',
    runGreedyDialer(stack.hoiio.default, sessions),
    SCENARIO_TIMEOUT_MS,
  );
  const { calls, stats } = await settledLedger(stack, 200, 30_000);
  memory.sample();
  const failures: string[] = [];
  const sim = simFigures(calls, stats, 200, failures);
  return {
    title: 'reference: greedy in-memory dialer, 10 × 20',
    timeScale: options.timeScale,
    sessions: 10,
    legs: 200,
    wallMs: sim.ledger.lastEndMs - greedy.startedAtMs,
    beforeFirstDialMs: sim.ledger.firstDialMs - greedy.startedAtMs,
    ...sim,
    rss: memory.peakRss,
    failures,
  };
}

/** A small session first, so that the worker's first workflow and the budget workflow's start are not measured. */
async function warmUp(stack: LocalStack, options: Options): Promise<void> {
  await prepareSimulator(stack, options.seed, options.timeScale);
  await withTimeout(
    'the warm-up session',
    stack.env.client.workflow.execute(conferenceSession, {
      taskQueue: stack.taskQueue,
      workflowId: `bench-warmup-${Date.now().toString(36)}-${process.pid}`,
      args: [{ participants: numbers(999, 4) }],
    }),
    SCENARIO_TIMEOUT_MS,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Report: one table per scenario, the target beside each measured figure
// ---------------------------------------------------------------------------------------------------------------

interface Section {
  heading: string;
  head: string[];
  rows: string[][];
}

const ms = (value: number): string => `${value.toFixed(0)} ms`;
const x = (value: number): string => `${value.toFixed(3)}×`;
const checks = (r: RunFigures): string => (r.failures.length === 0 ? 'pass' : `FAIL: ${r.failures.join('; ')}`);
const vsBound = (r: RunFigures): number => r.ledger.spanMs / r.ledger.lowerBoundMs;

function tenSection(run: RunFigures, reference: RunFigures): Section {
  const both = (cell: (r: RunFigures) => string): string[] => [cell(run), cell(reference)];
  const perLeg = (n: number | undefined): string => (n === undefined ? '–' : (n / run.legs).toFixed(1));
  return {
    heading: `10 sessions × 20 participants on one account (time scale ${run.timeScale})`,
    head: ['Figure', 'target', 'bridgekeeper', 'reference'],
    rows: [
      ['legs (sessions)', '', ...both((r) => `${r.legs} (${r.sessions})`)],
      ['line refill p50: a leg’s end → next dial', `≤ ${TARGET.refillP50Ms} ms`, ...both((r) => ms(r.refill.p50GapMs))],
      ['line refill p99', `≤ ${TARGET.refillP99Ms} ms`, ...both((r) => ms(r.refill.p99GapMs))],
      ['line refill mean / max', '', ...both((r) => `${ms(r.refill.meanGapMs)} / ${ms(r.refill.maxGapMs)}`)],
      ['makespan (ledger: first dial → last hang-up) ÷ lower bound', '', ...both((r) => x(vsBound(r)))],
      ['that ratio ÷ the reference’s', `≤ ${TARGET.vsReference}×`, x(vsBound(run) / vsBound(reference)), '1×'],
      ['wall: start → last result (real)', '', ...both((r) => ms(r.wallMs))],
      ['start → first dial (real)', '', ...both((r) => ms(r.beforeFirstDialMs))],
      ['session history events per participant', `≤ ${TARGET.sessionEvents}`, perLeg(run.history?.sessionEvents), '–'],
      [
        'call-budget history events per participant',
        `≤ ${TARGET.budgetEvents}`,
        perLeg(run.history?.budgetEvents),
        '–',
      ],
      ['conference/call requests', '', ...both((r) => String(r.conferenceCallRequests))],
      ['error_concurrent_call_limit_reached', '0', ...both((r) => String(r.concurrentRejections))],
      [`peak concurrent calls (simulator / ledger)`, `≤ ${LINES}`, ...both((r) => `${r.peak} / ${r.peakLedger}`)],
      ['checks', '', ...both(checks)],
    ],
  };
}

function stepsSection(run: RunFigures): Section {
  return {
    heading: 'Where a freed line’s idle time goes (10 × 20, real ms per step, from histories and the ledger)',
    head: ['Step', 'samples', 'p50', 'p99'],
    rows: (run.steps ?? []).map((row) => [row.step, String(row.count), ms(row.p50Ms), ms(row.p99Ms)]),
  };
}

function eventsSection(run: RunFigures): Section {
  const { sessionByType = new Map<string, number>(), budgetByType = new Map<string, number>() } = run.history ?? {};
  const perLeg = (n: number | undefined): string => (n ? (n / run.legs).toFixed(2) : '–');
  const types = [...new Set([...sessionByType.keys(), ...budgetByType.keys()])].sort(
    (a, b) =>
      (sessionByType.get(b) ?? 0) +
      (budgetByType.get(b) ?? 0) -
      (sessionByType.get(a) ?? 0) -
      (budgetByType.get(a) ?? 0),
  );
  return {
    heading: 'History events per participant, by type (10 × 20)',
    head: ['Event', 'sessions', 'call budget'],
    rows: types.map((type) => [type, perLeg(sessionByType.get(type)), perLeg(budgetByType.get(type))]),
  };
}

function scaleSection(run: RunFigures, ten: RunFigures | undefined, cost: WorkflowCost): Section {
  return {
    heading: `1,000 sessions × 5 participants at once, one account, one worker (time scale ${run.timeScale})`,
    head: ['Figure', 'target', 'measured'],
    rows: [
      ['sessions completed, billed exactly as the ledger', `${run.sessions}`, checks(run)],
      [
        `pre-flight reads (${PREFLIGHT_READS.join(', ')})`,
        `${READ_LIMIT} a minute each`,
        `${run.preflightReads.requests} requests; ${run.preflightReads.rateLimited} requests of any kind refused for a rate limit`,
      ],
      ['error_concurrent_call_limit_reached', '0', String(run.concurrentRejections)],
      [
        'line refill p50 / p99',
        ten ? `p99 ≤ ${ms(ten.refill.p99GapMs)} (10 × 20)` : 'p99 ≤ that of 10 × 20',
        `${ms(run.refill.p50GapMs)} / ${ms(run.refill.p99GapMs)}`,
      ],
      ['peak concurrent calls (simulator / ledger)', `≤ ${LINES}`, `${run.peak} / ${run.peakLedger}`],
      [
        `RSS peak of the worker (a process of its own, BRIDGEKEEPER_MAX_CACHED_WORKFLOWS=${SCALE_WORKER_CACHE}, ${Object.entries(
          SCALE_WORKER_MEMORY,
        )
          .map(([name, value]) => `${name}=${value}`)
          .join(', ')})`,
        `≤ ${TARGET.rssMiB} MiB`,
        mib(run.rss),
      ],
      ['makespan ÷ lower bound; wall (real)', '', `${x(vsBound(run))}; ${ms(run.wallMs)}`],
      [
        `each session started from the built bundle (${cost.workflows} in one reusable V8 context): heap kept; CPU`,
        '',
        `${cost.heapKiBEach.toFixed(0)} KiB; ${cost.createMsEach.toFixed(1)} ms`,
      ],
    ],
  };
}

function accountsSection(run: RunFigures): Section {
  return {
    heading: `${EXTRA_ACCOUNTS} accounts × 10 sessions × 5 participants at once (time scale ${run.timeScale})`,
    head: ['Figure', 'target', 'measured'],
    rows: [
      [
        'accounts dialed; sessions completed and exact',
        `${EXTRA_ACCOUNTS}; ${run.sessions}`,
        `${run.accounts}; ${checks(run)}`,
      ],
      ['highest account peak (simulator / ledger)', `≤ ${LINES}`, `${run.peak} / ${run.peakLedger}`],
      ['error_concurrent_call_limit_reached', '0', String(run.concurrentRejections)],
      ['worst account’s line refill p50 / p99', '', `${ms(run.refill.p50GapMs)} / ${ms(run.refill.p99GapMs)}`],
      ['wall (real)', '', ms(run.wallMs)],
    ],
  };
}

function nproc(): string {
  try {
    return execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    return String(os.availableParallelism());
  }
}

function markdown(sections: Section[], facts: string[]): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  const lines = [
    '# Benchmark: the performance targets',
    '',
    'Written by `npm run bench` (`dev/bench/sessions.ts`).',
    '',
  ];
  lines.push(...facts.map((fact) => `- ${fact}`), '');
  for (const section of sections) {
    lines.push(`## ${section.heading}`, '', `| ${section.head.join(' | ')} |`);
    lines.push(
      `| --- | ${section.head
        .slice(1)
        .map(() => '---:')
        .join(' | ')} |`,
    );
    lines.push(...section.rows.map((row) => `| ${row.map(escape).join(' | ')} |`), '');
  }
  lines.push('How to read each figure: [docs/benchmarks.md](../../docs/benchmarks.md).', '');
  return lines.join('\n');
}

/** The project's prettier style, so that `npm run format:check` stays clean after a run. */
async function prettyMarkdown(text: string, file: string): Promise<string> {
  const prettier = await import('prettier');
  const config = await prettier.resolveConfig(file);
  return await prettier.format(text, { ...config, parser: 'markdown' });
}

/** The bench accounts for a worker: HOIIO_ACCOUNTS and the token variables it names. */
const hoiioEnv: NodeJS.ProcessEnv = {
  HOIIO_ACCOUNTS: JSON.stringify(
    Object.fromEntries(benchAccounts.map((a) => [a.name, { appId: a.appId, accessTokenEnv: `${a.name}_TOKEN` }])),
  ),
  ...Object.fromEntries(benchAccounts.map((a) => [`${a.name}_TOKEN`, a.accessToken])),
};

async function main(): Promise<number> {
  const options = parseOptions();
  const memory = new MemorySampler();
  const began = performance.now();
  const log = (line: string): void => console.error(`[bench] ${line}`);
  const wants = (name: ScenarioName): boolean => options.scenarios.includes(name);

  log(`starting the stack on 127.0.0.1 (scenarios ${options.scenarios.join(', ')}, seed ${options.seed})`);
  const stack = await startLocalStack({
    simulator: {
      seed: options.seed,
      timeScale: options.timeScale,
      accounts: benchAccounts.map(({ appId, accessToken }) => ({ appId, accessToken })),
    },
    hoiioEnv,
  });
  const sections: Section[] = [];
  const runs: RunFigures[] = [];
  const facts = (): string[] => [
    `Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `Machine: \`nproc\` ${nproc()}, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, load average ${os.loadavg()[0]?.toFixed(2)}; Node ${process.version}`,
    `Simulator: seed ${options.seed}, every leg answered, ringing 3–12 s and talking 30–600 s (simulated); a warm-up session first: ${options.warmup ? 'yes' : 'no'}`,
    `Bench process RSS peak ${mib(memory.peakRss)} (worker, simulator, receiver and clients in one process; the ` +
      `Temporal dev server apart); whole run ${((performance.now() - began) / 1000).toFixed(0)} s`,
  ];
  // Written after every scenario, so a long run that fails later keeps what it measured.
  const writeReport = async (done: Section[], known: string[]): Promise<void> =>
    writeFileSync(options.out, await prettyMarkdown(markdown(done, known), options.out));
  const finished = async (...added: Section[]): Promise<void> => {
    sections.push(...added);
    for (const section of added) {
      const table = new Table({ head: section.head, style: { head: [], border: [] }, wordWrap: true });
      for (const row of section.rows) table.push(row);
      console.log(`\n${section.heading}\n${table.toString()}`);
    }
    await writeReport(sections, facts());
  };
  try {
    if (options.warmup) {
      log('warm-up session (4 participants, not measured)');
      await warmUp(stack, options);
    }
    let ten: RunFigures | undefined;
    if (wants('ten')) {
      log('reference: the greedy in-memory dialer, 10 × 20');
      const reference = await runReference(stack, options, memory);
      log('bridgekeeper: 10 sessions × 20');
      ten = await runTemporal(stack, options, memory, {
        title: '10 × 20',
        timeScale: options.timeScale,
        sessions: 10,
        participants: 20,
        histories: true,
      });
      runs.push(reference, ten);
      await finished(tenSection(ten, reference), stepsSection(ten), eventsSection(ten));
    }
    if (wants('scale')) {
      log(`1,000 sessions × 5 (time scale ${options.scaleTimeScale})`);
      const run = await runTemporal(stack, options, memory, {
        title: '1000 × 5',
        timeScale: options.scaleTimeScale,
        sessions: 1_000,
        participants: 5,
        histories: false,
        accounts: [scaleAccount],
        ownWorker: true,
      });
      runs.push(run);
      // The scenario's worker ran the built bundle: what each session it cached cost it. RSS, like every speed and
      // memory figure, is reported beside its target, not failed: failures are broken invariants.
      await finished(scaleSection(run, ten, await measureWorkflowCost(WORKFLOW_BUNDLE_PATH)));
    }
    if (wants('accounts')) {
      log(`${EXTRA_ACCOUNTS} accounts × 10 sessions × 5 (time scale ${options.scaleTimeScale})`);
      const run = await runTemporal(stack, options, memory, {
        title: `${EXTRA_ACCOUNTS} accounts`,
        timeScale: options.scaleTimeScale,
        sessions: EXTRA_ACCOUNTS * 10,
        participants: 5,
        accounts: extraAccounts,
        histories: false,
      });
      runs.push(run);
      await finished(accountsSection(run));
    }
  } finally {
    log('stopping the stack');
    await stack.stop();
  }
  memory.stop();
  await writeReport(sections, facts());
  log(`wrote ${path.relative(process.cwd(), options.out) || options.out}`);
  const failed = runs.filter((r) => r.failures.length > 0);
  for (const r of failed) console.error(`FAILED ${r.title}: ${r.failures.join('; ')}`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[bench] failed:', error);
    process.exit(1);
  },
);
