import { type RunningSimulator } from '../../dev/simulator';
import { formatHoiioDate } from '../../src/domain/hoiio-time';
import { api, calls, simGet, simPost, start, waitFor, matching } from './helpers';

const HOLD = { outcome: 'answered' as const, ringSeconds: 0, talkSeconds: 3_600 };
const RINGING = { outcome: 'answered' as const, ringSeconds: 3_600, talkSeconds: 60 };

describe('the other endpoints', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await start({
      timeScale: 1,
      scripts: { '+6511111111': HOLD, '+6522222222': RINGING, '+6533333333': HOLD },
      accounts: [{ appId: 'other-app', accessToken: 'other-token', currency: 'USD', points: '5.000', bonus: '1.250' }],
    });
  });
  beforeEach(async () => {
    await simPost(sim, '/_sim/reset', {});
  });
  afterAll(() => sim.close());

  async function dial(dest: string, extra: Record<string, string> = {}): Promise<string[]> {
    const { body } = await api(sim, 'conference/call', { dest, ...extra });
    expect(body.status).toBe('success_ok');
    return body.txn_refs as string[];
  }

  describe('voice/query_status', () => {
    it('describes a live leg as ongoing, without duration or debit', async () => {
      const [ref = ''] = await dial('+6522222222', { tag: 'q-1' });
      const { body } = await api(sim, 'voice/query_status', { txn_ref: ref });
      expect(body).toEqual({
        status: 'success_ok',
        txn_ref: ref,
        tag: 'q-1',
        dest1: '+6522222222',
        call_status_dest1: 'ongoing',
        date: matching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
        currency: 'SGD',
        rate: '0.020',
      });
      // GMT+8, to the second.
      const leg = (await calls(sim))[0];
      expect(body.date).toBe(formatHoiioDate(Date.parse(leg?.dialed_at ?? '')));
    });

    it('fills duration and debit once the leg has ended; works over GET too', async () => {
      const [ref = ''] = await dial('+6511111111');
      await waitFor(async () => (await calls(sim))[0]?.state === 'answered');
      expect((await api(sim, 'voice/hangup', { txn_ref: ref })).body.status).toBe('success_ok');
      const { body } = await api(sim, 'voice/query_status', { txn_ref: ref }, { method: 'GET' });
      expect(body).toMatchObject({
        status: 'success_ok',
        call_status_dest1: 'answered',
        duration: '1',
        rate: '0.020',
        debit: '0.020',
      });
      expect(body).not.toHaveProperty('tag');
    });

    it('errors: missing txn_ref, unknown txn_ref, another application’s txn_ref, PUT', async () => {
      const [ref = ''] = await dial('+6522222222');
      expect((await api(sim, 'voice/query_status', {})).body).toEqual({ status: 'error_txn_ref_param_missing' });
      expect((await api(sim, 'voice/query_status', { txn_ref: 'AA-C-1' })).body).toEqual({
        status: 'error_invalid_txn_ref',
      });
      const other = { app_id: 'other-app', access_token: 'other-token', txn_ref: ref };
      expect((await api(sim, 'voice/query_status', other)).body).toEqual({ status: 'error_invalid_txn_ref' });
      expect((await api(sim, 'voice/query_status', { txn_ref: ref }, { method: 'PUT' })).body.status).toBe(
        'error_invalid_http_method',
      );
      expect((await api(sim, 'voice/query_status', { txn_ref: ref, access_token: 'x' })).body.status).toBe(
        'error_invalid_access_token',
      );
    });
  });

  describe('voice/hangup', () => {
    it('ends a ringing leg as unanswered and bills nothing; a second hangup is a harmless success', async () => {
      const [ref = ''] = await dial('+6522222222');
      expect((await api(sim, 'voice/hangup', { txn_ref: ref })).body).toEqual({ status: 'success_ok' });
      const [leg] = await calls(sim);
      expect(leg).toMatchObject({
        state: 'ended',
        call_status_dest: 'unanswered',
        duration: '0',
        debit: '0.000',
        ended_by: 'hangup',
      });
      expect((await api(sim, 'voice/hangup', { txn_ref: ref }, { method: 'GET' })).body).toEqual({
        status: 'success_ok',
      });
    });

    it('errors: missing and unknown txn_ref, DELETE', async () => {
      expect((await api(sim, 'voice/hangup', {})).body).toEqual({ status: 'error_txn_ref_param_missing' });
      expect((await api(sim, 'voice/hangup', { txn_ref: 'AA-C-999' })).body).toEqual({
        status: 'error_invalid_txn_ref',
      });
      expect((await api(sim, 'voice/hangup', { txn_ref: 'x' }, { method: 'DELETE' })).body.status).toBe(
        'error_invalid_http_method',
      );
    });
  });

  describe('conference/moderate', () => {
    it('mute and unmute flip the flag; kick ends the leg', async () => {
      const [ref = ''] = await dial('+6511111111');
      await waitFor(async () => (await calls(sim))[0]?.state === 'answered');
      expect((await api(sim, 'conference/moderate', { txn_ref: ref, action: 'mute' })).body).toEqual({
        status: 'success_ok',
      });
      expect((await calls(sim))[0]?.muted).toBe(true);
      expect(
        (await api(sim, 'conference/moderate', { txn_ref: ref, action: 'unmute' }, { method: 'GET' })).body.status,
      ).toBe('success_ok');
      expect((await calls(sim))[0]?.muted).toBe(false);
      expect((await api(sim, 'conference/moderate', { txn_ref: ref, action: 'kick' })).body.status).toBe('success_ok');
      expect((await calls(sim))[0]).toMatchObject({
        state: 'ended',
        call_status_dest: 'answered',
        ended_by: 'kick',
        duration: '1',
      });
      expect((await api(sim, 'user/get_balance', {})).body.balance).toBe('99999.980');
    });

    it('errors: each missing param, a bad action, an unknown txn_ref', async () => {
      const [ref = ''] = await dial('+6522222222');
      expect((await api(sim, 'conference/moderate', { action: 'kick' })).body).toEqual({
        status: 'error_txn_ref_param_missing',
      });
      expect((await api(sim, 'conference/moderate', { txn_ref: ref })).body).toEqual({
        status: 'error_action_param_missing',
      });
      expect((await api(sim, 'conference/moderate', { txn_ref: ref, action: 'ban' })).body).toEqual({
        status: 'error_invalid_action',
      });
      expect((await api(sim, 'conference/moderate', { txn_ref: 'AA-C-5', action: 'kick' })).body).toEqual({
        status: 'error_invalid_txn_ref',
      });
      expect(
        (await api(sim, 'conference/moderate', { txn_ref: ref, action: 'kick' }, { method: 'PATCH' })).body.status,
      ).toBe('error_invalid_http_method');
    });

    it('the 61st moderate request in a minute is error_rate_limit_exceeded, per application', async () => {
      const [ref = ''] = await dial('+6522222222');
      for (let index = 0; index < 60; index += 1) {
        const action = index % 2 === 0 ? 'mute' : 'unmute';
        expect((await api(sim, 'conference/moderate', { txn_ref: ref, action })).body.status).toBe('success_ok');
      }
      expect((await api(sim, 'conference/moderate', { txn_ref: ref, action: 'mute' })).body).toEqual({
        status: 'error_rate_limit_exceeded',
      });
      // Each API is counted separately, and each application too.
      expect((await api(sim, 'voice/query_status', { txn_ref: ref })).body.status).toBe('success_ok');
      const other = { app_id: 'other-app', access_token: 'other-token', txn_ref: 'AA-C-1', action: 'mute' };
      expect((await api(sim, 'conference/moderate', other)).body.status).toBe('error_invalid_txn_ref');
      const stats = await simGet<{ requests: Record<string, number>; rejections: Record<string, number> }>(
        sim,
        '/_sim/stats',
      );
      expect(stats.requests['conference/moderate']).toBe(62);
      expect(stats.rejections.error_rate_limit_exceeded).toBe(1);
    });

    it('the window slides: requests are admitted again once it has passed', async () => {
      await simPost(sim, '/_sim/config', { rateLimitWindowMs: 300, rateLimits: { 'user/get_balance': 2 } });
      try {
        expect((await api(sim, 'user/get_balance')).body.status).toBe('success_ok');
        expect((await api(sim, 'user/get_balance')).body.status).toBe('success_ok');
        expect((await api(sim, 'user/get_balance')).body.status).toBe('error_rate_limit_exceeded');
        await new Promise((resolve) => setTimeout(resolve, 350));
        expect((await api(sim, 'user/get_balance')).body.status).toBe('success_ok');
      } finally {
        await simPost(sim, '/_sim/config', { rateLimitWindowMs: 60_000, rateLimits: { 'user/get_balance': 60 } });
      }
    });
  });

  it.each([['voice/hangup'], ['user/get_balance'], ['voice/get_rate'], ['voice/query_status'], ['voice/get_history']])(
    '%s allows 60 requests a minute, not 61',
    async (endpoint) => {
      const params: Record<string, string> =
        endpoint === 'voice/get_rate' ? { dest1: '+6511111111', dest2: '+6522222222' } : { txn_ref: 'AA-C-1' };
      for (let index = 0; index < 60; index += 1) {
        expect((await api(sim, endpoint, params)).body.status).not.toBe('error_rate_limit_exceeded');
      }
      expect((await api(sim, endpoint, params)).body.status).toBe('error_rate_limit_exceeded');
    },
  );

  describe('user/get_balance', () => {
    it('answers currency, balance = points + bonus, with 3 decimals', async () => {
      expect(
        (await api(sim, 'user/get_balance', { app_id: 'other-app', access_token: 'other-token' }, { auth: false }))
          .body,
      ).toEqual({
        status: 'success_ok',
        currency: 'USD',
        balance: '6.250',
        points: '5.000',
        bonus: '1.250',
      });
    });

    it('errors: missing token, bad app id, PUT', async () => {
      expect((await api(sim, 'user/get_balance', { app_id: 'demo-app' }, { auth: false })).body.status).toBe(
        'error_access_token_param_missing',
      );
      expect(
        (await api(sim, 'user/get_balance', { app_id: 'ghost', access_token: 'demo-token' }, { auth: false })).body
          .status,
      ).toBe('error_invalid_app_id');
      expect((await api(sim, 'user/get_balance', {}, { method: 'PUT' })).body.status).toBe('error_invalid_http_method');
    });
  });

  describe('voice/get_rate', () => {
    it('prices both legs of a callback call, with the talk time the balance buys', async () => {
      const { body } = await api(
        sim,
        'voice/get_rate',
        { app_id: 'other-app', access_token: 'other-token', dest1: '+6511111111', dest2: '+12125551234' },
        { auth: false },
      );
      // 0.020 + 0.030 = 0.050 a minute; 6.250 / 0.050 = 125 minutes.
      expect(body).toEqual({ status: 'success_ok', currency: 'USD', rate: '0.050', talktime: '125' });
    });

    it('errors: each missing param, invalid and unsupported numbers', async () => {
      expect((await api(sim, 'voice/get_rate', { dest2: '+6511111111' })).body.status).toBe(
        'error_dest1_param_missing',
      );
      expect((await api(sim, 'voice/get_rate', { dest1: '+6511111111' })).body.status).toBe(
        'error_dest2_param_missing',
      );
      expect((await api(sim, 'voice/get_rate', { dest1: '12', dest2: '+6511111111' })).body.status).toBe(
        'error_dest1_invalid',
      );
      expect((await api(sim, 'voice/get_rate', { dest1: '+6511111111', dest2: 'x' })).body.status).toBe(
        'error_dest2_invalid',
      );
      expect((await api(sim, 'voice/get_rate', { dest1: '+88212345678', dest2: '+6511111111' })).body.status).toBe(
        'error_dest1_not_supported',
      );
      expect((await api(sim, 'voice/get_rate', { dest1: '+6511111111', dest2: '+88312345678' })).body.status).toBe(
        'error_dest2_not_supported',
      );
    });
  });

  describe('voice/get_history', () => {
    it('lists this application’s legs oldest first with their tags, ongoing ones included, 100 a page', async () => {
      await simPost(sim, '/_sim/config', {
        limits: { maxConcurrentCalls: 200, maxRoomParticipants: 200, maxDestsPerRequest: 8 },
      });
      try {
        const dests = Array.from({ length: 8 }, (_, index) => `+659100000${index}`);
        for (let request = 0; request < 13; request += 1) await dial(dests.join(','), { tag: `batch-${request}` });
        await dial('+6522222222', { app_id: 'other-app', access_token: 'other-token' });

        const first = await api(sim, 'voice/get_history', {});
        expect(first.body).toMatchObject({ status: 'success_ok', entries_count: '100', total_entries_count: '104' });
        const entries = first.body.entries as Record<string, string>[];
        expect(entries[0]).toMatchObject({ tag: 'batch-0', dest1: '+6591000000', call_status_dest1: 'ongoing' });
        expect(entries[0]).not.toHaveProperty('duration');
        const second = await api(sim, 'voice/get_history', { page: '2' }, { method: 'GET' });
        expect(second.body).toMatchObject({ entries_count: '4', total_entries_count: '104' });
        expect((second.body.entries as Record<string, string>[]).map((entry) => entry.tag)).toEqual([
          'batch-12',
          'batch-12',
          'batch-12',
          'batch-12',
        ]);
        expect((await api(sim, 'voice/get_history', { page: '3' })).body).toMatchObject({
          entries_count: '0',
          entries: [],
        });
        // Entries 20..29: batch-2 holds 16..23, batch-3 24..31.
        const small = await api(sim, 'voice/get_history', { page: '3', page_size: '10' });
        expect((small.body.entries as Record<string, string>[]).map((entry) => entry.tag)).toEqual([
          ...Array<string>(4).fill('batch-2'),
          ...Array<string>(6).fill('batch-3'),
        ]);
      } finally {
        await simPost(sim, '/_sim/config', { limits: { maxConcurrentCalls: 8, maxRoomParticipants: 8 } });
      }
    });

    it('filters on the GMT+8 dial date, both ends inclusive', async () => {
      await dial('+6522222222', { tag: 'now' });
      const now = formatHoiioDate(Date.now());
      const hourAgo = formatHoiioDate(Date.now() - 3_600_000);
      const later = formatHoiioDate(Date.now() + 3_600_000);
      expect((await api(sim, 'voice/get_history', { from: hourAgo, to: later })).body.total_entries_count).toBe('1');
      expect((await api(sim, 'voice/get_history', { from: later })).body.total_entries_count).toBe('0');
      expect((await api(sim, 'voice/get_history', { to: hourAgo })).body.total_entries_count).toBe('0');
      expect((await api(sim, 'voice/get_history', { from: hourAgo, to: now })).body.total_entries_count).toBe('1');
    });

    it.each([
      [{ from: '2024-02-31 00:00:00' }, 'error_from_invalid'],
      [{ from: '2024-01-01' }, 'error_from_invalid'],
      [{ to: 'yesterday' }, 'error_to_invalid'],
      [{ from: '2024-01-02 00:00:00', to: '2024-01-01 23:59:59' }, 'error_to_before_from'],
      [{ page: '0' }, 'error_page_invalid'],
      [{ page: 'two' }, 'error_page_invalid'],
      [{ page_size: '101' }, 'error_page_size_invalid'],
    ])('rejects %j with %s', async (params, status) => {
      expect((await api(sim, 'voice/get_history', params)).body).toEqual({ status });
    });
  });
});
