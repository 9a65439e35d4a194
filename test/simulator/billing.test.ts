import { type RunningSimulator } from '../../dev/simulator';
import { api, calls, type SimCall, simGet, simPost, start, waitFor } from './helpers';

// 6000x: a simulated minute passes in 10 ms, so whole calls finish in well under a second.
const FAST = 6_000;

async function ended(sim: RunningSimulator, count: number): Promise<SimCall[]> {
  return waitFor(async () => {
    const legs = await calls(sim);
    return legs.length === count && legs.every((leg) => leg.state === 'ended') ? legs : undefined;
  });
}

describe('billing', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await start({
      timeScale: FAST,
      scripts: {
        '+6511111111': { outcome: 'answered', ringSeconds: 5, talkSeconds: 420 }, // exactly 7 minutes
        '+6522222222': { outcome: 'answered', ringSeconds: 5, talkSeconds: 61 }, // 2 blocks
        '+6533333333': { outcome: 'answered', ringSeconds: 5, talkSeconds: 1 }, // 1 block
        '+12125551234': { outcome: 'answered', ringSeconds: 5, talkSeconds: 179 }, // 3 blocks at 0.030
        '+6544444444': { outcome: 'busy' },
        '+6555555555': { outcome: 'unanswered' },
        '+6566666666': { outcome: 'failed' },
      },
      accounts: [
        { appId: 'bonus-app', accessToken: 'bonus-token', points: '1.000', bonus: '0.050' },
        { appId: 'usd-app', accessToken: 'usd-token', currency: 'USD', rates: { '+65': '0.015' }, defaultRate: null },
      ],
    });
  });
  beforeEach(async () => {
    await simPost(sim, '/_sim/reset', {});
  });
  afterAll(() => sim.close());

  it('bills whole-minute blocks from answer: debit = rate x minutes, exact decimal strings', async () => {
    await api(sim, 'conference/call', { dest: '+6511111111,+6522222222,+6533333333,+12125551234' });
    const legs = await ended(sim, 4);
    expect(
      legs.map((leg) => [leg.dest, leg.call_status_dest, leg.duration, leg.rate, leg.debit, leg.currency]),
    ).toEqual([
      ['+6511111111', 'answered', '7', '0.020', '0.140', 'SGD'],
      ['+6522222222', 'answered', '2', '0.020', '0.040', 'SGD'],
      ['+6533333333', 'answered', '1', '0.020', '0.020', 'SGD'],
      ['+12125551234', 'answered', '3', '0.030', '0.090', 'SGD'],
    ]);
    // 100000.000 - (0.140 + 0.040 + 0.020 + 0.090)
    expect((await api(sim, 'user/get_balance')).body.balance).toBe('99999.710');
  });

  it('unanswered, busy and failed legs bill nothing', async () => {
    await api(sim, 'conference/call', { dest: '+6544444444,+6555555555,+6566666666' });
    const legs = await ended(sim, 3);
    expect(legs.map((leg) => [leg.call_status_dest, leg.duration, leg.debit, leg.answered_at])).toEqual([
      ['busy', '0', '0.000', null],
      ['unanswered', '0', '0.000', null],
      ['failed', '0', '0.000', null],
    ]);
    expect((await api(sim, 'user/get_balance')).body.balance).toBe('100000.000');
  });

  it('spends bonus before points, then refuses a leg the balance cannot cover for a minute', async () => {
    const bonus = { app_id: 'bonus-app', access_token: 'bonus-token' };
    await api(sim, 'conference/call', { ...bonus, dest: '+6511111111' });
    await ended(sim, 1);
    // 0.140 debited: 0.050 from bonus, 0.090 from points.
    expect((await api(sim, 'user/get_balance', bonus)).body).toEqual({
      status: 'success_ok',
      currency: 'SGD',
      balance: '0.910',
      points: '0.910',
      bonus: '0.000',
    });
    await simPost(sim, '/_sim/config', { accounts: [{ appId: 'bonus-app', points: '0.019', bonus: '0.000' }] });
    expect((await api(sim, 'conference/call', { ...bonus, dest: '+6533333333' })).body.status).toBe(
      'error_insufficient_credit',
    );
    await simPost(sim, '/_sim/config', { accounts: [{ appId: 'bonus-app', points: '0.020' }] });
    expect((await api(sim, 'conference/call', { ...bonus, dest: '+6533333333' })).body.status).toBe('success_ok');
    await ended(sim, 2);
    expect((await api(sim, 'user/get_balance', bonus)).body.balance).toBe('0.000');
    expect((await api(sim, 'conference/call', { ...bonus, dest: '+6533333333' })).body.status).toBe(
      'error_insufficient_credit',
    );
  });

  it('charges in the account currency at its own rates; a null default rate makes other prefixes unsupported', async () => {
    const usd = { app_id: 'usd-app', access_token: 'usd-token' };
    expect((await api(sim, 'conference/call', { ...usd, dest: '+12125551234' })).body.status).toBe(
      'error_dest_not_supported',
    );
    await api(sim, 'conference/call', { ...usd, dest: '+6511111111' });
    const [leg] = await ended(sim, 1);
    expect([leg?.currency, leg?.rate, leg?.duration, leg?.debit]).toEqual(['USD', '0.015', '7', '0.105']);
  });

  it('reset restores the configured credit', async () => {
    await api(sim, 'conference/call', { dest: '+6511111111' });
    await ended(sim, 1);
    expect((await api(sim, 'user/get_balance')).body.balance).toBe('99999.860');
    await simPost(sim, '/_sim/reset', {});
    expect((await api(sim, 'user/get_balance')).body.balance).toBe('100000.000');
  });
});

describe('outcomes: seeded and scripted', () => {
  const dests = Array.from({ length: 8 }, (_, index) => `+6580000${String(index).padStart(3, '0')}`);

  async function runOnce(seed: number): Promise<string[]> {
    const sim = await start({ seed, timeScale: FAST, limits: { maxConcurrentCalls: 64 } });
    try {
      for (let round = 0; round < 4; round += 1) {
        expect((await api(sim, 'conference/call', { dest: dests.join(','), room: `S${round}` })).body.status).toBe(
          'success_ok',
        );
      }
      const legs = await ended(sim, 32);
      return legs.map((leg) => `${leg.call_status_dest}/${leg.duration ?? ''}`);
    } finally {
      await sim.close();
    }
  }

  it('the same seed gives the same outcomes and durations; another seed differs', async () => {
    const first = await runOnce(42);
    expect(await runOnce(42)).toEqual(first);
    expect(await runOnce(43)).not.toEqual(first);
    // The default weights produce a mix, not one outcome.
    expect(new Set(first.map((entry) => entry.split('/')[0])).size).toBeGreaterThan(1);
  });

  it('a per-attempt script plays in order, then falls back to the generator; reset restarts it', async () => {
    const sim = await start({
      timeScale: FAST,
      outcomeWeights: { answered: 0, unanswered: 1, busy: 0, failed: 0 },
      scripts: {
        '+6577777777': [{ outcome: 'busy' }, { outcome: 'failed' }, { outcome: 'answered', talkSeconds: 90 }],
      },
    });
    try {
      const statuses: string[] = [];
      for (let attempt = 0; attempt < 4; attempt += 1) {
        await api(sim, 'conference/call', { dest: '+6577777777' });
        const legs = await ended(sim, attempt + 1);
        statuses.push(`${legs[attempt]?.call_status_dest ?? ''}/${legs[attempt]?.duration ?? ''}`);
      }
      expect(statuses).toEqual(['busy/0', 'failed/0', 'answered/2', 'unanswered/0']);
      await simPost(sim, '/_sim/reset', {});
      await api(sim, 'conference/call', { dest: '+6577777777' });
      expect((await ended(sim, 1))[0]?.call_status_dest).toBe('busy');
      // Scripts can be replaced at runtime too.
      await simPost(sim, '/_sim/config', { scripts: { '+6577777777': { outcome: 'failed' } } });
      await api(sim, 'conference/call', { dest: '+6577777777' });
      expect((await ended(sim, 2))[1]?.call_status_dest).toBe('failed');
      const stats = await simGet<{ peakConcurrentCalls: Record<string, number> }>(sim, '/_sim/stats');
      expect(stats.peakConcurrentCalls['demo-app']).toBe(1);
    } finally {
      await sim.close();
    }
  });
});
