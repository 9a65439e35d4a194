import { type RunningSimulator } from '../../dev/simulator';
import { optionsFromEnv } from '../../dev/simulator/env-config';
import { api, longCalls, numbers, simGet, simPost, sleep, start } from './helpers';

/** Real Hoiio's history may lag behind a dial; `historyLagMs` lets clients prove they cope with that. */
describe('historyLagMs', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(() => sim.close());

  async function historyRefs(): Promise<{ refs: string[]; total: string }> {
    const { body } = await api(sim, 'voice/get_history', {});
    expect(body.status).toBe('success_ok');
    const entries = body.entries as { txn_ref: string }[];
    return { refs: entries.map((entry) => entry.txn_ref), total: String(body.total_entries_count) };
  }

  it('defaults to 0: a leg is listed as soon as it is dialed', async () => {
    expect(await simGet(sim, '/_sim/config')).toMatchObject({ historyLagMs: 0 });
    const [dest = ''] = numbers(1, 94_000_000);
    await simPost(sim, '/_sim/config', { scripts: longCalls([dest]) });
    const dialed = await api(sim, 'conference/call', { dest });
    const [txnRef] = dialed.body.txn_refs as string[];
    expect((await historyRefs()).refs).toContain(txnRef);
    await simPost(sim, '/_sim/reset', {});
  });

  it('lists a leg in voice/get_history only once the lag has passed since the dial, in real time', async () => {
    const lagMs = 1_500;
    // A high time scale must not shorten the lag: it is real milliseconds, like Hoiio's own indexing delay.
    expect((await simPost(sim, '/_sim/config', { historyLagMs: lagMs, timeScale: 1_000 })).http).toBe(200);
    try {
      const [dest = ''] = numbers(1, 94_100_000);
      await simPost(sim, '/_sim/config', { scripts: longCalls([dest]) });
      const dialedAt = Date.now();
      const dialed = await api(sim, 'conference/call', { dest });
      const [txnRef] = dialed.body.txn_refs as string[];
      expect(txnRef).toBeDefined();

      const early = await historyRefs();
      expect(Date.now() - dialedAt).toBeLessThan(lagMs);
      expect(early).toEqual({ refs: [], total: '0' });
      // query_status knows the leg at once: only the history lags.
      expect((await api(sim, 'voice/query_status', { txn_ref: txnRef ?? '' })).body.status).toBe('success_ok');

      await sleep(lagMs + 100 - (Date.now() - dialedAt));
      const late = await historyRefs();
      expect(late).toEqual({ refs: [txnRef], total: '1' });
    } finally {
      await simPost(sim, '/_sim/reset', {});
      await simPost(sim, '/_sim/config', { historyLagMs: 0, timeScale: 1 });
    }
  });

  it('is bounded like every other knob in milliseconds', async () => {
    const { http, body } = await simPost(sim, '/_sim/config', { historyLagMs: 2_147_483_648 });
    expect(http).toBe(400);
    expect(String(body.error)).toContain('historyLagMs: must be at most 2147483647 ms');
  });

  it('comes from SIMULATOR_HISTORY_LAG_MS or the JSON config', () => {
    expect(optionsFromEnv({ SIMULATOR_HISTORY_LAG_MS: '1500' }).historyLagMs).toBe(1_500);
    expect(optionsFromEnv({ SIMULATOR_CONFIG: '{"historyLagMs":250}' }).historyLagMs).toBe(250);
    expect(() => optionsFromEnv({ SIMULATOR_HISTORY_LAG_MS: '2147483648' })).toThrow(
      'historyLagMs: must be at most 2147483647 ms',
    );
    expect(() => optionsFromEnv({ SIMULATOR_HISTORY_LAG_MS: 'soon' })).toThrow('SIMULATOR_HISTORY_LAG_MS');
  });
});
