import { type RunningSimulator } from '../../dev/simulator';
import { CONFERENCE_CALL_ERRORS, GENERIC_ERRORS } from '../../src/hoiio/statuses';
import { api, apiRaw, calls, numbers, simGet, simPost, start } from './helpers';

/** Every leg rings for an hour: nothing ends on its own while a test counts active calls. */
const HOLDING = {
  outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
  timing: { ringSeconds: { min: 3_600, max: 3_600 } },
};

describe('conference/call: all 17 statuses', () => {
  let sim: RunningSimulator;
  const seen = new Set<string>();

  beforeAll(async () => {
    sim = await start({
      ...HOLDING,
      rateLimits: { 'conference/call': 1_000 },
      accounts: [
        { appId: 'trial-app', accessToken: 'trial-token', trial: true, trialAllowedNumbers: ['+6591234567'] },
        { appId: 'poor-app', accessToken: 'poor-token', points: '0.030', bonus: '0.000' },
      ],
    });
  });
  beforeEach(async () => {
    await simPost(sim, '/_sim/reset', {});
  });
  afterAll(async () => {
    await sim.close();
    // The list in the docs is complete: 8 generic (param_missing standing for its family) + 9 specific.
    // app_id/access_token missing were seen too; the dest one stands for the family in the count of 17.
    const documented = [...seen].filter((status) => !/^error_(app_id|access_token)_param_missing$/.test(status));
    expect(documented.sort()).toEqual(
      ['success_ok', ...GENERIC_ERRORS, 'error_dest_param_missing', ...CONFERENCE_CALL_ERRORS].sort(),
    );
    expect(documented).toHaveLength(17);
  });

  async function expectStatus(promise: Promise<{ body: { status?: string } }>, status: string): Promise<void> {
    const { body } = await promise;
    expect(body.status).toBe(status);
    seen.add(status);
  }

  it('success_ok: one txn_ref per number in dest order, the room echoed', async () => {
    const dests = numbers(3);
    const { http, body } = await api(sim, 'conference/call', { dest: dests.join(','), room: 'R123', tag: 'id_1' });
    expect(http).toBe(200);
    expect(body).toEqual({
      txn_refs: [expect.stringMatching(/^AA-C-\d+$/), expect.any(String), expect.any(String)],
      room: 'R123',
      status: 'success_ok',
    });
    const refs = body.txn_refs as string[];
    // Consecutive numbers, as in the docs' example (AA-C-141147…49).
    const seqs = refs.map((ref) => Number(ref.split('-')[2]));
    expect(seqs).toEqual([seqs[0], (seqs[0] ?? 0) + 1, (seqs[0] ?? 0) + 2]);
    const legs = await calls(sim);
    expect(legs.map((leg) => [leg.txn_ref, leg.dest, leg.room, leg.tag])).toEqual(
      refs.map((ref, index) => [ref, dests[index], 'R123', 'id_1']),
    );
    seen.add('success_ok');
  });

  it('generates a room in the documented charset when none is given', async () => {
    const { body } = await api(sim, 'conference/call', { dest: numbers(1)[0] ?? '' });
    expect(body.room).toMatch(/^[A-Za-z0-9._]{1,32}$/);
  });

  it('error_invalid_http_method for PUT, DELETE and PATCH; GET works like POST', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
      await expectStatus(api(sim, 'conference/call', { dest: '+6511111111' }, { method }), 'error_invalid_http_method');
    }
    const viaGet = await api(sim, 'conference/call', { dest: '+6511111111' }, { method: 'GET' });
    expect(viaGet.body.status).toBe('success_ok');
    expect(viaGet.body.txn_refs).toHaveLength(1);
  });

  it('error_malformed_params for a broken escape or invalid UTF-8', async () => {
    await expectStatus(
      apiRaw(sim, 'conference/call', 'app_id=demo-app&access_token=demo-token&dest=%2'),
      'error_malformed_params',
    );
    const badBytes = Buffer.concat([
      Buffer.from('app_id=demo-app&access_token=demo-token&tag='),
      Buffer.from([0xc3, 0x28]),
    ]);
    await expectStatus(apiRaw(sim, 'conference/call', badBytes), 'error_malformed_params');
    await expectStatus(
      apiRaw(sim, 'conference/call', 'app_id=demo-app&access_token=demo-token&tag=%C3%28'),
      'error_malformed_params',
    );
  });

  it('error_<param>_param_missing for app_id, access_token and dest (empty counts as missing)', async () => {
    await expectStatus(
      api(sim, 'conference/call', { dest: '+6511111111' }, { auth: false }),
      'error_app_id_param_missing',
    );
    await expectStatus(
      api(sim, 'conference/call', { app_id: 'demo-app', dest: '+6511111111' }, { auth: false }),
      'error_access_token_param_missing',
    );
    await expectStatus(api(sim, 'conference/call', {}), 'error_dest_param_missing');
    await expectStatus(api(sim, 'conference/call', { dest: '' }), 'error_dest_param_missing');
  });

  it('error_invalid_app_id and error_invalid_access_token', async () => {
    await expectStatus(
      api(sim, 'conference/call', { app_id: 'nope', access_token: 'demo-token', dest: '+6511111111' }),
      'error_invalid_app_id',
    );
    await expectStatus(
      api(sim, 'conference/call', { access_token: 'demo-tokeN', dest: '+6511111111' }),
      'error_invalid_access_token',
    );
    // Another account's token does not open this one.
    await expectStatus(
      api(sim, 'conference/call', { access_token: 'trial-token', dest: '+6511111111' }),
      'error_invalid_access_token',
    );
  });

  it('error_rate_limit_exceeded once the configured conference/call limit is used up (legacy alias shares it)', async () => {
    await simPost(sim, '/_sim/config', { rateLimits: { 'conference/call': 2 } });
    try {
      expect((await api(sim, 'conference/call', { dest: '+6511111111' })).body.status).toBe('success_ok');
      expect((await api(sim, 'voice/conference', { dest: '+6511111112' })).body.status).toBe('success_ok');
      await expectStatus(api(sim, 'conference/call', { dest: '+6511111113' }), 'error_rate_limit_exceeded');
      expect(await calls(sim)).toHaveLength(2);
    } finally {
      await simPost(sim, '/_sim/config', { rateLimits: { 'conference/call': null } });
    }
  });

  it('error_internal_server_error when injected, and nothing is dialed', async () => {
    await simPost(sim, '/_sim/config', { faults: { api: { 'conference/call': { internalErrorRate: 1 } } } });
    try {
      await expectStatus(api(sim, 'conference/call', { dest: '+6511111111' }), 'error_internal_server_error');
      expect(await calls(sim)).toHaveLength(0);
    } finally {
      await simPost(sim, '/_sim/config', { faults: { api: { 'conference/call': null } } });
    }
  });

  it('error_tag_invalid_length above 256 characters; 256 is fine', async () => {
    expect((await api(sim, 'conference/call', { dest: '+6511111111', tag: 'x'.repeat(256) })).body.status).toBe(
      'success_ok',
    );
    await expectStatus(
      api(sim, 'conference/call', { dest: '+6511111111', tag: 'x'.repeat(257) }),
      'error_tag_invalid_length',
    );
  });

  it.each([['6511111111'], ['+65 1111 1111'], ['+6511111111,,+6522222222'], ['+0123456789'], ['+65abc']])(
    'error_dest_invalid for %j',
    async (dest) => {
      await expectStatus(api(sim, 'conference/call', { dest }), 'error_dest_invalid');
    },
  );

  it('error_dest_not_supported when any one number has no route, and no leg is dialed', async () => {
    await expectStatus(api(sim, 'conference/call', { dest: '+6511111111,+88212345678' }), 'error_dest_not_supported');
    expect(await calls(sim)).toHaveLength(0);
  });

  it('error_not_allowed_for_trial outside the trial numbers; a top-up (trial off) lifts it', async () => {
    const trial = { app_id: 'trial-app', access_token: 'trial-token' };
    expect((await api(sim, 'conference/call', { ...trial, dest: '+6591234567' })).body.status).toBe('success_ok');
    await expectStatus(
      api(sim, 'conference/call', { ...trial, dest: '+6591234567,+6511111111' }),
      'error_not_allowed_for_trial',
    );
    await simPost(sim, '/_sim/config', { accounts: [{ appId: 'trial-app', trial: false }] });
    expect((await api(sim, 'conference/call', { ...trial, dest: '+6511111111' })).body.status).toBe('success_ok');
    await simPost(sim, '/_sim/config', { accounts: [{ appId: 'trial-app', trial: true }] });
  });

  it.each([['bad room'], ['MY-ROOM'], ['r'.repeat(33)], ['room:R1']])('error_invalid_room for %j', async (room) => {
    await expectStatus(api(sim, 'conference/call', { dest: '+6511111111', room }), 'error_invalid_room');
  });

  it.each([['ftp://example.com/hook'], ['not a url'], ['/relative/path'], [`http://example.com/${'a'.repeat(4000)}`]])(
    'error_invalid_notify_url for %j',
    async (notifyUrl) => {
      await expectStatus(
        api(sim, 'conference/call', { dest: '+6511111111', notify_url: notifyUrl }),
        'error_invalid_notify_url',
      );
    },
  );

  it('error_unable_to_resolve_notify_url for a host that cannot resolve', async () => {
    await expectStatus(
      api(sim, 'conference/call', { dest: '+6511111111', notify_url: 'https://hooks.example.invalid/hoiio' }),
      'error_unable_to_resolve_notify_url',
    );
  });

  it('error_insufficient_credit when the balance does not cover a first minute of every leg', async () => {
    const poor = { app_id: 'poor-app', access_token: 'poor-token' };
    // 0.030 covers one +65 minute (0.020) but not two.
    await expectStatus(
      api(sim, 'conference/call', { ...poor, dest: '+6511111111,+6522222222' }),
      'error_insufficient_credit',
    );
    expect((await api(sim, 'conference/call', { ...poor, dest: '+6511111111' })).body.status).toBe('success_ok');
  });

  it('error_concurrent_call_limit_reached: the 9th concurrent call of an account, across requests and rooms', async () => {
    const dests = numbers(9);
    expect((await api(sim, 'conference/call', { dest: dests.slice(0, 5).join(','), room: 'A' })).body.status).toBe(
      'success_ok',
    );
    expect((await api(sim, 'conference/call', { dest: dests.slice(5, 8).join(','), room: 'B' })).body.status).toBe(
      'success_ok',
    );
    await expectStatus(
      api(sim, 'conference/call', { dest: dests[8] ?? '', room: 'C' }),
      'error_concurrent_call_limit_reached',
    );
    const stats = await simGet<{ peakConcurrentCalls: Record<string, number> }>(sim, '/_sim/stats');
    expect(stats.peakConcurrentCalls['demo-app']).toBe(8);
    // Another account has its own 8.
    expect(
      (await api(sim, 'conference/call', { app_id: 'trial-app', access_token: 'trial-token', dest: '+6591234567' }))
        .body.status,
    ).toBe('success_ok');
  });
});

describe('conference/call: limits and legacy alias', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await start(HOLDING);
  });
  beforeEach(async () => {
    await simPost(sim, '/_sim/reset', {});
  });
  afterAll(() => sim.close());

  it('8 destinations in one request are fine; a 9th is error_dest_invalid and dials nothing', async () => {
    expect(
      (await api(sim, 'conference/call', { dest: numbers(8).join(','), room: 'Eight' })).body.txn_refs,
    ).toHaveLength(8);
    await simPost(sim, '/_sim/reset', {});
    const { body } = await api(sim, 'conference/call', { dest: numbers(9).join(',') });
    expect(body).toEqual({ status: 'error_dest_invalid' });
    expect(await calls(sim)).toHaveLength(0);
  });

  it('the 9th active participant of a room is refused with error_invalid_room (whole request)', async () => {
    await simPost(sim, '/_sim/config', { limits: { maxConcurrentCalls: 20 } });
    try {
      const dests = numbers(10);
      expect((await api(sim, 'conference/call', { dest: dests.slice(0, 6).join(','), room: 'Full' })).body.status).toBe(
        'success_ok',
      );
      expect((await api(sim, 'conference/call', { dest: dests.slice(6, 8).join(','), room: 'Full' })).body.status).toBe(
        'success_ok',
      );
      expect((await api(sim, 'conference/call', { dest: dests[8] ?? '', room: 'Full' })).body).toEqual({
        status: 'error_invalid_room',
      });
      // The same id in a fresh room is fine; rooms of other ids are unaffected.
      expect((await api(sim, 'conference/call', { dest: dests[9] ?? '', room: 'Other' })).body.status).toBe(
        'success_ok',
      );
      const stats = await simGet<{ peakRoomParticipants: Record<string, number> }>(sim, '/_sim/stats');
      expect(stats.peakRoomParticipants).toEqual({ Full: 8, Other: 1 });
      // Once a participant leaves, there is room again.
      const first = (await calls(sim))[0];
      expect((await api(sim, 'voice/hangup', { txn_ref: first?.txn_ref ?? '' })).body.status).toBe('success_ok');
      expect((await api(sim, 'conference/call', { dest: dests[8] ?? '', room: 'Full' })).body.status).toBe(
        'success_ok',
      );
    } finally {
      await simPost(sim, '/_sim/config', { limits: { maxConcurrentCalls: 8 } });
    }
  });

  it('a request that would pass 8 concurrent calls is rejected whole: no leg dialed', async () => {
    expect((await api(sim, 'conference/call', { dest: numbers(6).join(',') })).body.status).toBe('success_ok');
    const { body } = await api(sim, 'conference/call', { dest: numbers(3, 50_000_000).join(',') });
    expect(body).toEqual({ status: 'error_concurrent_call_limit_reached' });
    expect(await calls(sim)).toHaveLength(6);
  });

  it('voice/conference (legacy) answers txn_refs as a comma-separated string', async () => {
    const { body } = await api(sim, 'voice/conference', { dest: numbers(3).join(','), room: 'Legacy' });
    expect(body.status).toBe('success_ok');
    expect(body.txn_refs).toMatch(/^AA-C-\d+,AA-C-\d+,AA-C-\d+$/);
    expect(body.room).toBe('Legacy');
  });

  it('POST params may also travel in the query string', async () => {
    const { body } = await api(sim, `conference/call?dest=${encodeURIComponent('+6511111111')}`, {});
    expect(body.status).toBe('success_ok');
  });

  it('an unknown path under /open/ is a 404', async () => {
    expect((await api(sim, 'voice/nonsense', {})).http).toBe(404);
  });
});
