/**
 * The benchmark's own pieces (dev/bench): the refill figures it reports against the performance targets, and the greedy
 * reference dialer run against a real simulator, which must keep the account's limits like anything else.
 */
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator, type SimCall, type SimStats } from '../../dev/simulator';
import { simGet } from '../../dev/simulator/inspection-client';
import { runGreedyDialer } from '../../dev/bench/greedy';
import { HoiioSecret } from '../../src/hoiio';
import { byAccount, percentile, refillFigures } from '../../dev/bench/ledger';

const leg = (dialedMs: number, endedMs: number, appId = 'demo-app'): SimCall =>
  ({
    app_id: appId,
    dialed_at: new Date(dialedMs).toISOString(),
    ended_at: new Date(endedMs).toISOString(),
  }) as SimCall;

describe('refill figures', () => {
  test('percentiles are nearest-rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  test('a freed line is refilled by the next dial: the gap is that dial minus the hang-up', () => {
    // Eight legs fill the lines at 0; each ends at 100 + 10 i and the next eight are dialed 5 + i ms after.
    const first = Array.from({ length: 8 }, (_, i) => leg(0, 100 + 10 * i));
    const second = Array.from({ length: 8 }, (_, i) => leg(100 + 10 * i + 5 + i, 1_000));
    const figures = refillFigures([...first, ...second]);
    expect(figures.refills).toBe(8);
    expect(figures.p50GapMs).toBe(8);
    expect(figures.p99GapMs).toBe(12);
    expect(figures.maxGapMs).toBe(12);
  });

  test('the ledger splits by account', () => {
    const accounts = byAccount([leg(0, 1, 'a'), leg(0, 1, 'b'), leg(2, 3, 'a')]);
    expect([...accounts].map(([appId, calls]) => [appId, calls.length])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });
});

describe('greedy reference dialer', () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startSimulator({
      port: 0,
      timeScale: 3_000,
      outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    });
  });

  afterAll(async () => {
    await simulator?.close();
  });

  test('dials every number once, never over 8 lines, and returns once every leg has ended', async () => {
    const sessions = Array.from({ length: 3 }, (_, s) =>
      Array.from({ length: 7 }, (_, i) => `+65${81_000_000 + s * 100 + i}`),
    );
    const account = {
      baseUrl: simulator.baseUrl,
      appId: DEMO_ACCOUNT.appId,
      accessToken: new HoiioSecret(DEMO_ACCOUNT.accessToken),
    };
    const result = await runGreedyDialer(account, sessions);

    const { calls } = await simGet<{ calls: SimCall[] }>(simulator.origin, '/_sim/calls');
    const stats = await simGet<SimStats>(simulator.origin, '/_sim/stats');
    expect(calls.map((call) => call.dest).sort()).toEqual(sessions.flat().sort());
    expect(calls.every((call) => call.ended_at !== null && call.call_status_dest === 'answered')).toBe(true);
    expect(stats.peakConcurrentCalls[DEMO_ACCOUNT.appId]).toBe(8);
    expect(stats.rejections.error_concurrent_call_limit_reached ?? 0).toBe(0);
    expect(result.requests).toBe(21);
    // Each session's legs share one room.
    expect(new Set(calls.map((call) => call.room)).size).toBe(3);
    expect(refillFigures(calls).refills).toBe(13);
  });
});
