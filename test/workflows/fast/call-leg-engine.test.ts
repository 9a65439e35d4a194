/**
 * The call-leg engine on its own, driven by `ringAll` (engine-workflows.ts), a caller that is not a conference
 * session, with Hoiio played by stub activities and the real call budget: what a later escalation workflow relies on.
 */
import { PAGE_PRIORITY } from '../../../src/workflows/call-legs/call-leg-engine';
import { budgetStateQuery, callBudgetWorkflowId } from '../../../src/workflows/messages';
import { uniqueId } from '../../support/temporal-test-env';
import { waitFor } from '../../support/wait-for';
import { ringAll } from './engine-workflows';
import { useStubHoiioStack } from './stub-hoiio';

const stack = useStubHoiioStack(require.resolve('./engine-workflows'));
const { hoiio, budgetKey } = stack;

function numbers(n: number, base: number): string[] {
  return Array.from({ length: n }, (_, i) => `+65${base + i + 1}`);
}

async function ring(account: string, list: string[], priority?: number) {
  return await stack.client().workflow.execute(ringAll, {
    taskQueue: stack.taskQueue(),
    workflowId: uniqueId('ring-all'),
    args: [{ account, room: 'engine_room', numbers: list, tag: uniqueId('ring'), priority }],
  });
}

/** The inputs of every `requestPermits` activity a workflow scheduled, as its history has them. */
async function permitRequestsOf(workflowId: string): Promise<Record<string, unknown>[]> {
  const history = await stack.client().workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((event) => event.activityTaskScheduledEventAttributes)
    .filter((scheduled) => scheduled?.activityType?.name === 'requestPermits')
    .map(
      (scheduled) =>
        JSON.parse(Buffer.from(scheduled!.input!.payloads![0]!.data!).toString('utf8')) as Record<string, unknown>,
    );
}

async function budgetHeld(): Promise<number> {
  const state = await stack.client().workflow.getHandle(callBudgetWorkflowId(budgetKey)).query(budgetStateQuery);
  return state.held.length;
}

describe('CallLegEngine, for a caller that is not a session', () => {
  it('dials in batches of at most 8 as permits come, settles every leg from its notification, and gives every permit back', async () => {
    const account = uniqueId('acct-a');
    const list = numbers(12, 93_000_000);
    const result = await ring(account, list);

    const requests = hoiio.requestsOf(account);
    // The first batch takes the whole account; the rest go as lines come back, one or several at a time.
    expect(requests[0]!.numbers).toHaveLength(8);
    for (const request of requests) expect(request.numbers.length).toBeLessThanOrEqual(8);
    expect(requests.flatMap((request) => request.numbers).sort()).toEqual([...list].sort());
    expect(result.outcomes.map((outcome) => outcome.kind)).toEqual(requests.map(() => 'done'));
    expect(result.ended.map((leg) => leg.number).sort()).toEqual([...list].sort());
    expect(new Set(result.ended.map((leg) => leg.source))).toEqual(new Set(['notification']));
    expect(result.counters.conferenceCall).toBe(requests.length);
    expect(hoiio.peakOnAccount).toBeLessThanOrEqual(8);
    await waitFor(budgetHeld, (held) => held === 0, 'every permit back with the budget', 10_000);
  });

  it('asks the budget for permits at the priority it was given, and at none (routine) otherwise', async () => {
    const paging = await stack.client().workflow.start(ringAll, {
      taskQueue: stack.taskQueue(),
      workflowId: uniqueId('ring-all-page'),
      args: [
        {
          account: uniqueId('acct-p'),
          room: 'engine_room',
          numbers: numbers(2, 96_000_000),
          tag: uniqueId('ring'),
          priority: PAGE_PRIORITY,
        },
      ],
    });
    const routine = await stack.client().workflow.start(ringAll, {
      taskQueue: stack.taskQueue(),
      workflowId: uniqueId('ring-all-routine'),
      args: [
        { account: uniqueId('acct-r'), room: 'engine_room', numbers: numbers(2, 96_100_000), tag: uniqueId('ring') },
      ],
    });
    await Promise.all([paging.result(), routine.result()]);
    const paged = await permitRequestsOf(paging.workflowId);
    expect(paged.length).toBeGreaterThanOrEqual(1);
    for (const input of paged) expect(input).toMatchObject({ priority: PAGE_PRIORITY, budgetKey });
    const routed = await permitRequestsOf(routine.workflowId);
    expect(routed.length).toBeGreaterThanOrEqual(1);
    // A caller that names no priority sends none, exactly as before priorities: recorded histories stay as they were.
    for (const input of routed) expect(input).not.toHaveProperty('priority');
    await waitFor(budgetHeld, (held) => held === 0, 'every permit back with the budget', 10_000);
  });

  it('hands a refusal back with the status table scope, and dials nothing more for it', async () => {
    const account = uniqueId('acct-b');
    hoiio.behave(account, { refuse: () => 'error_invalid_room' });
    const result = await ring(account, numbers(3, 94_000_000));
    expect(result.outcomes).toEqual([{ kind: 'refused', scope: 'request', type: 'error_invalid_room' }]);
    expect(result.ended).toEqual([]);
    expect(hoiio.requestsOf(account)).toEqual([]);
    await waitFor(budgetHeld, (held) => held === 0, 'every permit back with the budget', 10_000);
  });

  it('reconciles a dial whose reply was lost by its tag, and adopts the legs it placed instead of dialing again', async () => {
    const account = uniqueId('acct-c');
    const list = numbers(3, 95_000_000);
    hoiio.behave(account, { loseReply: () => true, place: (request) => request.numbers.slice(0, 2) });
    const result = await ring(account, list);
    expect(hoiio.requestsOf(account)).toHaveLength(1);
    expect(result.outcomes).toEqual([expect.objectContaining({ kind: 'done', notPlaced: [], unknown: [list[2]] })]);
    expect(result.ended.map((leg) => leg.number).sort()).toEqual(list.slice(0, 2).sort());
    expect(result.counters.historyLookups).toBeGreaterThanOrEqual(1);
  });
});
