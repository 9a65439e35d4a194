import { type RunningSimulator } from '../../dev/simulator';
import { verifyNotificationSignature } from '../../src/hoiio/signature';
import { classifyStatus, IVR_ERRORS } from '../../src/hoiio/statuses';
import { api, calls, matching, numbers, Receiver, simGet, simPost, start, waitFor, type SimCall } from './helpers';

/**
 * The IVR API of the simulator over real HTTP: the dial's outcomes, Gather with and without keys, callee hang-ups,
 * transfers into rooms (full ones refused), the 8 calls shared with conference/call, billing, and the signed
 * notifications each block sends. 100 simulated seconds a real second: a ring of 2 s takes 20 ms.
 */
const SCALE = 100;

const ANSWERS = '+6591110001';
const PRESSES_1 = '+6591110002';
const PRESSES_123 = '+6591110003';
const PRESSES_LATE = '+6591110004';
const HANGS_UP_MID_MESSAGE = '+6591110005';
const TALKS_90 = '+6591110006';
const BUSY = '+6591110007';
const UNANSWERED = '+6591110008';
const FAILED = '+6591110009';
const LONG = '+6591110010';
const RINGS = '+6591110011';

type Fields = Record<string, string>;

describe('the IVR API', () => {
  let sim: RunningSimulator;
  let receiver: Receiver;
  const seen = new Set<string>();

  beforeAll(async () => {
    receiver = await new Receiver().start();
    sim = await start({
      timeScale: SCALE,
      accounts: [{ appId: 'other-app', accessToken: 'other-token' }],
    });
  });
  beforeEach(async () => {
    await simPost(sim, '/_sim/reset', {});
    const { http } = await simPost(sim, '/_sim/config', {
      replaceScripts: true,
      timing: { ringSeconds: { min: 2, max: 2 }, ivrMessageSeconds: 3, ivrIdleSeconds: 30 },
      faults: { notifications: { dropRate: 0, duplicateRate: 0, delayRate: 0, delayMs: 0, reorderRate: 0 } },
      scripts: {
        [ANSWERS]: { outcome: 'answered', ringSeconds: 2 },
        [PRESSES_1]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 5 },
        [PRESSES_123]: { outcome: 'answered', ringSeconds: 2, keys: '123#', keyAfterSeconds: 2 },
        [PRESSES_LATE]: { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 20 },
        [HANGS_UP_MID_MESSAGE]: { outcome: 'answered', ringSeconds: 2, hangUpAfterSeconds: 1 },
        [TALKS_90]: { outcome: 'answered', ringSeconds: 2, hangUpAfterSeconds: 90 },
        [BUSY]: { outcome: 'busy', ringSeconds: 2 },
        [UNANSWERED]: { outcome: 'unanswered', ringSeconds: 2 },
        [FAILED]: { outcome: 'failed', ringSeconds: 2 },
        [LONG]: { outcome: 'answered', ringSeconds: 1, talkSeconds: 36_000 },
        [RINGS]: { outcome: 'answered', ringSeconds: 3_600 },
      },
      limits: { maxConcurrentCalls: 8 },
    });
    expect(http).toBe(200);
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
    // Each status the IVR endpoints answered here is in the status table (or is a missing parameter's).
    expect([...seen].filter((status) => classifyStatus(status).category === 'unknown')).toEqual([]);
    expect([...seen].filter((status) => (IVR_ERRORS as readonly string[]).includes(status)).length).toBeGreaterThan(8);
  });

  const url = (step: string): string => `${receiver.url}/hoiio/ivr?step=${step}`;

  async function dial(dest: string, extra: Record<string, string> = {}): Promise<{ session: string; txnRef: string }> {
    const { body } = await api(sim, 'ivr/start/dial', {
      dest,
      msg: 'Incident 42: the database is down.',
      tag: 'dial-tag',
      notify_url: url('dial'),
      ...extra,
    });
    expect(body).toEqual({ status: 'success_ok', session: matching(/^S\d+$/), txn_ref: matching(/^AA-C-\d+$/) });
    return { session: body.session as string, txnRef: body.txn_ref as string };
  }

  /** Every notification received for `txnRef`, as fields, with the step of the URL it came to. */
  function notices(txnRef: string): Fields[] {
    return receiver.received
      .map((hit): Fields => ({
        ...Object.fromEntries(new URLSearchParams(hit.body)),
        step: new URL(hit.url, 'http://x').searchParams.get('step') ?? '',
      }))
      .filter((fields) => fields.txn_ref === txnRef);
  }

  const noticeWith = (txnRef: string, callState: string, count = 1) =>
    waitFor(() => {
      const found = notices(txnRef).filter((fields) => fields.call_state === callState);
      return found.length >= count ? found : undefined;
    }, 10_000);

  const callOf = async (txnRef: string): Promise<SimCall | undefined> =>
    (await calls(sim)).find((call) => call.txn_ref === txnRef);

  async function expectStatus(
    endpoint: string,
    params: Record<string, string>,
    status: string,
    auth?: { app_id: string; access_token: string },
  ): Promise<void> {
    const { body } = await api(sim, endpoint, { ...auth, ...params });
    expect(body.status).toBe(status);
    if (status !== 'success_ok') seen.add(status);
  }

  it('accepts the per-number script form with IVR fields, and refuses bad keys', async () => {
    const ok = await simPost(sim, '/_sim/config', {
      scripts: { '+6591110001': { outcome: 'answered', keys: '1', keyAfterSeconds: 5 } },
    });
    expect(ok.http).toBe(200);
    const bad = await simPost(sim, '/_sim/config', { scripts: { '+6591110001': { outcome: 'answered', keys: 'x' } } });
    expect(bad.http).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('scripts.+6591110001.keys');
  });

  it('answered: speaks the msg, notifies ongoing with dial_status, then hangs up a call left without a block', async () => {
    const dialedAt = Date.now();
    const { session, txnRef } = await dial(ANSWERS);
    const [ongoing] = await noticeWith(txnRef, 'ongoing');
    // 2 s of ring and 3 s of message before the notification.
    expect(Date.now() - dialedAt).toBeGreaterThanOrEqual(45);
    expect(ongoing).toEqual({
      session,
      txn_ref: txnRef,
      tag: 'dial-tag',
      call_state: 'ongoing',
      dest: ANSWERS,
      dial_status: 'answered',
      step: 'dial',
    });
    const [ended] = await noticeWith(txnRef, 'ended');
    expect(ended).toEqual({
      session,
      txn_ref: txnRef,
      tag: 'dial-tag',
      call_state: 'ended',
      dest: ANSWERS,
      dial_status: 'answered',
      date: matching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      duration: '1',
      currency: 'SGD',
      rate: '0.020',
      debit: '0.020',
      step: 'dial',
    });
    expect(await callOf(txnRef)).toMatchObject({
      kind: 'ivr',
      session,
      room: '',
      state: 'ended',
      ended_by: 'idle',
      call_status_dest: 'answered',
      blocks: ['dial'],
      digits: [],
      endpoint: 'ivr/start/dial',
    });
  });

  it('signs every IVR notification like a conference one, and logs its delivery as an IVR one', async () => {
    const { session, txnRef } = await dial(ANSWERS);
    await noticeWith(txnRef, 'ongoing');
    const hit = receiver.received.find((received) => received.body.includes(txnRef));
    expect(hit?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(verifyNotificationSignature(hit?.body ?? '', hit?.headers['x-hoiio-signature'], 'demo-token')).toBe(true);
    const log = await waitFor(async () => {
      const entries = (await simGet<{ notifications: Record<string, unknown>[] }>(sim, '/_sim/notifications'))
        .notifications;
      return entries.some((entry) => entry.outcome === 'delivered') ? entries : undefined;
    });
    expect(log[0]).toMatchObject({ txn_ref: txnRef, kind: 'ivr', session, call_state: 'ongoing' });
  });

  it.each([
    ['busy', BUSY],
    ['unanswered', UNANSWERED],
    ['failed', FAILED],
  ])('%s: one ended notification with that dial_status and nothing billed', async (outcome, dest) => {
    const { session, txnRef } = await dial(dest);
    const [ended] = await noticeWith(txnRef, 'ended');
    expect(ended).toMatchObject({
      session,
      call_state: 'ended',
      dial_status: outcome,
      duration: '0',
      debit: '0.000',
      step: 'dial',
    });
    expect(notices(txnRef)).toHaveLength(1);
    await expectStatus('ivr/middle/gather', { session, notify_url: url('gather') }, 'error_session_ended');
  });

  it('gather: the scripted keys at keyAfterSeconds, to the gather notify_url with its tag', async () => {
    const { session, txnRef } = await dial(PRESSES_1);
    await noticeWith(txnRef, 'ongoing');
    const began = Date.now();
    await expectStatus(
      'ivr/middle/gather',
      {
        session,
        notify_url: url('gather'),
        msg: 'Press 1 to acknowledge, 2 to decline.',
        max_digits: '1',
        timeout: '10',
        attempts: '3',
        tag: 'gather-tag',
      },
      'success_ok',
    );
    const [, gathered] = await noticeWith(txnRef, 'ongoing', 2);
    expect(Date.now() - began).toBeGreaterThanOrEqual(45);
    expect(gathered).toEqual({
      session,
      txn_ref: txnRef,
      tag: 'gather-tag',
      call_state: 'ongoing',
      dest: PRESSES_1,
      digits: '1',
      step: 'gather',
    });
    expect(await callOf(txnRef)).toMatchObject({ blocks: ['dial', 'gather'], digits: ['1'], ivr_phase: 'idle' });
  });

  it('gather: keys end at # and are cut at max_digits', async () => {
    const { session, txnRef } = await dial(PRESSES_123);
    await noticeWith(txnRef, 'ongoing');
    await expectStatus('ivr/middle/gather', { session, notify_url: url('g1'), max_digits: '2' }, 'success_ok');
    const [, first] = await noticeWith(txnRef, 'ongoing', 2);
    expect(first?.digits).toBe('12');
    await expectStatus('ivr/middle/gather', { session, notify_url: url('g2') }, 'success_ok');
    const [, , second] = await noticeWith(txnRef, 'ongoing', 3);
    expect(second?.digits).toBe('123');
  });

  it('gather: no keys, or keys after timeout × attempts, give empty digits once every attempt timed out', async () => {
    for (const dest of [ANSWERS, PRESSES_LATE]) {
      const { session, txnRef } = await dial(dest);
      await noticeWith(txnRef, 'ongoing');
      const began = Date.now();
      await expectStatus(
        'ivr/middle/gather',
        { session, notify_url: url('gather'), max_digits: '1', timeout: '5', attempts: '2' },
        'success_ok',
      );
      const [, gathered] = await noticeWith(txnRef, 'ongoing', 2);
      expect(gathered?.digits).toBe('');
      expect(Date.now() - began).toBeGreaterThanOrEqual(95);
    }
  });

  it('a callee who hangs up mid-message ends the call: only the ended notification, one minute billed', async () => {
    const { txnRef } = await dial(HANGS_UP_MID_MESSAGE);
    const [ended] = await noticeWith(txnRef, 'ended');
    expect(ended).toMatchObject({ call_state: 'ended', dial_status: 'answered', duration: '1', debit: '0.020' });
    expect(notices(txnRef)).toHaveLength(1);
    expect(await callOf(txnRef)).toMatchObject({ ended_by: 'callee', blocks: [] });
  });

  it('bills whole minutes from answer, debits the account, and shows in query_status and get_history by tag', async () => {
    const before = (await api(sim, 'user/get_balance')).body.balance;
    const { session, txnRef } = await dial(TALKS_90, { tag: 'bill-me' });
    const ongoing = await api(sim, 'voice/query_status', { txn_ref: txnRef });
    expect(ongoing.body).toMatchObject({ status: 'success_ok', txn_ref: txnRef, call_status_dest1: 'ongoing' });
    const history = await api(sim, 'voice/get_history', {});
    expect(history.body.entries).toEqual([
      expect.objectContaining({ txn_ref: txnRef, tag: 'bill-me', dest1: TALKS_90, session }),
    ]);
    // Kept alive with gathers so the idle hang-up does not cut it short.
    await noticeWith(txnRef, 'ongoing');
    await expectStatus('ivr/middle/gather', { session, notify_url: url('g'), timeout: '60' }, 'success_ok');
    const [ended] = await noticeWith(txnRef, 'ended');
    expect(ended).toMatchObject({ duration: '2', rate: '0.020', debit: '0.040', step: 'g' });
    // The latest block (the gather) carried no tag, so the end carries none either.
    expect(ended?.tag).toBeUndefined();
    const after = (await api(sim, 'user/get_balance')).body.balance;
    expect(Number(before) - Number(after)).toBeCloseTo(0.04, 3);
    const final = await api(sim, 'voice/query_status', { txn_ref: txnRef });
    expect(final.body).toMatchObject({ call_status_dest1: 'answered', duration: '2', debit: '0.040' });
  });

  it('transfer into a room: a room member until moderated, notified only at the end with transfer_status', async () => {
    const { session, txnRef } = await dial(ANSWERS);
    await noticeWith(txnRef, 'ongoing');
    const { body } = await api(sim, 'ivr/end/transfer', {
      session,
      dest: 'room:Bridge_42',
      on_failure: 'continue',
      tag: 'transfer-tag',
      notify_url: url('transfer'),
    });
    expect(body).toEqual({ status: 'success_ok', room: 'Bridge_42' });
    expect(await callOf(txnRef)).toMatchObject({ room: 'Bridge_42', transfer_dest: 'room:Bridge_42' });
    await waitFor(async () => (await callOf(txnRef))?.ivr_phase === 'transferred' || undefined);
    expect(
      (await simGet<{ peakRoomParticipants: Record<string, number> }>(sim, '/_sim/stats')).peakRoomParticipants,
    ).toMatchObject({ Bridge_42: 1 });
    // After the End block no block goes through; the call is a room member instead.
    await expectStatus('ivr/end/hangup', { session }, 'error_session_ended');
    await expectStatus('conference/moderate', { txn_ref: txnRef, action: 'mute' }, 'success_ok');
    expect(notices(txnRef)).toHaveLength(1);
    await expectStatus('conference/moderate', { txn_ref: txnRef, action: 'kick' }, 'success_ok');
    const [ended] = await noticeWith(txnRef, 'ended');
    expect(ended).toMatchObject({
      tag: 'transfer-tag',
      dial_status: 'answered',
      transfer_status: 'answered',
      duration: '1',
      step: 'transfer',
    });
    expect(await callOf(txnRef)).toMatchObject({ ended_by: 'kick', blocks: ['dial', 'transfer'], muted: true });
  });

  it('a transferred call stays for its talkSeconds, then ends; `room:` alone makes a new room', async () => {
    await simPost(sim, '/_sim/config', {
      scripts: { [ANSWERS]: { outcome: 'answered', ringSeconds: 2, talkSeconds: 30 } },
    });
    const { session, txnRef } = await dial(ANSWERS);
    await noticeWith(txnRef, 'ongoing');
    const { body } = await api(sim, 'ivr/end/transfer', { session, dest: 'room:' });
    expect(body).toEqual({ status: 'success_ok', room: matching(/^R\d+$/) });
    const [ended] = await noticeWith(txnRef, 'ended');
    // 3 s of message, then 30 s in the room: within the first minute.
    expect(ended).toMatchObject({ transfer_status: 'answered', duration: '1', step: 'dial' });
    expect(await callOf(txnRef)).toMatchObject({ ended_by: 'completed', room: body.room });
  });

  it('a transfer to a number bills that leg on top at its own rate; a failed one follows on_failure', async () => {
    const target = '+60123456789';
    const busyTarget = '+60123456780';
    await simPost(sim, '/_sim/config', {
      scripts: {
        [target]: { outcome: 'answered', ringSeconds: 2, talkSeconds: 60 },
        [busyTarget]: { outcome: 'busy', ringSeconds: 2 },
      },
    });
    const first = await dial(ANSWERS);
    await noticeWith(first.txnRef, 'ongoing');
    expect((await api(sim, 'ivr/end/transfer', { session: first.session, dest: target })).body).toEqual({
      status: 'success_ok',
    });
    const [ended] = await noticeWith(first.txnRef, 'ended');
    // About 65 s from answer at 0.020 (2 minutes), plus the transferred leg's 60 s at +60's 0.050.
    expect(ended).toMatchObject({ transfer_status: 'answered', duration: '2', rate: '0.020', debit: '0.090' });

    const second = await dial(ANSWERS);
    await noticeWith(second.txnRef, 'ongoing');
    await expectStatus(
      'ivr/end/transfer',
      { session: second.session, dest: busyTarget, on_failure: 'continue', notify_url: url('transfer'), tag: 'tr' },
      'success_ok',
    );
    const [, failed] = await noticeWith(second.txnRef, 'ongoing', 2);
    expect(failed).toMatchObject({ call_state: 'ongoing', transfer_status: 'busy', tag: 'tr', step: 'transfer' });
    await expectStatus('ivr/end/transfer', { session: second.session, dest: busyTarget }, 'success_ok');
    const [hungUp] = await noticeWith(second.txnRef, 'ended');
    expect(hungUp).toMatchObject({ transfer_status: 'busy', dial_status: 'answered', step: 'dial' });
    expect(await callOf(second.txnRef)).toMatchObject({ ended_by: 'transfer_failed', transfer_dest: busyTarget });
  });

  it('a full room refuses the transfer with error_invalid_room, and the session stays usable', async () => {
    const members = numbers(8, 93_000_000);
    await simPost(sim, '/_sim/config', {
      scripts: Object.fromEntries(
        members.map((n) => [n, { outcome: 'answered', ringSeconds: 1, talkSeconds: 36_000 }]),
      ),
    });
    const { session, txnRef } = await dial(ANSWERS);
    await noticeWith(txnRef, 'ongoing');
    // The IVR call holds one of the 8 lines: 7 conference legs fill the rest, then an 8th member joins when one ends.
    const seven = await api(sim, 'conference/call', { dest: members.slice(0, 7).join(','), room: 'Full' });
    expect(seven.body.status).toBe('success_ok');
    // A room of 7 with one seat left: raise the account limit only, to fill the room to 8 with conference legs.
    await simPost(sim, '/_sim/config', { limits: { maxConcurrentCalls: 20 } });
    expect((await api(sim, 'conference/call', { dest: members[7] ?? '', room: 'Full' })).body.status).toBe(
      'success_ok',
    );
    await expectStatus('ivr/end/transfer', { session, dest: 'room:Full' }, 'error_invalid_room');
    await expectStatus('ivr/middle/gather', { session, notify_url: url('gather') }, 'success_ok');
  });

  it('IVR calls count toward the 8 concurrent calls that conference/call uses too', async () => {
    const legs = numbers(7, 94_000_000);
    await simPost(sim, '/_sim/config', {
      scripts: Object.fromEntries(legs.map((n) => [n, { outcome: 'answered', ringSeconds: 1, talkSeconds: 36_000 }])),
    });
    expect((await api(sim, 'conference/call', { dest: legs.join(',') })).body.status).toBe('success_ok');
    const { txnRef } = await dial(RINGS);
    await expectStatus('ivr/start/dial', { dest: ANSWERS }, 'error_concurrent_call_limit_reached');
    await expectStatus('conference/call', { dest: ANSWERS }, 'error_concurrent_call_limit_reached');
    const stats = await simGet<{ activeCalls: Record<string, number> }>(sim, '/_sim/stats');
    expect(stats.activeCalls['demo-app']).toBe(8);
    // voice/hangup ends the IVR call by its txn_ref, and frees its line.
    await expectStatus('voice/hangup', { txn_ref: txnRef }, 'success_ok');
    expect((await callOf(txnRef))?.ended_by).toBe('hangup');
    expect((await api(sim, 'ivr/start/dial', { dest: ANSWERS })).body.status).toBe('success_ok');
  });

  it('hangup with a msg ends once it is spoken, notified to the hangup notify_url; force ends at once', async () => {
    const first = await dial(ANSWERS);
    await noticeWith(first.txnRef, 'ongoing');
    const began = Date.now();
    await expectStatus(
      'ivr/end/hangup',
      { session: first.session, msg: 'Thank you.', tag: 'bye', notify_url: url('hangup') },
      'success_ok',
    );
    await expectStatus('ivr/middle/gather', { session: first.session, notify_url: url('g') }, 'error_session_ended');
    const [ended] = await noticeWith(first.txnRef, 'ended');
    expect(Date.now() - began).toBeGreaterThanOrEqual(25);
    expect(ended).toMatchObject({ tag: 'bye', step: 'hangup', dial_status: 'answered', duration: '1' });
    expect((await callOf(first.txnRef))?.ended_by).toBe('ivr_hangup');

    // Forced while still ringing: never answered, nothing billed.
    const second = await dial(RINGS, { notify_url: url('dial2') });
    await expectStatus('ivr/end/hangup', { session: second.session, force: 'enabled' }, 'success_ok');
    const [forced] = await noticeWith(second.txnRef, 'ended');
    expect(forced).toMatchObject({ dial_status: 'unanswered', duration: '0', step: 'dial2' });
  });

  it('without a notify_url, the dial hangs up after its msg and tells no one', async () => {
    const { body } = await api(sim, 'ivr/start/dial', { dest: ANSWERS, msg: 'Just so you know.' });
    const txnRef = body.txn_ref as string;
    await waitFor(async () => (await callOf(txnRef))?.state === 'ended' || undefined);
    expect(await callOf(txnRef)).toMatchObject({ ended_by: 'completed', duration: '1', has_notify_url: false });
    expect(notices(txnRef)).toEqual([]);
  });

  it('answers the session and parameter errors', async () => {
    await expectStatus('ivr/middle/gather', { session: 'S1', notify_url: url('g') }, 'error_invalid_session');
    await expectStatus('ivr/middle/gather', { session: 'S1' }, 'error_notify_url_param_missing');
    await expectStatus('ivr/end/hangup', {}, 'error_session_param_missing');
    await expectStatus('ivr/start/dial', {}, 'error_dest_param_missing');
    await expectStatus('ivr/start/dial', { dest: '6591110001' }, 'error_dest_invalid');
    await expectStatus('ivr/start/dial', { dest: ANSWERS, msg: 'x'.repeat(1001) }, 'error_msg_invalid_length');
    await expectStatus('ivr/start/dial', { dest: ANSWERS, max_duration: '0' }, 'error_invalid_max_duration');

    const ringing = await dial(RINGS);
    await expectStatus(
      'ivr/middle/gather',
      { session: ringing.session, notify_url: url('g') },
      'error_session_not_ready',
    );
    // Speaking the dial's msg (2 real seconds here): not ready for a block either.
    await simPost(sim, '/_sim/config', { timing: { ivrMessageSeconds: 200 } });
    const { session, txnRef } = await dial(LONG);
    await waitFor(async () => (await callOf(txnRef))?.ivr_phase === 'dial-message' || undefined);
    await expectStatus('ivr/end/transfer', { session, dest: 'room:R1' }, 'error_session_not_ready');
    await expectStatus('ivr/middle/gather', { session, notify_url: url('g') }, 'error_session_access_denied', {
      app_id: 'other-app',
      access_token: 'other-token',
    });
    const g = { session, notify_url: url('g') };
    await expectStatus('ivr/middle/gather', { ...g, max_digits: '256' }, 'error_invalid_max_digits');
    await expectStatus('ivr/middle/gather', { ...g, timeout: '0' }, 'error_invalid_timeout');
    await expectStatus('ivr/middle/gather', { ...g, attempts: 'x' }, 'error_invalid_attempts');
    await expectStatus('ivr/end/transfer', { session, dest: 'room:bad room' }, 'error_invalid_room');
    await expectStatus('ivr/end/transfer', { session, dest: 'nowhere' }, 'error_dest_invalid');
    await expectStatus(
      'ivr/end/transfer',
      { session, dest: 'room:A', on_failure: 'retry' },
      'error_on_failure_invalid',
    );
    await expectStatus('ivr/end/hangup', { session, force: 'enabled' }, 'success_ok');
    await expectStatus('ivr/end/hangup', { session, force: 'enabled' }, 'error_session_ended');
  });

  it('applies the notification fault knobs to IVR notifications', async () => {
    await simPost(sim, '/_sim/config', { faults: { notifications: { duplicateRate: 1 } } });
    const { txnRef } = await dial(BUSY);
    const copies = await noticeWith(txnRef, 'ended', 2);
    expect(copies[0]).toEqual(copies[1]);
    const log = await simGet<{ notifications: Record<string, unknown>[] }>(sim, '/_sim/notifications');
    expect(log.notifications.map((entry) => [entry.kind, entry.copy, entry.call_state])).toEqual([
      ['ivr', 1, 'ended'],
      ['ivr', 2, 'ended'],
    ]);
  });
});
