import { HoiioApiError, HoiioInputError, type HoiioClient } from '../../src/hoiio';
import { eventually, rejectionOf, useSimHarness } from './sim-harness';

/**
 * The client's IVR methods over real HTTP against the simulator: parameters sent as Hoiio names them, replies read,
 * refusals typed from the status table, bad input refused before anything is sent. 600 simulated seconds a real one.
 */

const ACKS = '+6595000001'; // answers, presses 1 five seconds into a Gather
const SILENT = '+6595000002'; // answers, presses nothing
const NUMBER_TARGET = '+6595000003'; // answers a transfer to it
const RINGS = '+6595000004'; // rings for an hour

const harness = useSimHarness(
  {
    outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    timing: { ringSeconds: { min: 1, max: 1 }, ivrMessageSeconds: 2, ivrIdleSeconds: 600 },
    scripts: {
      [ACKS]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 5, talkSeconds: 600 },
      [SILENT]: { outcome: 'answered', ringSeconds: 2 },
      [NUMBER_TARGET]: { outcome: 'answered', ringSeconds: 2, talkSeconds: 120 },
      [RINGS]: { outcome: 'answered', ringSeconds: 3600 },
    },
    resolveNotifyHosts: false,
  },
  { timeScale: 600 },
);

/** Nobody listens here: the simulator's delivery log says what it sent. */
const NOTIFY = 'http://127.0.0.1:9/hoiio/ivr?bk_session=wf-1';

async function answered(client: HoiioClient, dest: string): Promise<{ session: string; txnRef: string }> {
  const dial = await client.ivrDial({ dest, msg: 'Incident 42.', tag: 'esc-1', notifyUrl: NOTIFY, maxDuration: 3600 });
  await eventually(`call ${dial.txnRef} to be ready`, async () => {
    const call = (await harness().calls()).find((candidate) => candidate.txn_ref === dial.txnRef);
    return call?.ivr_phase === 'idle' ? call : undefined;
  });
  return dial;
}

describe('IVR', () => {
  it('ivrDial answers the session and the txn_ref; query_status and history know the call', async () => {
    const client = harness().client();
    const dial = await client.ivrDial({
      dest: SILENT,
      msg: 'Hello',
      callerId: 'private',
      tag: 'esc-dial',
      notifyUrl: NOTIFY,
    });
    expect(dial).toEqual({
      session: expect.stringMatching(/^S\d+$/) as unknown,
      txnRef: expect.any(String) as unknown,
    });
    const record = await client.queryStatus(dial.txnRef);
    expect(record).toMatchObject({
      txnRef: dial.txnRef,
      callStatus: 'ongoing',
      tag: 'esc-dial',
      session: dial.session,
    });
    const history = await client.getHistory();
    expect(history.entries.find((entry) => entry.tag === 'esc-dial')).toMatchObject({
      txnRef: dial.txnRef,
      dest: SILENT,
      session: dial.session,
    });
    const [call] = await harness().calls();
    expect(call).toMatchObject({ kind: 'ivr', caller_id: 'private', session: dial.session });
  });

  it('ivrGather sends max_digits, timeout and attempts, and the digits come back', async () => {
    const client = harness().client();
    const { session, txnRef } = await answered(client, ACKS);
    await client.ivrGather({
      session,
      notifyUrl: NOTIFY,
      msg: 'Press 1 to acknowledge.',
      maxDigits: 1,
      timeout: 10,
      attempts: 3,
      tag: 'esc-gather',
    });
    const call = await eventually('the digits', async () => {
      const found = (await harness().calls()).find((candidate) => candidate.txn_ref === txnRef);
      return found?.digits.length ? found : undefined;
    });
    expect(call).toMatchObject({ digits: ['1'], blocks: ['dial', 'gather'] });
  });

  it('ivrTransfer into a room answers the room; a number transfer answers none', async () => {
    const client = harness().client();
    const first = await answered(client, ACKS);
    expect(await client.ivrTransfer({ session: first.session, room: 'Bridge.1', onFailure: 'continue' })).toEqual({
      room: 'Bridge.1',
    });
    const second = await answered(client, SILENT);
    const fresh = await client.ivrTransfer({ session: second.session, room: '', msg: 'Joining the bridge.' });
    expect(fresh.room).toMatch(/^R\d+$/);
    const third = await answered(client, SILENT);
    expect(await client.ivrTransfer({ session: third.session, dest: NUMBER_TARGET })).toEqual({});
    const calls = await harness().calls();
    expect(calls.map((call) => call.transfer_dest)).toEqual(['room:Bridge.1', `room:${fresh.room}`, NUMBER_TARGET]);
  });

  it('ivrHangup sends force=enabled, or speaks msg first', async () => {
    const client = harness().client();
    const ringing = await client.ivrDial({ dest: RINGS, msg: 'x', notifyUrl: NOTIFY });
    await client.ivrHangup({ session: ringing.session, force: true });
    const { session } = await answered(client, SILENT);
    await client.ivrHangup({ session, msg: 'Goodbye.', tag: 'esc-bye' });
    const calls = await eventually('both calls to end', async () => {
      const all = await harness().calls();
      return all.every((call) => call.state === 'ended') ? all : undefined;
    });
    expect(calls.map((call) => [call.ended_by, call.call_status_dest])).toEqual([
      ['ivr_hangup', 'unanswered'],
      ['ivr_hangup', 'answered'],
    ]);
  });

  it('types the IVR refusals from the status table', async () => {
    const client = harness().client();
    const unknown = await rejectionOf(client.ivrGather({ session: 'S1', notifyUrl: NOTIFY }));
    expect(unknown).toBeInstanceOf(HoiioApiError);
    expect(unknown).toMatchObject({ status: 'error_invalid_session', retryable: false, endpoint: 'ivr/middle/gather' });

    const ringing = await client.ivrDial({ dest: RINGS, msg: 'x', notifyUrl: NOTIFY });
    const notReady = await rejectionOf(client.ivrTransfer({ session: ringing.session, room: 'R9' }));
    expect(notReady).toMatchObject({ status: 'error_session_not_ready', retryable: true, ambiguous: false });

    await client.ivrHangup({ session: ringing.session, force: true });
    const ended = await rejectionOf(client.ivrHangup({ session: ringing.session, force: true }));
    expect(ended).toMatchObject({ status: 'error_session_ended', retryable: false, category: 'input' });

    const other = harness().client({ appId: 'other-app', accessToken: 'other-token' });
    await harness().config({ accounts: [{ appId: 'other-app', accessToken: 'other-token' }] });
    const live = await client.ivrDial({ dest: SILENT, msg: 'x', notifyUrl: NOTIFY });
    const denied = await rejectionOf(other.ivrHangup({ session: live.session, force: true }));
    expect(denied).toMatchObject({ status: 'error_session_access_denied', category: 'auth', retryable: false });
  });

  it('refuses bad parameters before sending anything', async () => {
    const client = harness().client();
    const cases: [Promise<unknown>, string][] = [
      [client.ivrDial({ dest: SILENT, msg: 'x'.repeat(501) }), 'msg'],
      [client.ivrDial({ dest: 'nope', msg: 'x' }), 'dest'],
      [client.ivrDial({ dest: SILENT, msg: 'x', maxDuration: 0 }), 'maxDuration'],
      [client.ivrGather({ session: 'S1', notifyUrl: NOTIFY, maxDigits: 256 }), 'maxDigits'],
      [client.ivrGather({ session: 'S1', notifyUrl: 'not a url' }), 'notifyUrl'],
      [client.ivrTransfer({ session: 'S1' }), 'room'],
      [client.ivrTransfer({ session: 'S1', room: 'R1', dest: SILENT }), 'room'],
      [client.ivrTransfer({ session: 'S1', room: 'bad room' }), 'room'],
      [client.ivrHangup({ session: 'S1', force: true, msg: 'bye' }), 'msg'],
      [client.ivrHangup({ session: '' }), 'session'],
    ];
    for (const [promise, path] of cases) {
      const error = await rejectionOf(promise);
      expect(error).toBeInstanceOf(HoiioInputError);
      expect((error as HoiioInputError).issues.map((issue) => issue.path)).toContain(path);
    }
    expect((await harness().stats()).requests).toEqual({});
  });
});
