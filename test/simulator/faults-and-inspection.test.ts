import { type RunningSimulator, startSimulator } from '../../dev/simulator';
import { api, calls, numbers, simGet, simPost, start, matching } from './helpers';

describe('injected API faults', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await start({
      outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
      timing: { ringSeconds: { min: 3_600, max: 3_600 } },
    });
  });
  beforeEach(async () => {
    await simPost(sim, '/_sim/reset', {});
    await simPost(sim, '/_sim/config', {
      faults: { api: { '*': null, 'conference/call': null, 'user/get_balance': null } },
    });
  });
  afterAll(() => sim.close());

  it('rateLimitRate 1 on one endpoint answers error_rate_limit_exceeded there only', async () => {
    await simPost(sim, '/_sim/config', { faults: { api: { 'user/get_balance': { rateLimitRate: 1 } } } });
    expect((await api(sim, 'user/get_balance')).body).toEqual({ status: 'error_rate_limit_exceeded' });
    expect((await api(sim, 'voice/get_rate', { dest1: '+6511111111', dest2: '+6511111112' })).body.status).toBe(
      'success_ok',
    );
  });

  it('internalErrorRate 1 on every endpoint answers error_internal_server_error', async () => {
    await simPost(sim, '/_sim/config', { faults: { api: { '*': { internalErrorRate: 1 } } } });
    expect((await api(sim, 'user/get_balance')).body).toEqual({ status: 'error_internal_server_error' });
    expect((await api(sim, 'voice/query_status', { txn_ref: 'AA-C-1' })).body).toEqual({
      status: 'error_internal_server_error',
    });
    const stats = await simGet<{ rejections: Record<string, number> }>(sim, '/_sim/stats');
    expect(stats.rejections.error_internal_server_error).toBe(2);
  });

  it('http5xxRate answers a bare 5xx and dials nothing; http5xxAfterRate dials, then answers 5xx', async () => {
    await simPost(sim, '/_sim/config', {
      faults: { api: { 'conference/call': { http5xxRate: 1, http5xxStatus: 502 } } },
    });
    const before = await api(sim, 'conference/call', { dest: '+6511111111', tag: 'lost-1' });
    expect(before.http).toBe(502);
    expect(before.body).toEqual({});
    expect(await calls(sim)).toHaveLength(0);

    await simPost(sim, '/_sim/config', {
      faults: { api: { 'conference/call': { http5xxRate: 0, http5xxAfterRate: 1, http5xxStatus: 500 } } },
    });
    const after = await api(sim, 'conference/call', { dest: '+6511111111', tag: 'lost-2' });
    expect(after.http).toBe(500);
    // The ambiguous case: the client saw a failure, yet the leg is live and get_history finds it by tag.
    const history = await api(sim, 'voice/get_history', {});
    expect((history.body.entries as { tag: string }[]).map((entry) => entry.tag)).toEqual(['lost-2']);
    const stats = await simGet<{ http5xx: Record<string, number> }>(sim, '/_sim/stats');
    expect(stats.http5xx).toEqual({ '500': 1, '502': 1 });
  });

  it('slowRate holds the reply back by slowMs', async () => {
    await simPost(sim, '/_sim/config', { faults: { api: { 'user/get_balance': { slowRate: 1, slowMs: 250 } } } });
    const started = Date.now();
    expect((await api(sim, 'user/get_balance')).body.status).toBe('success_ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('a fractional rate is reproducible for a seed', async () => {
    const pattern = async (): Promise<string> => {
      await simPost(sim, '/_sim/config', {
        seed: 7,
        faults: { api: { 'user/get_balance': { internalErrorRate: 0.5 } } },
      });
      await simPost(sim, '/_sim/reset', {});
      let seen = '';
      for (let index = 0; index < 20; index += 1)
        seen += (await api(sim, 'user/get_balance')).body.status === 'success_ok' ? '.' : 'x';
      return seen;
    };
    const first = await pattern();
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await pattern()).toBe(first);
  });
});

describe('inspection', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await start({
      outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
      timing: { ringSeconds: { min: 3_600, max: 3_600 } },
    });
  });
  afterAll(() => sim.close());

  it('/_sim/calls lists every leg with Hoiio field names and no secret', async () => {
    await simPost(sim, '/_sim/reset', {});
    const notify = 'http://127.0.0.1:9/hook?secret=s3cr3t';
    await api(sim, 'conference/call', { dest: '+6511111111', room: 'Insp', tag: 't', notify_url: notify });
    const response = await simGet<{ calls: Record<string, unknown>[] }>(sim, '/_sim/calls');
    expect(response.calls).toEqual([
      expect.objectContaining({
        txn_ref: matching(/^AA-C-\d+$/),
        dest: '+6511111111',
        room: 'Insp',
        tag: 't',
        app_id: 'demo-app',
        call_status_dest: 'ongoing',
        duration: null,
        rate: '0.020',
        debit: null,
        currency: 'SGD',
        dialed_at: matching(/Z$/),
        answered_at: null,
        ended_at: null,
      }),
    ]);
    const text = JSON.stringify(response) + JSON.stringify(await simGet(sim, '/_sim/config'));
    expect(text).not.toContain('demo-token');
    expect(text).not.toContain('s3cr3t');
  });

  it('/_sim/stats proves the peaks; /_sim/reset clears calls, stats and rate windows', async () => {
    await simPost(sim, '/_sim/reset', {});
    const dests = numbers(8);
    await api(sim, 'conference/call', { dest: dests.slice(0, 5).join(','), room: 'P1' });
    await api(sim, 'conference/call', { dest: dests.slice(5).join(','), room: 'P2' });
    await api(sim, 'conference/call', { dest: '+6599999999', room: 'P3' });
    await api(sim, 'conference/call', { dest: '+6599999999' }, { method: 'PUT' });
    const stats = await simGet<Record<string, Record<string, number>>>(sim, '/_sim/stats');
    expect(stats.requests).toEqual({ 'conference/call': 4 });
    expect(stats.rejections).toEqual({ error_concurrent_call_limit_reached: 1, error_invalid_http_method: 1 });
    expect(stats.peakConcurrentCalls).toEqual({ 'demo-app': 8 });
    expect(stats.peakRoomParticipants).toEqual({ P1: 5, P2: 3 });
    expect(stats.activeCalls).toEqual({ 'demo-app': 8 });

    await simPost(sim, '/_sim/config', { rateLimits: { 'user/get_balance': 1 } });
    expect((await api(sim, 'user/get_balance')).body.status).toBe('success_ok');
    expect((await api(sim, 'user/get_balance')).body.status).toBe('error_rate_limit_exceeded');

    expect((await simPost(sim, '/_sim/reset', {})).body).toEqual({ status: 'reset' });
    expect(await calls(sim)).toEqual([]);
    const cleared = await simGet<Record<string, Record<string, number>>>(sim, '/_sim/stats');
    expect([cleared.requests, cleared.rejections, cleared.peakConcurrentCalls, cleared.peakRoomParticipants]).toEqual([
      {},
      {},
      {},
      {},
    ]);
    expect(cleared.activeCalls).toEqual({ 'demo-app': 0 });
    expect((await api(sim, 'user/get_balance')).body.status).toBe('success_ok');
    // And the 8 calls that were live no longer count against the limit.
    expect((await api(sim, 'conference/call', { dest: numbers(8).join(',') })).body.status).toBe('success_ok');
    await simPost(sim, '/_sim/config', { rateLimits: { 'user/get_balance': 60 } });
  });

  it.each([
    [{ timeScale: 0 }, 'timeScale'],
    [{ faults: { notifications: { dropRate: 1.5 } } }, 'faults.notifications.dropRate'],
    [{ scripts: { '6511': { outcome: 'busy' } } }, 'scripts'],
    [{ scripts: { '+6511111111': { outcome: 'maybe' } } }, 'scripts.+6511111111'],
    [{ rateLimits: { 'conference/call': -1 } }, 'rateLimits.conference/call'],
    [{ accounts: [{ appId: 'new-app' }] }, 'accounts.new-app.accessToken'],
    [{ accounts: [{ appId: 'x', accessToken: 'y', points: '1.0001' }] }, 'accounts.0.points'],
    [{ knob: 1 }, 'knob'],
  ])('POST /_sim/config rejects %j with a 400 naming %s', async (body, field) => {
    const { http, body: reply } = await simPost(sim, '/_sim/config', body);
    expect(http).toBe(400);
    expect(String(reply.error)).toContain(field);
  });

  it('a rejected config patch changes nothing', async () => {
    const before = await simGet(sim, '/_sim/config');
    await simPost(sim, '/_sim/config', {
      timeScale: 50,
      accounts: [{ appId: 'ok-app', accessToken: 't' }, { appId: 'bad-app' }],
    });
    expect(await simGet(sim, '/_sim/config')).toEqual(before);
  });

  it('startSimulator rejects bad options naming the field', async () => {
    await expect(startSimulator({ port: 0, timeScale: -1 })).rejects.toThrow('timeScale');
  });
});
