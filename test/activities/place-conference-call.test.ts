import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createConferenceActivities,
  type PlaceCallRequest,
  type PlaceCallResult,
} from '../../src/activities/conference';
import { hoiioConfigFromEnv } from '../../src/hoiio/config';
import { numbers, rejectionOf, useSimHarness } from '../hoiio/sim-harness';

/**
 * The dial activity on its own, in a mock activity context, against the real simulator over HTTP: what it heartbeats
 * while Hoiio is slow, and how a retried attempt finds an earlier attempt's legs by tag instead of dialing again.
 * No Temporal server: each attempt is one `run` in a context that says which attempt it is.
 */
let tagCount = 0;

const harness = useSimHarness({
  outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
  timing: { ringSeconds: { min: 60, max: 60 } },
  historyLagMs: 0,
  faults: { api: { '*': null, 'conference/call': null } },
});

function activities(historySettleMs = 1_000) {
  return createConferenceActivities({
    hoiio: hoiioConfigFromEnv({ HOIIO_BASE_URL: harness().sim.baseUrl }),
    // Hoiio never gets to notify here: every leg rings for a minute and the simulator is reset after each test.
    publicUrl: 'http://127.0.0.1:9/',
    historySettleMs,
  });
}

function batch(dests: string[]): PlaceCallRequest {
  tagCount += 1;
  return { account: 'default', room: `room${tagCount}`, numbers: dests, tag: `batch-${tagCount}`, begunAt: Date.now() };
}

/** One attempt, as Temporal would run it: its number and the last heartbeat of the attempt before it. */
function attempt(attemptNumber: number, heartbeatDetails?: unknown): MockActivityEnvironment {
  // Failed attempts are what most of these tests are about: only errors are worth printing.
  return new MockActivityEnvironment(
    { attempt: attemptNumber, heartbeatDetails },
    {
      logger: new DefaultLogger('ERROR'),
    },
  );
}

/** Runs the attempt, keeping every heartbeat it sends with the time it was sent. */
function runAttempt(
  env: MockActivityEnvironment,
  request: PlaceCallRequest,
  settleMs?: number,
): { result: Promise<PlaceCallResult>; heartbeats: { at: number; details: unknown }[] } {
  const heartbeats: { at: number; details: unknown }[] = [];
  const started = Date.now();
  env.on('heartbeat', (details: unknown) =>
    heartbeats.push({ at: Date.now() - started, details: structuredClone(details) }),
  );
  const dial = activities(settleMs);
  const place = (req: PlaceCallRequest): Promise<PlaceCallResult> => dial.placeConferenceCall(req);
  const result = env.run<[PlaceCallRequest], PlaceCallResult, typeof place>(place, request);
  return { result, heartbeats };
}

async function dialsOf(request: PlaceCallRequest): Promise<string[]> {
  return (await harness().calls()).filter((call) => call.tag === request.tag).map((call) => call.dest);
}

/** An attempt whose request reached Hoiio and dialed, but whose reply was lost (a bare 502 after the work). */
async function lostReply(request: PlaceCallRequest): Promise<unknown> {
  await harness().config({ faults: { api: { 'conference/call': { http5xxAfterRate: 1, http5xxStatus: 502 } } } });
  const { result } = runAttempt(attempt(1), request);
  const failure = await rejectionOf(result);
  await harness().config({ faults: { api: { 'conference/call': null } } });
  return failure;
}

describe('placeConferenceCall', () => {
  it('heartbeats its progress on a clock while Hoiio takes its time to answer', async () => {
    await harness().config({ faults: { api: { 'conference/call': { slowRate: 1, slowMs: 6_000 } } } });
    const request = batch(numbers(2, 100));
    const { result, heartbeats } = runAttempt(attempt(1), request);
    const placed = await result;
    expect(placed).toMatchObject({ adopted: false, notPlaced: [], conferenceCallRequests: 1, attempts: 1 });
    expect(placed.legs.map((leg) => leg.number)).toEqual(request.numbers);
    const progress = { conferenceCallRequests: 1, historyLookups: 0, retryReasons: [] };
    // One as the request leaves, then one every 5 s while it waits: a live attempt is never taken for a dead one.
    expect(heartbeats[0]).toEqual({ at: expect.any(Number), details: progress });
    expect(heartbeats.filter((beat) => beat.at >= 4_500)).toEqual([{ at: expect.any(Number), details: progress }]);
  });

  it('on a retry, adopts the legs an attempt whose reply was lost had placed, instead of dialing them again', async () => {
    const request = batch(numbers(3, 200));
    const failure = await lostReply(request);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'transport_http_status', nonRetryable: false });
    const dialed = await harness().calls();

    const { result } = runAttempt(
      attempt(2, { conferenceCallRequests: 1, historyLookups: 0, retryReasons: ['transport_http_status'] }),
      request,
    );
    const adopted = await result;
    expect(adopted).toMatchObject({
      adopted: true,
      notPlaced: [],
      conferenceCallRequests: 1,
      historyLookups: 1,
      retryReasons: ['transport_http_status'],
      attempts: 2,
    });
    expect(adopted.legs).toEqual(
      dialed.filter((call) => call.tag === request.tag).map((call) => ({ number: call.dest, txnRef: call.txn_ref })),
    );
    expect(await dialsOf(request)).toEqual(request.numbers);
  });

  it('allows the history to lag behind the lost dial by the settle window before it concludes anything', async () => {
    await harness().config({ historyLagMs: 1_500 });
    const request = batch(numbers(2, 300));
    await lostReply(request);

    const started = Date.now();
    const { result } = runAttempt(attempt(2), request, 3_000);
    const adopted = await result;
    // The first lookup finds nothing yet; the second, once the settle window has passed, finds both legs.
    expect(adopted).toMatchObject({ adopted: true, notPlaced: [], conferenceCallRequests: 0, historyLookups: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(await dialsOf(request)).toEqual(request.numbers);
  });

  it('dials after the settle window when the earlier attempt never reached Hoiio', async () => {
    await harness().config({ faults: { api: { 'conference/call': { http5xxRate: 1, http5xxStatus: 503 } } } });
    const request = batch(numbers(2, 400));
    await rejectionOf(runAttempt(attempt(1), request).result);
    await harness().config({ faults: { api: { 'conference/call': null } } });
    expect(await dialsOf(request)).toEqual([]);

    const started = Date.now();
    const placed = await runAttempt(attempt(2), request, 1_000).result;
    expect(placed).toMatchObject({ adopted: false, conferenceCallRequests: 1, historyLookups: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await dialsOf(request)).toEqual(request.numbers);
  });

  it('fails an attempt cancelled under its request as aborted, and its retry adopts what the request dialed', async () => {
    await harness().config({ faults: { api: { 'conference/call': { slowRate: 1, slowMs: 3_000 } } } });
    const request = batch(numbers(2, 500));
    const env = attempt(1);
    const { result } = runAttempt(env, request);
    // The simulator dials at once and holds the reply back: cancel while the request waits for it.
    await waitUntil(async () => (await dialsOf(request)).length === request.numbers.length);
    env.cancel();
    const failure = await rejectionOf(result);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'transport_aborted', nonRetryable: true });
    await harness().config({ faults: { api: { 'conference/call': null } } });

    const adopted = await runAttempt(attempt(2), request).result;
    expect(adopted).toMatchObject({ adopted: true, notPlaced: [], conferenceCallRequests: 0 });
    expect(await dialsOf(request)).toEqual(request.numbers);
  });

  describe('a batch found in part', () => {
    async function partlyDialed(): Promise<PlaceCallRequest> {
      const request = batch(numbers(3, 600));
      // An earlier request with the batch's tag placed the first two numbers only.
      await harness()
        .client()
        .conferenceCall({ dest: request.numbers.slice(0, 2), room: request.room, tag: request.tag });
      return request;
    }

    it('looks again on the next attempts, since Hoiio may not list the rest yet', async () => {
      const request = await partlyDialed();
      const failure = await rejectionOf(runAttempt(attempt(2), request).result);
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'reconcile_partial', nonRetryable: false });
      expect(await dialsOf(request)).toEqual(request.numbers.slice(0, 2));
    });

    it('then adopts what it found and leaves the rest to the workflow, never dialing the batch again', async () => {
      const request = await partlyDialed();
      const adopted = await runAttempt(attempt(5), request).result;
      expect(adopted).toMatchObject({ adopted: true, notPlaced: request.numbers.slice(2), attempts: 5 });
      expect(adopted.legs.map((leg) => leg.number)).toEqual(request.numbers.slice(0, 2));
      expect(await dialsOf(request)).toEqual(request.numbers.slice(0, 2));
    });
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
