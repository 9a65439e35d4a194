import { twoAccountsOnOneApp } from '../support/shared-app-accounts';
import { waitFor } from '../support/wait-for';
/**
 * The account call budget on a real Temporal dev server: real worker, real signals between workflows, real timers.
 * Holders are the test workflows of `support/budget-holders.ts`, built on the production `PermitPool`.
 */
import { type WorkflowHandle } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createBudgetActivities } from '../../src/activities/budget';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../src/workflow-bundler-options';
import { callBudget } from '../../src/workflows/call-budget';
import { PAGE_PRIORITY, ROUTINE_PRIORITY } from '../../src/domain/permit-priority';
import { hoiioConfigFromEnv, selectHoiioAccount } from '../../src/hoiio/config';
import {
  budgetStateQuery,
  callBudgetWorkflowId,
  permitsGrantedSignal,
  releasePermitsSignal,
  reportPermitsSignal,
  type BudgetState,
} from '../../src/workflows/messages';
import {
  startTemporalTestEnv,
  startTestWorker,
  stopTemporalTestEnv,
  uniqueId,
  type TestWorker,
} from '../support/temporal-test-env';
import {
  closingHolder,
  dialingHolder,
  greedyHolder,
  holderCancelUpdate,
  holderFinishSignal,
  holderReleaseUpdate,
  holderRenewUpdate,
  holderRequestUpdate,
  holderViewQuery,
  scriptedHolder,
  type HolderView,
  type PermitInterval,
} from './support/budget-holders';

const workflowsPath = require.resolve('./support/workflows');
/** How these tests replay a budget's history: bundled as every worker bundles (src/workflow-bundler-options.ts). */
const replayOptions = { workflowsPath, bundlerOptions: WORKFLOW_BUNDLER_OPTIONS };
type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

let env: TestWorkflowEnvironment;
let worker: TestWorker;

beforeAll(async () => {
  env = await startTemporalTestEnv();
  worker = await startTestWorker(env, { workflowsPath, activities: createBudgetActivities(env.client) });
});

afterAll(async () => {
  await stopTemporalTestEnv(env, worker);
});

// ---------------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------------

function budgetHandle(account: string) {
  return env.client.workflow.getHandle<typeof callBudget>(callBudgetWorkflowId(account));
}

function budgetState(account: string): Promise<BudgetState> {
  return budgetHandle(account).query(budgetStateQuery);
}

const heldBy = (state: BudgetState, holder: string) => state.held.filter((p) => p.holder === holder).length;
const waitingOf = (state: BudgetState) => state.waiting.map((w) => [w.holder, w.remaining] as const);
/** The waiting queue in the order it will be served, as holder and priority. */
const queueOf = (state: BudgetState) => state.waiting.map((w) => [w.holder, w.priority] as const);
const permitNumber = (permitId: string) => Number(permitId.slice(permitId.lastIndexOf('-') + 1));

async function startScripted(account: string, name: string, opts: { capacity?: number; leaseMs?: number } = {}) {
  return env.client.workflow.start(scriptedHolder, {
    taskQueue: worker.taskQueue,
    workflowId: uniqueId(`holder-${name}`),
    args: [{ account, budgetKey: account, ...opts }],
  });
}

function view(holder: WorkflowHandle<typeof scriptedHolder>): Promise<HolderView> {
  return holder.query(holderViewQuery);
}

/** Asks for `count` permits; with no `priority` the request carries none, as a session's does (routine, 3). */
function request(holder: WorkflowHandle<typeof scriptedHolder>, count: number, priority?: number): Promise<string> {
  return holder.executeUpdate(holderRequestUpdate, { args: priority === undefined ? [count] : [count, priority] });
}

function release(holder: WorkflowHandle<typeof scriptedHolder>, ids: string[]): Promise<void> {
  return holder.executeUpdate(holderReleaseUpdate, { args: [ids] });
}

/** Every run of the account's budget from `firstRunId` on, following continue-as-new, with its history. */
async function budgetRuns(account: string, firstRunId: string) {
  const runs: { runId: string; history: History }[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: History = await env.client.workflow.getHandle(callBudgetWorkflowId(account), runId).fetchHistory();
    runs.push({ runId, history });
    const last: HistoryEvent | undefined = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

/**
 * Replays each run of the budget that has completed a workflow task, each within `timeoutMs`; returns how many it
 * replayed. A run that has not yet had a workflow task is skipped: the server holds back the first workflow task of a
 * run that follows a run shorter than its continue-as-new minimum interval (1 s on the dev server:
 * `firstWorkflowTaskBackoff` on the start event), and until then the run's history is that one start event.
 * `Worker.runReplayHistory` on such a history waits forever for a workflow task that is not in it (it hung this suite
 * until jest's 120 s timeout whenever the test was slow enough to fetch the newest run inside that window), and
 * there would be no workflow code to check in it anyway.
 */
async function replayRuns(account: string, runs: { runId: string; history: History }[], timeoutMs = 30_000) {
  let replayed = 0;
  for (const { runId, history } of runs) {
    if (!history.events?.some((e) => e.workflowTaskCompletedEventAttributes)) continue;
    const id = `${callBudgetWorkflowId(account)}/${runId}`;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`replay of ${id} did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([Worker.runReplayHistory(replayOptions, history, id), timedOut]);
    } finally {
      clearTimeout(timer);
    }
    replayed++;
  }
  return replayed;
}

/** `promise`, or a failure naming `what` once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Most permits held at once by the holders' own records; a release at the same instant counts first. */
function maxOverlap(intervals: PermitInterval[]): number {
  const events = intervals.flatMap((i) => [
    { at: i.from, delta: 1 },
    { at: i.to, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let max = 0;
  for (const e of events) {
    current += e.delta;
    max = Math.max(max, current);
  }
  return max;
}

// ---------------------------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------------------------

test('three holders wanting 6 each share 8 permits: never more than 8 held, FIFO, partial grants, all served', async () => {
  const account = uniqueId('acct-load');
  const holders: WorkflowHandle<typeof greedyHolder>[] = [];
  for (const name of ['A', 'B', 'C']) {
    const holder = await env.client.workflow.start(greedyHolder, {
      taskQueue: worker.taskQueue,
      workflowId: uniqueId(`greedy-${name}`),
      args: [{ account, budgetKey: account, capacity: 8, want: 6, holdMs: 2_000 }],
    });
    holders.push(holder);
    // Start the next holder only once the budget has this one's request, so the arrival order is known.
    await waitFor(
      () => budgetState(account),
      (s) => heldBy(s, holder.workflowId) > 0 || s.waiting.some((w) => w.holder === holder.workflowId),
      `the request of ${name}`,
    );
  }

  // Sample the budget while the holders run.
  let sampledMax = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const s = await budgetState(account);
      sampledMax = Math.max(sampledMax, s.held.length);
      expect(s.held.length).toBeLessThanOrEqual(8);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const results = await Promise.all(holders.map((h) => h.result()));
  sampling = false;
  await sampler;

  const [a, b, c] = results;
  for (const r of results) expect(r.intervals).toHaveLength(6);
  // Partial grant: B arrived when only 2 were free and took them at once instead of waiting for 5 more.
  expect(b!.batches[0]).toBe(2);
  // FIFO: every permit of A was granted before any of B's, and B's before any of C's.
  const numbers = results.map((r) => r.intervals.map((i) => permitNumber(i.permitId)));
  expect(Math.max(...numbers[0]!)).toBeLessThan(Math.min(...numbers[1]!));
  expect(Math.max(...numbers[1]!)).toBeLessThan(Math.min(...numbers[2]!));
  // Never more than 8 at once, and no permit idled while someone waited: 8 were in use at some moment.
  const all = [...a!.intervals, ...b!.intervals, ...c!.intervals];
  expect(new Set(all.map((i) => i.permitId)).size).toBe(18);
  expect(maxOverlap(all)).toBeLessThanOrEqual(8);
  expect(maxOverlap(all)).toBe(8);
  expect(sampledMax).toBe(8);

  const final = await waitFor(
    () => budgetState(account),
    (s) => s.held.length === 0,
    'every permit back',
  );
  expect(final).toMatchObject({ capacity: 8, waiting: [], granted: 18, reclaimed: 0, undelivered: 0 });

  // The budget's history replays deterministically.
  const history = await budgetHandle(account).fetchHistory();
  await Worker.runReplayHistory(replayOptions, history, callBudgetWorkflowId(account));
  await budgetHandle(account).terminate('test done');
});

test('owes a request at most its capacity, so an oversized one cannot block those behind it', async () => {
  const account = uniqueId('acct-oversized');
  const [A, B] = await Promise.all(['A', 'B'].map((n) => startScripted(account, n)));

  await request(A!, 20);
  await waitFor(
    () => budgetState(account),
    (s) => heldBy(s, A!.workflowId) === 8 && s.waiting.length === 0,
    'A holding all 8 and owed nothing more',
  );
  await request(B!, 1);
  const aIds = (
    await waitFor(
      () => view(A!),
      (v) => v.received.length === 8,
      'A received 8',
    )
  ).received;
  await release(A!, aIds.slice(0, 1));
  await waitFor(
    () => budgetState(account),
    (s) => heldBy(s, B!.workflowId) === 1,
    'B served after A gave one back',
  );
  await budgetHandle(account).terminate('test done');
});

test('grants in strict request order, partially; releases regrant to the head; cancel drops a waiter', async () => {
  const account = uniqueId('acct-fifo');
  const [A, B, C, D, E] = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((n) => startScripted(account, n)));

  await request(A!, 6);
  await waitFor(
    () => budgetState(account),
    (s) => heldBy(s, A!.workflowId) === 6,
    'A holding 6',
  );
  await request(B!, 5);
  let s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, B!.workflowId) === 2,
    'B holding 2 (partial)',
  );
  expect(waitingOf(s)).toEqual([[B!.workflowId, 3]]);
  await request(C!, 1);
  s = await waitFor(
    () => budgetState(account),
    (st) => st.waiting.length === 2,
    'C queued behind B',
  );
  expect(waitingOf(s)).toEqual([
    [B!.workflowId, 3],
    [C!.workflowId, 1],
  ]);

  const aIds = (
    await waitFor(
      () => view(A!),
      (v) => v.received.length === 6,
      'A received 6',
    )
  ).received;
  // Two free permits go to the head (B, still owed 3), not to C who wants just one.
  await release(A!, aIds.slice(0, 2));
  s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, B!.workflowId) === 4,
    'B holding 4',
  );
  expect(waitingOf(s)).toEqual([
    [B!.workflowId, 1],
    [C!.workflowId, 1],
  ]);
  await release(A!, aIds.slice(2, 3));
  s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, B!.workflowId) === 5,
    'B holding 5',
  );
  expect(waitingOf(s)).toEqual([[C!.workflowId, 1]]);
  await release(A!, aIds.slice(3, 4));
  s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, C!.workflowId) === 1,
    'C holding 1',
  );
  expect(s.waiting).toEqual([]);

  // Cancel: D (first in line) withdraws; E behind it moves up and gets the next permit.
  await request(D!, 4);
  await request(E!, 1);
  await waitFor(
    () => budgetState(account),
    (st) => st.waiting.length === 2,
    'D and E waiting',
  );
  await D!.executeUpdate(holderCancelUpdate);
  s = await waitFor(
    () => budgetState(account),
    (st) => st.waiting.length === 1,
    'D gone from the queue',
  );
  expect(waitingOf(s)).toEqual([[E!.workflowId, 1]]);
  await release(A!, aIds.slice(4, 6));
  s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, E!.workflowId) === 1,
    'E holding 1',
  );
  expect(s.held).toHaveLength(7); // B 5, C 1, E 1: one free, nobody waiting
  expect(s.waiting).toEqual([]);
  expect(await view(D!)).toEqual({ received: [], held: [], pending: 0, malformed: 0 });

  // Everyone saw exactly the permits the budget says they hold, with no id given twice.
  await waitFor(
    () => view(E!),
    (v) => v.received.length === 1,
    'E received 1',
  );
  const views = await Promise.all([A, B, C, D, E].map((h) => view(h!)));
  const received = views.flatMap((v) => v.received);
  expect(new Set(received).size).toBe(received.length);
  expect(views.map((v) => v.received.length)).toEqual([6, 5, 1, 0, 1]);
  expect(s.granted).toBe(13);

  await Promise.all([A, B, C, D, E].map((h) => h!.signal(holderFinishSignal)));
  await budgetHandle(account).terminate('test done');
});

test('a page made after routine requests is served first as permits come back; FIFO within a priority; nothing taken back', async () => {
  const account = uniqueId('acct-prio');
  // H holds both permits; a stand-up's routine requests wait; then two pages come.
  const [H, R1, R2, P1, P2] = await Promise.all(
    ['H', 'R1', 'R2', 'P1', 'P2'].map((n) => startScripted(account, n, { capacity: 2 })),
  );
  await request(H!, 2);
  const hIds = (
    await waitFor(
      () => view(H!),
      (v) => v.received.length === 2,
      'H received 2',
    )
  ).received;
  await request(R1!, 1); // no priority at all, as sessions and older holders send: routine
  await request(R2!, 1, ROUTINE_PRIORITY);
  await request(P1!, 1, PAGE_PRIORITY);
  await request(P2!, 1, PAGE_PRIORITY);
  let s = await waitFor(
    () => budgetState(account),
    (st) => st.waiting.length === 4,
    'four requests waiting',
  );
  // The query shows each waiting request's priority, in the order they will be served.
  expect(queueOf(s)).toEqual([
    [P1!.workflowId, 1],
    [P2!.workflowId, 1],
    [R1!.workflowId, 3],
    [R2!.workflowId, 3],
  ]);
  // Pages only order the queue: the permits of live calls stay where they are.
  expect(heldBy(s, H!.workflowId)).toBe(2);
  expect((await view(H!)).held.sort()).toEqual([...hIds].sort());

  // Each permit that comes back goes to the most urgent request, the earliest first within a priority.
  const order: string[] = [];
  const next = async (
    from: WorkflowHandle<typeof scriptedHolder>,
    ids: string[],
    to: WorkflowHandle<typeof scriptedHolder>,
  ) => {
    await release(from, ids);
    const got = await waitFor(
      () => view(to),
      (v) => v.received.length === 1,
      `${to.workflowId} granted`,
    );
    order.push(to.workflowId);
    return got.received;
  };
  const p1Ids = await next(H!, [hIds[0]!], P1!);
  const p2Ids = await next(H!, [hIds[1]!], P2!);
  s = await budgetState(account);
  expect(queueOf(s)).toEqual([
    [R1!.workflowId, 3],
    [R2!.workflowId, 3],
  ]);
  const r1Ids = await next(P1!, p1Ids, R1!);
  const r2Ids = await next(P2!, p2Ids, R2!);
  expect(order).toEqual([P1, P2, R1, R2].map((h) => h!.workflowId));
  const granted = [p1Ids, p2Ids, r1Ids, r2Ids].map((ids) => permitNumber(ids[0]!));
  expect(granted).toEqual([...granted].sort((a, b) => a - b));
  s = await budgetState(account);
  expect(s).toMatchObject({ waiting: [], granted: 6 });

  // The budget's history, priorities and all, replays deterministically.
  const history = await budgetHandle(account).fetchHistory();
  await Worker.runReplayHistory(replayOptions, history, callBudgetWorkflowId(account));
  await Promise.all([H, R1, R2, P1, P2].map((h) => h!.signal(holderFinishSignal)));
  await budgetHandle(account).terminate('test done');
});

test('a waiting request keeps its priority across continue-as-new', async () => {
  const account = uniqueId('acct-prio-can');
  // A new run after every 3 signals.
  const first = await env.client.workflow.start(callBudget, {
    taskQueue: worker.taskQueue,
    workflowId: callBudgetWorkflowId(account),
    args: [{ account, budgetKey: account, capacity: 1, maxSignalsPerRun: 3 }],
  });
  const [A, R, P, Q] = await Promise.all(['A', 'R', 'P', 'Q'].map((n) => startScripted(account, n, { capacity: 1 })));
  await request(A!, 1);
  await request(R!, 1);
  await request(P!, 1, PAGE_PRIORITY); // the third signal: the run hands over with R and P waiting
  let s = await waitFor(
    async () => ({ state: await budgetState(account), runId: (await budgetHandle(account).describe()).runId }),
    ({ state, runId }) => runId !== first.firstExecutionRunId && state.waiting.length === 2,
    'a new run with R and P waiting',
  ).then((x) => x.state);
  expect(queueOf(s)).toEqual([
    [P!.workflowId, 1],
    [R!.workflowId, 3],
  ]);
  // Had P's priority been lost on the way, a page made now would go ahead of it.
  await request(Q!, 1, PAGE_PRIORITY);
  s = await waitFor(
    () => budgetState(account),
    (st) => st.waiting.length === 3,
    'Q waiting too',
  );
  expect(queueOf(s)).toEqual([
    [P!.workflowId, 1],
    [Q!.workflowId, 1],
    [R!.workflowId, 3],
  ]);
  const aIds = (await view(A!)).received;
  await release(A!, aIds);
  s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, P!.workflowId) === 1,
    'P granted',
  );
  expect(queueOf(s)).toEqual([
    [Q!.workflowId, 1],
    [R!.workflowId, 3],
  ]);
  await Promise.all([A, R, P, Q].map((h) => h!.signal(holderFinishSignal)));
  await budgetHandle(account).terminate('test done');
});

test('a budget reset while a page waits learns its priority from the holder’s report and still serves it first', async () => {
  const key = uniqueId('acct-prio-reset');
  const [H, R, P] = await Promise.all(['H', 'R', 'P'].map((n) => startScripted(key, n, { capacity: 1 })));
  await request(H!, 1);
  const hIds = (
    await waitFor(
      () => view(H!),
      (v) => v.received.length === 1,
      'H received 1',
    )
  ).received;
  await request(R!, 1);
  await request(P!, 1, PAGE_PRIORITY);
  await waitFor(
    () => budgetState(key),
    (st) => st.waiting.length === 2,
    'R and P waiting',
  );
  const firstRun = (await budgetHandle(key).describe()).runId;

  // An operator resets the budget. R reports first: its report starts a fresh budget, which learns R's request
  // before P's; only P's report says that P's is a page.
  await budgetHandle(key).terminate('operator reset');
  await R!.executeUpdate(holderRenewUpdate);
  await P!.executeUpdate(holderRenewUpdate);
  await H!.executeUpdate(holderRenewUpdate);
  let s = await waitFor(
    () => budgetState(key),
    (st) => st.recovering === false && st.waiting.length === 2 && st.held.length === 1,
    'the new budget recovered: H holding 1, R and P waiting',
  );
  expect((await budgetHandle(key).describe()).runId).not.toBe(firstRun);
  expect(s.held[0]).toMatchObject({ holder: H!.workflowId, permitId: hIds[0], adopted: true });
  expect(queueOf(s)).toEqual([
    [P!.workflowId, 1],
    [R!.workflowId, 3],
  ]);

  await release(H!, hIds);
  s = await waitFor(
    () => budgetState(key),
    (st) => heldBy(st, P!.workflowId) === 1,
    'P granted',
  );
  expect(queueOf(s)).toEqual([[R!.workflowId, 3]]);
  await Promise.all([H, R, P].map((h) => h!.signal(holderFinishSignal)));
  await budgetHandle(key).terminate('test done');
});

test('duplicate, unknown and foreign releases change nothing; duplicate grants are ignored by the pool', async () => {
  const account = uniqueId('acct-dup');
  const [A, B, W] = await Promise.all(['A', 'B', 'W'].map((n) => startScripted(account, n, { capacity: 4 })));
  await request(A!, 2);
  await request(B!, 2);
  await request(W!, 1);
  const aIds = (
    await waitFor(
      () => view(A!),
      (v) => v.received.length === 2,
      'A received 2',
    )
  ).received;
  const bIds = (
    await waitFor(
      () => view(B!),
      (v) => v.received.length === 2,
      'B received 2',
    )
  ).received;
  await release(A!, [aIds[0]!]);
  await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, W!.workflowId) === 1,
    'W granted the released one',
  );
  const wIds = (
    await waitFor(
      () => view(W!),
      (v) => v.received.length === 1,
      'W received 1',
    )
  ).received;

  // Sent straight to the budget: an id released before, an unknown id, and B's permit "released" by A.
  const budget = budgetHandle(account);
  await budget.signal(releasePermitsSignal, { holder: A!.workflowId, permitIds: [aIds[0]!] });
  await budget.signal(releasePermitsSignal, { holder: A!.workflowId, permitIds: [`${account}-999`] });
  await budget.signal(releasePermitsSignal, { holder: A!.workflowId, permitIds: [bIds[0]!] });
  // A real release after them: once it shows, the bogus ones (earlier in the history) have been handled.
  await release(A!, [aIds[1]!]);
  const s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, A!.workflowId) === 0,
    'A released all',
  );
  expect(s.held.map((p) => p.permitId).sort()).toEqual([...bIds, ...wIds].sort());
  expect(heldBy(s, B!.workflowId)).toBe(2);
  expect(s.waiting).toEqual([]);

  // The pool releases twice only once: the second release of the same id never reaches the budget.
  await release(B!, [bIds[0]!]);
  await release(B!, [bIds[0]!]);
  await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, B!.workflowId) === 1,
    'B holding 1',
  );

  // A duplicated grant (same permit id) adds nothing; a grant for a request B never made is handed back.
  await B!.signal(permitsGrantedSignal, { requestId: 'duplicate', permitIds: [bIds[1]!] });
  await B!.signal(permitsGrantedSignal, { requestId: 'never-made', permitIds: [`${account}-forged`] });
  await B!.executeUpdate(holderRenewUpdate); // processed after the signals above
  const bView = await view(B!);
  expect(bView.received).toEqual(bIds);
  expect(bView.held).toEqual([bIds[1]]);
  expect((await budgetState(account)).held.filter((p) => p.holder === B!.workflowId).map((p) => p.permitId)).toEqual([
    bIds[1],
  ]);

  await Promise.all([A, B, W].map((h) => h!.signal(holderFinishSignal)));
  await budget.terminate('test done');
});

test('a lease that runs out while its holder still runs is extended; once the holder has finished it is reclaimed', async () => {
  const account = uniqueId('acct-lease');
  const R = await startScripted(account, 'R', { capacity: 3, leaseMs: 1_500 });
  const X = await startScripted(account, 'X', { leaseMs: 1_500 });
  const W = await startScripted(account, 'W');
  await request(R, 1);
  await request(X, 2);
  await request(W, 2);
  const before = await waitFor(
    () => budgetState(account),
    (st) => st.waiting.length === 1 && st.held.length === 3,
    'W waiting',
  );
  const rPermit = before.held.find((p) => p.holder === R.workflowId)!.permitId;
  const xIds = before.held.filter((p) => p.holder === X.workflowId).map((p) => p.permitId);

  // R renews every 400 ms; X never does, but X is running (a worker outage, a slow holder): its permits stay its own,
  // however many lease lengths go by, and W keeps waiting.
  let renewing = true;
  const renewer = (async () => {
    while (renewing) {
      await R.executeUpdate(holderRenewUpdate);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  })();
  try {
    // At least two lease lengths each, however long a loaded machine takes to get there.
    const during = await waitFor(
      () => budgetState(account),
      (st) => (st.leaseExtensions ?? 0) >= 4,
      'two lease extensions of each permit of X',
      30_000,
    );
    expect(during.held.filter((p) => p.holder === X.workflowId).map((p) => p.permitId)).toEqual(xIds);
    expect(heldBy(during, W.workflowId)).toBe(0);
    expect(during.reclaimed).toBe(0);
    expect(during.leaseExtensions).toBeGreaterThanOrEqual(4); // 2 permits, at least twice each
    expect(during.held.every((p) => p.leaseExpiresAt > Date.now() - 1_000)).toBe(true);

    // X finishes without giving its permits back: gone, so its two come back and go to W.
    await X.signal(holderFinishSignal);
    await X.result();
    const after = await waitFor(
      () => budgetState(account),
      (st) => heldBy(st, W.workflowId) === 2,
      'W granted 2',
    );
    expect(after.reclaimed).toBe(2);
    expect(after.waiting).toEqual([]);
    expect(after.held.map((p) => p.permitId)).not.toEqual(expect.arrayContaining([xIds[0]]));
    expect(after.held.find((p) => p.holder === R.workflowId)?.permitId).toBe(rPermit);
  } finally {
    renewing = false;
    await renewer;
  }
  await release(R, [rPermit]);
  const end = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, R.workflowId) === 0,
    'R released',
  );
  expect(heldBy(end, W.workflowId)).toBe(2);
  expect(end.held).toHaveLength(2);

  await Promise.all([R, W].map((h) => h.signal(holderFinishSignal)));
  await budgetHandle(account).terminate('test done');
});

test('a budget starting for the first time asks no holder of another budget to report; restarted, it asks them all', async () => {
  const keyA = uniqueId('acct-first-a');
  const keyB = uniqueId('acct-first-b');
  const H = await startScripted(keyA, 'H', { capacity: 1 });
  await request(H, 1);
  await waitFor(
    () => view(H),
    (v) => v.received.length === 1,
    'H received 1 from budget A',
  );
  /** The `reportPermits` prompts H has taken, by the budget that sent them. */
  const promptsTo = async (holder: WorkflowHandle<typeof scriptedHolder>) =>
    ((await holder.fetchHistory()).events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((signaled) => signaled?.signalName === reportPermitsSignal.name)
      .map((signaled) =>
        env.client.options.loadedDataConverter.payloadConverter.fromPayload(signaled!.input!.payloads![0]!),
      )
      .map((payload) => (payload as { budgetKey: string }).budgetKey);

  // Budget B's first run: granting G's request means its recovery is over, and it asked nobody.
  const G = await startScripted(keyB, 'G', { capacity: 1 });
  await request(G, 1);
  await waitFor(
    () => view(G),
    (v) => v.received.length === 1,
    'G received 1 from a budget B starting for the first time',
  );
  expect(await promptsTo(H)).toEqual([]);
  expect(await promptsTo(G)).toEqual([]);

  // Restarted after a terminate, B cannot tell who holds its permits: every running holder is asked, H too.
  await budgetHandle(keyB).terminate('operator reset');
  await G.executeUpdate(holderRenewUpdate);
  await waitFor(
    () => promptsTo(H),
    (budgets) => budgets.length === 1,
    'H prompted by the restarted budget B',
  );
  expect(await promptsTo(H)).toEqual([keyB]);
  await Promise.all([H, G].map((h) => h.signal(holderFinishSignal)));
  await Promise.all([keyA, keyB].map((key) => budgetHandle(key).terminate('test done')));
});

test('a grant to a holder that no longer exists is taken back and goes to the next in line', async () => {
  const account = uniqueId('acct-gone');
  const Y = await startScripted(account, 'Y', { capacity: 1 });
  const X = await startScripted(account, 'X');
  const Z = await startScripted(account, 'Z');
  await request(Y, 1);
  await request(X, 1);
  await request(Z, 1);
  await waitFor(
    () => budgetState(account),
    (st) => st.waiting.length === 2,
    'X and Z waiting',
  );
  // X finishes without cancelling.
  await X.signal(holderFinishSignal);
  await X.result();
  const yIds = (await view(Y)).received;
  await release(Y, yIds);
  const s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, Z.workflowId) === 1,
    'Z granted',
  );
  expect(s).toMatchObject({ undelivered: 1, waiting: [], granted: 3 });
  expect(s.held).toHaveLength(1);

  await Promise.all([Y, Z].map((h) => h.signal(holderFinishSignal)));
  await budgetHandle(account).terminate('test done');
});

test('continue-as-new carries holders, the waiting queue and counters', async () => {
  const account = uniqueId('acct-can');
  // Start the budget ourselves with a tiny signal threshold: a new run after every 2 signals.
  const first = await env.client.workflow.start(callBudget, {
    taskQueue: worker.taskQueue,
    workflowId: callBudgetWorkflowId(account),
    args: [{ account, budgetKey: account, capacity: 3, maxSignalsPerRun: 2 }],
  });
  const A = await startScripted(account, 'A');
  const B = await startScripted(account, 'B');
  const C = await startScripted(account, 'C');
  await request(A, 2);
  await request(B, 3);
  // The second signal made the run hand over: the next run must still know A's 2, B's 1 and B's 2 owed.
  let s = await waitFor(
    async () => ({ state: await budgetState(account), runId: (await budgetHandle(account).describe()).runId }),
    ({ state, runId }) => runId !== first.firstExecutionRunId && heldBy(state, B.workflowId) === 1,
    'a new run with B holding 1',
  ).then((x) => x.state);
  expect(heldBy(s, A.workflowId)).toBe(2);
  expect(waitingOf(s)).toEqual([[B.workflowId, 2]]);
  expect(s.capacity).toBe(3);

  await request(C, 1);
  const aIds = (
    await waitFor(
      () => view(A),
      (v) => v.received.length === 2,
      'A received 2',
    )
  ).received;
  await release(A, [aIds[0]!]);
  await release(A, [aIds[1]!]);
  s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, B.workflowId) === 3,
    'B holding 3',
  );
  expect(waitingOf(s)).toEqual([[C.workflowId, 1]]);
  const bIds = (
    await waitFor(
      () => view(B),
      (v) => v.received.length === 3,
      'B received 3',
    )
  ).received;
  await release(B, bIds);
  s = await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, C.workflowId) === 1,
    'C holding 1',
  );
  expect(s).toMatchObject({ waiting: [], granted: 6, reclaimed: 0, undelivered: 0 });
  expect(s.held).toHaveLength(1);

  // Permit ids stay unique across runs.
  const views = await Promise.all([A, B, C].map((h) => view(h)));
  const received = views.flatMap((v) => v.received);
  expect(received).toHaveLength(6);
  expect(new Set(received).size).toBe(6);

  // Walk the chain of runs: several continued-as-new (the last hand-over may still be under way), and every run that
  // has run workflow code replays deterministically; at least the two runs that continued-as-new have.
  const runs = await waitFor(
    () => budgetRuns(account, first.firstExecutionRunId),
    (r) => r.length >= 3,
    '3 runs',
  );
  expect(await replayRuns(account, runs)).toBeGreaterThanOrEqual(2);

  await Promise.all([A, B, C].map((h) => h.signal(holderFinishSignal)));
  await budgetHandle(account).terminate('test done');
});

test('a run still in its continue-as-new backoff (history: its start event alone) is not replayed', async () => {
  const account = uniqueId('acct-backoff');
  // One signal per run: the first run continues-as-new within its first second, so the server delays the next run's
  // first workflow task, and for that while the next run's history is its start event alone.
  const first = await env.client.workflow.start(callBudget, {
    taskQueue: worker.taskQueue,
    workflowId: callBudgetWorkflowId(account),
    args: [{ account, budgetKey: account, capacity: 1, maxSignalsPerRun: 1 }],
  });
  await first.signal(releasePermitsSignal, { holder: 'nobody', permitIds: [] });
  const runs = await waitFor(
    () => budgetRuns(account, first.firstExecutionRunId),
    (r) => r.length === 2,
    '2 runs',
  );
  const started = runs[1]!.history.events![0]!;
  // Exactly what fetchHistory returns for the new run during the backoff, whether or not this machine was quick
  // enough to see it live.
  const inBackoff = { runId: runs[1]!.runId, history: { events: [started] } as History };
  expect(started.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBe(first.firstExecutionRunId);

  expect(await replayRuns(account, [runs[0]!, inBackoff], 20_000)).toBe(1);
  await budgetHandle(account).terminate('test done');
});

test('budget terminated while 3 holders hold all 8 permits and others wait: everyone is served, no id reused, never more than 8', async () => {
  const key = uniqueId('app-terminated');
  const start = (name: string, calls: number, concurrency: number) =>
    env.client.workflow.start(dialingHolder, {
      taskQueue: worker.taskQueue,
      workflowId: uniqueId(`dialer-${name}`),
      args: [{ account: key, budgetKey: key, capacity: 8, calls, concurrency, holdMs: 6_000, renewEveryMs: 60_000 }],
    });
  // A, B and C each have 10 participants and 3 free room slots; D (2 participants) comes when every permit is out.
  const A = await start('A', 10, 3);
  await waitFor(
    () => budgetState(key),
    (s) => heldBy(s, A.workflowId) === 3,
    'A holding 3',
  );
  const B = await start('B', 10, 3);
  await waitFor(
    () => budgetState(key),
    (s) => heldBy(s, B.workflowId) === 3,
    'B holding 3',
  );
  const C = await start('C', 10, 3);
  await waitFor(
    () => budgetState(key),
    (s) => heldBy(s, C.workflowId) === 2,
    'C holding 2',
  );
  const D = await start('D', 2, 2);
  const before = await waitFor(
    () => budgetState(key),
    (s) => s.waiting.some((w) => w.holder === D.workflowId),
    'D waiting',
  );
  expect(before.held).toHaveLength(8);
  const firstRun = (await budgetHandle(key).describe()).runId;

  // An operator resets the budget: the run and everything it knew is gone.
  await budgetHandle(key).terminate('operator reset');
  const terminatedAt = Date.now();

  let sampling = true;
  let sampledMax = 0;
  const sampler = (async () => {
    while (sampling) {
      try {
        sampledMax = Math.max(sampledMax, (await budgetState(key)).held.length);
      } catch {
        // not running at this instant
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const results = await within(
    Promise.all([A, B, C, D].map((h) => h.result())),
    60_000,
    'every holder served after the budget was terminated',
  ).finally(async () => {
    sampling = false;
    await sampler;
  });
  // 32 legs of 6 s on 8 lines take 24 s; recovery may add seconds, never minutes.
  expect(Date.now() - terminatedAt).toBeLessThan(45_000);

  expect(results.map((r) => r.intervals.length)).toEqual([10, 10, 10, 2]);
  const all = results.flatMap((r) => r.intervals);
  expect(new Set(all.map((i) => i.permitId)).size).toBe(32); // no permit id handed out twice
  expect(maxOverlap(all)).toBeLessThanOrEqual(8);
  expect(sampledMax).toBeLessThanOrEqual(8);

  const after = await waitFor(
    () => budgetState(key),
    (s) => s.held.length === 0,
    'every permit back at the new budget',
  );
  expect(after.waiting).toEqual([]);
  // How many permits the new run adopted from reports depends on how many legs were still up when it started (on a
  // loaded machine, all may have ended first); what must hold is above: served, unique ids, never more than 8.
  expect(after.recovering).toBe(false);
  expect((await budgetHandle(key).describe()).runId).not.toBe(firstRun);
  // Its recovery (prompt activity, waiting for reports) replays deterministically.
  await Worker.runReplayHistory(replayOptions, await budgetHandle(key).fetchHistory(), callBudgetWorkflowId(key));
  await budgetHandle(key).terminate('test done');
});

test('two account names on the same Hoiio application share one budget of 8', async () => {
  const appId = uniqueId('app-shared');
  const hoiio = hoiioConfigFromEnv(twoAccountsOnOneApp(appId));
  const holders = await Promise.all(
    ['sales', 'support'].map((account) =>
      env.client.workflow.start(greedyHolder, {
        taskQueue: worker.taskQueue,
        workflowId: uniqueId(`greedy-${account}`),
        args: [{ account, budgetKey: selectHoiioAccount(hoiio, account).appId, want: 8, holdMs: 1_500 }],
      }),
    ),
  );
  const results = await within(Promise.all(holders.map((h) => h.result())), 60_000, 'both holders served');
  const all = results.flatMap((r) => r.intervals);
  expect(all).toHaveLength(16);
  expect(new Set(all.map((i) => i.permitId)).size).toBe(16);
  expect(maxOverlap(all)).toBe(8);

  const s = await waitFor(
    () => budgetState(appId),
    (st) => st.held.length === 0,
    'every permit back',
  );
  expect(s).toMatchObject({ capacity: 8, granted: 16, budgetKey: appId });
  for (const name of ['sales', 'support']) {
    await expect(budgetHandle(name).describe()).rejects.toThrow(/not found/i);
  }
  await budgetHandle(appId).terminate('test done');
});

test('malformed messages to the budget and to a pool are dropped and counted; nothing else changes', async () => {
  const key = uniqueId('acct-malformed');
  const A = await startScripted(key, 'A', { capacity: 2 });
  await request(A, 1);
  const first = (
    await waitFor(
      () => view(A),
      (v) => v.received.length === 1,
      'A received 1',
    )
  ).received;
  const budget = budgetHandle(key);
  // Anyone with access to the namespace can send anything, under any signal name (the temporal CLI, a buggy client).
  const bad: [string, unknown][] = [
    ['requestPermits', null],
    ['requestPermits', { requestId: 'r1', holder: A.workflowId, count: 'two' }],
    ['requestPermits', { requestId: '', holder: A.workflowId, count: 1 }],
    ['releasePermits', undefined],
    ['releasePermits', { holder: A.workflowId, permitIds: 'all' }],
    ['renewPermits', null],
    ['renewPermits', { holder: 5, permitIds: [] }],
    ['renewPermits', { holder: A.workflowId, permitIds: first, bindings: [{ permitId: first[0] }] }],
    ['cancelPermitRequest', 'everything'],
    ['cancelPermitRequest', { holder: A.workflowId }],
  ];
  for (const [name, payload] of bad) await budget.signal(name, payload);
  // A real request after them: once it is served, every bad one (earlier in the history) has been handled.
  await request(A, 1);
  const s = await waitFor(
    () => budgetState(key),
    (st) => heldBy(st, A.workflowId) === 2,
    'A holding 2',
  );
  expect(s.malformed).toBe(bad.length);
  expect(s.waiting).toEqual([]);
  expect(s.held.map((p) => p.permitId)).toContain(first[0]);

  const badForPool: [string, unknown][] = [
    ['permitsGranted', null],
    ['permitsGranted', { requestId: 7, permitIds: ['x'] }],
    ['permitsGranted', { requestId: 'r', permitIds: 'x' }],
    ['reportPermits', 42],
  ];
  for (const [name, payload] of badForPool) await A.signal(name, payload);
  await A.executeUpdate(holderRenewUpdate); // handled after the signals above
  const v = await view(A);
  expect(v.malformed).toBe(badForPool.length);
  expect(v.held).toHaveLength(2);
  await release(A, v.held);
  await waitFor(
    () => budgetState(key),
    (st) => st.held.length === 0,
    'A released both',
  );
  await A.signal(holderFinishSignal);
  await budget.terminate('test done');
});

test('a grant handed back in a holder’s last workflow task reaches the budget before the holder completes', async () => {
  const account = uniqueId('acct-late-grant');
  const S = await startScripted(account, 'S');
  await request(S, 1); // starts the budget
  await waitFor(
    () => budgetState(account),
    (st) => heldBy(st, S.workflowId) === 1,
    'S holding 1',
  );
  const H = await env.client.workflow.start(closingHolder, {
    taskQueue: worker.taskQueue,
    workflowId: uniqueId('holder-H'),
    args: [{ account, budgetKey: account }],
  });
  await view(H);

  // A grant that crossed the cancel of its request, and the end: the worker is down while both arrive, so H reads
  // them in one workflow task, hands the permit straight back and has nothing left to wait for.
  await worker.stop();
  await H.signal(permitsGrantedSignal, { requestId: 'withdrawn', permitIds: [`${account}-late`] });
  await H.signal(holderFinishSignal);
  worker = await startTestWorker(env, {
    workflowsPath,
    activities: createBudgetActivities(env.client),
    taskQueue: worker.taskQueue,
  });
  await H.result();

  // The server drops a signal whose sender has closed: the release must have arrived before H completed.
  const events = (await H.fetchHistory()).events ?? [];
  const releases = events.filter(
    (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === releasePermitsSignal.name,
  );
  const delivered = new Set(
    events.map((e) => String(e.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId ?? '')),
  );
  expect(releases.map((e) => ({ event: String(e.eventId), delivered: delivered.has(String(e.eventId)) }))).toEqual([
    { event: String(releases[0]?.eventId), delivered: true },
  ]);
  await S.signal(holderFinishSignal);
  await budgetHandle(account).terminate('test done');
});
