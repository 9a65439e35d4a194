import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createConferenceActivities,
  type PlaceCallRequest,
  type PlaceCallResult,
} from '../../src/activities/conference';
import { hoiioConfigFromEnv } from '../../src/hoiio/config';
import { Receiver } from '../simulator/helpers';
import { eventually, rejectionOf, useSimHarness } from '../hoiio/sim-harness';

/**
 * The IVR activities in a mock activity context against the real simulator over HTTP: the dial shares the conference
 * dial's reconcile-by-tag (a retry after a lost reply adopts the call instead of ringing the responder again), and
 * the blocks send their notify_url on the receiver's IVR path. 600 simulated seconds a real one.
 */
const ACKS = '+6596000001'; // answers, presses 1 two seconds into a Gather
const RINGS = '+6596000002'; // rings for an hour

const harness = useSimHarness(
  {
    outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    timing: { ringSeconds: { min: 1, max: 1 }, ivrMessageSeconds: 2, ivrIdleSeconds: 6_000 },
    scripts: {
      [ACKS]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 2, talkSeconds: 6_000 },
      [RINGS]: { outcome: 'answered', ringSeconds: 3_600 },
    },
    historyLagMs: 0,
    faults: { api: { '*': null, 'ivr/start/dial': null } },
  },
  { timeScale: 600 },
);

let receiver: Receiver;
beforeAll(async () => {
  receiver = await new Receiver().start();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.received.length = 0;
});

let tagCount = 0;

function activities() {
  return createConferenceActivities({
    hoiio: hoiioConfigFromEnv({ HOIIO_BASE_URL: harness().sim.baseUrl }),
    publicUrl: `${receiver.url}/`,
    historySettleMs: 500,
  });
}

function ivrCall(number: string): PlaceCallRequest {
  tagCount += 1;
  return {
    account: 'default',
    room: '',
    numbers: [number],
    tag: `esc-${tagCount}`,
    begunAt: Date.now(),
    ivr: { msg: 'Incident 42: the database is down.', maxDurationSeconds: 3_600 },
  };
}

function attempt(attemptNumber: number, heartbeatDetails?: unknown): MockActivityEnvironment {
  return new MockActivityEnvironment(
    { attempt: attemptNumber, heartbeatDetails },
    { logger: new DefaultLogger('ERROR') },
  );
}

function place(env: MockActivityEnvironment, request: PlaceCallRequest): Promise<PlaceCallResult> {
  const dial = activities();
  const run = (req: PlaceCallRequest): Promise<PlaceCallResult> => dial.placeIvrCall(req);
  return env.run<[PlaceCallRequest], PlaceCallResult, typeof run>(run, request);
}

/** Runs one activity of the set in a fresh first attempt. */
function run<Arg, Result>(pick: (set: ReturnType<typeof activities>) => (arg: Arg) => Promise<Result>, arg: Arg) {
  const fn = pick(activities());
  return attempt(1).run<[Arg], Result, typeof fn>(fn, arg);
}

async function callsTagged(tag: string) {
  return (await harness().calls()).filter((call) => call.tag === tag);
}

async function ready(txnRef: string): Promise<void> {
  await eventually(`call ${txnRef} to wait for a block`, async () => {
    const call = (await harness().calls()).find((candidate) => candidate.txn_ref === txnRef);
    return call?.ivr_phase === 'idle' || undefined;
  });
}

/** The IVR notifications received, as fields plus the URL's path and routing params. */
function received(): Record<string, string>[] {
  return receiver.received.map((hit) => {
    const url = new URL(hit.url, 'http://x');
    return {
      ...Object.fromEntries(new URLSearchParams(hit.body)),
      path: url.pathname,
      bk_session: url.searchParams.get('bk_session') ?? '',
      has_token: String(url.searchParams.has('bk_token')),
    };
  });
}

describe('placeIvrCall', () => {
  it('dials the one number with ivr/start/dial and answers its txn_ref and session; notifications come to the IVR path', async () => {
    const request = ivrCall(ACKS);
    const placed = await place(attempt(1), request);
    const [call] = await callsTagged(request.tag);
    expect(placed).toMatchObject({ adopted: false, notPlaced: [], conferenceCallRequests: 1, attempts: 1 });
    expect(placed.legs).toEqual([{ number: ACKS, txnRef: call?.txn_ref, session: call?.session }]);
    expect(call).toMatchObject({ kind: 'ivr', endpoint: 'ivr/start/dial', has_notify_url: true });
    const first = await eventually('the dial notification', () => Promise.resolve(received()[0]));
    expect(first).toMatchObject({
      path: '/hoiio/ivr',
      bk_session: expect.any(String) as unknown,
      has_token: 'true',
      txn_ref: call?.txn_ref,
      tag: request.tag,
      dial_status: 'answered',
    });
  });

  it('on a retry after a lost reply, adopts the call it finds by tag instead of dialing the responder again', async () => {
    const request = ivrCall(RINGS);
    await harness().config({ faults: { api: { 'ivr/start/dial': { http5xxAfterRate: 1, http5xxStatus: 502 } } } });
    const failure = await rejectionOf(place(attempt(1), request));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'transport_http_status', nonRetryable: false });
    await harness().config({ faults: { api: { 'ivr/start/dial': null } } });

    const adopted = await place(
      attempt(2, { conferenceCallRequests: 1, historyLookups: 0, retryReasons: ['transport_http_status'] }),
      request,
    );
    const calls = await callsTagged(request.tag);
    expect(calls).toHaveLength(1);
    expect(adopted).toMatchObject({ adopted: true, notPlaced: [], conferenceCallRequests: 1, attempts: 2 });
    expect(adopted.legs).toEqual([{ number: RINGS, txnRef: calls[0]?.txn_ref, session: calls[0]?.session }]);
  });

  it('refuses a request without ivr or with other than one number, for good', async () => {
    const twoNumbers = { ...ivrCall(ACKS), numbers: [ACKS, RINGS] };
    const { ivr: _ivr, ...noIvr } = ivrCall(ACKS);
    for (const request of [twoNumbers, noIvr]) {
      const failure = await rejectionOf(place(attempt(1), request));
      expect(failure).toMatchObject({ type: 'InvalidIvrRequest', nonRetryable: true });
    }
    expect(await harness().calls()).toEqual([]);
  });
});

describe('the IVR blocks', () => {
  async function answeredCall(): Promise<{ session: string; txnRef: string; tag: string }> {
    const request = ivrCall(ACKS);
    const { legs } = await place(attempt(1), request);
    const leg = legs[0]!;
    await ready(leg.txnRef);
    return { session: leg.session!, txnRef: leg.txnRef, tag: request.tag };
  }

  it('ivrGather: the digits come to the IVR path with the block tag', async () => {
    const { session, txnRef } = await answeredCall();
    await run((set) => (request) => set.ivrGather(request), {
      account: 'default',
      session,
      tag: 'esc:t1:gather',
      msg: 'Press 1 to acknowledge, 2 to decline.',
      maxDigits: 1,
      timeoutSeconds: 10,
      attempts: 3,
    });
    const gathered = await eventually('the gather notification', () =>
      Promise.resolve(received().find((fields) => fields.tag === 'esc:t1:gather')),
    );
    expect(gathered).toMatchObject({ path: '/hoiio/ivr', has_token: 'true', txn_ref: txnRef, digits: '1' });
  });

  it('ivrTransfer moves the call into the room and answers it', async () => {
    const { session, txnRef } = await answeredCall();
    const result = await run((set) => (request) => set.ivrTransfer(request), {
      account: 'default',
      session,
      tag: 'esc:t1:join',
      room: 'INC42',
      msg: 'Joining the bridge.',
    });
    expect(result).toEqual({ room: 'INC42' });
    const call = (await harness().calls()).find((candidate) => candidate.txn_ref === txnRef);
    expect(call).toMatchObject({ room: 'INC42', transfer_dest: 'room:INC42' });
  });

  it('ivrHangup without a msg hangs up at once (force); a block on the ended session fails for good', async () => {
    const { session, txnRef } = await answeredCall();
    await run((set) => (request) => set.ivrHangup(request), { account: 'default', session, tag: 'esc:t1:bye' });
    const call = (await harness().calls()).find((candidate) => candidate.txn_ref === txnRef);
    expect(call).toMatchObject({ state: 'ended', ended_by: 'ivr_hangup' });
    const ended = await eventually('the end notification', () =>
      Promise.resolve(received().find((fields) => fields.call_state === 'ended')),
    );
    // The minutes billed, as the ledger has them (a loaded machine can stretch the call past its first minute).
    const billed = (await harness().calls()).find((candidate) => candidate.txn_ref === txnRef)!;
    expect(ended).toMatchObject({
      path: '/hoiio/ivr',
      tag: 'esc:t1:bye',
      dial_status: 'answered',
      duration: String(billed.duration),
    });
    expect(Number(billed.duration)).toBeGreaterThanOrEqual(1);

    const failure = await rejectionOf(
      run((set) => (request) => set.ivrGather(request), {
        account: 'default',
        session,
        tag: 'esc:t1:late',
        msg: 'Still there?',
        maxDigits: 1,
        timeoutSeconds: 5,
        attempts: 1,
      }),
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'error_session_ended', nonRetryable: true });
  });

  it('ivrHangup with a msg speaks it first', async () => {
    const { session, txnRef } = await answeredCall();
    await run((set) => (request) => set.ivrHangup(request), {
      account: 'default',
      session,
      tag: 'esc:t1:bye',
      msg: 'Thank you.',
    });
    const call = await eventually('the call to end', async () => {
      const found = (await harness().calls()).find((candidate) => candidate.txn_ref === txnRef);
      return found?.state === 'ended' ? found : undefined;
    });
    expect(call).toMatchObject({ ended_by: 'ivr_hangup', blocks: ['dial'] });
  });
});
