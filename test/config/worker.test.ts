import { DEFAULT_SHUTDOWN_GRACE_MS, workerTuningFromEnv } from '../../src/config/worker';

describe('workerTuningFromEnv', () => {
  it('defaults the shutdown grace and leaves the history settle time to the activities', () => {
    expect(workerTuningFromEnv({})).toEqual({ shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS, historySettleMs: undefined });
  });

  it('reads both variables', () => {
    const env = { BRIDGEKEEPER_SHUTDOWN_GRACE_MS: '95000', BRIDGEKEEPER_HISTORY_SETTLE_MS: '4000' };
    expect(workerTuningFromEnv(env)).toEqual({ shutdownGraceMs: 95_000, historySettleMs: 4_000 });
  });

  it('refuses a settle time a dial attempt could not wait out within its deadline', () => {
    expect(() => workerTuningFromEnv({ BRIDGEKEEPER_HISTORY_SETTLE_MS: '20000' })).toThrow(
      'BRIDGEKEEPER_HISTORY_SETTLE_MS must be at most 10000 ms',
    );
  });

  it('reads the workflow cache size, refusing one the SDK would not take', () => {
    expect(workerTuningFromEnv({ BRIDGEKEEPER_MAX_CACHED_WORKFLOWS: '250' })).toMatchObject({
      maxCachedWorkflows: 250,
    });
    expect(workerTuningFromEnv({ BRIDGEKEEPER_MAX_CACHED_WORKFLOWS: '0' })).toMatchObject({ maxCachedWorkflows: 0 });
    expect(() => workerTuningFromEnv({ BRIDGEKEEPER_MAX_CACHED_WORKFLOWS: '1' })).toThrow(
      'BRIDGEKEEPER_MAX_CACHED_WORKFLOWS must be 0 (no cache) or at least 2',
    );
    expect(() => workerTuningFromEnv({ BRIDGEKEEPER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(
      'BRIDGEKEEPER_MAX_CACHED_WORKFLOWS must be a whole number, at most 9999999',
    );
  });

  it('names the variable and the rule of a bad value', () => {
    expect(() => workerTuningFromEnv({ BRIDGEKEEPER_SHUTDOWN_GRACE_MS: '30s' })).toThrow(
      'Invalid worker configuration: BRIDGEKEEPER_SHUTDOWN_GRACE_MS must be a whole number of milliseconds, at most 999999999',
    );
  });
});
