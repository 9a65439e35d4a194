import { type RunningSimulator } from '../../dev/simulator';
import { optionsFromEnv } from '../../dev/simulator/env-config';
import { api, calls, numbers, simGet, simPost, sleep, start } from './helpers';

/**
 * Node's timers hold 32-bit signed milliseconds: a delay above 2^31 - 1 ms fires at once, so an oversized knob
 * would do the opposite of what it asks. Every knob that becomes a timer is bounded, and so is every knob in
 * simulated seconds once the time scale turns it into real milliseconds.
 */
const LIMIT = '2147483647';
const TOO_LONG = 2_147_483_648;

describe('knobs that become timers', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(() => sim.close());

  it.each([
    ['faults.api.*.slowMs', { faults: { api: { '*': { slowMs: TOO_LONG } } } }],
    ['faults.api.conference/call.slowMs', { faults: { api: { 'conference/call': { slowMs: TOO_LONG } } } }],
    ['faults.notifications.delayMs', { faults: { notifications: { delayMs: TOO_LONG } } }],
    ['faults.notifications.reorderHoldMs', { faults: { notifications: { reorderHoldMs: TOO_LONG } } }],
    ['rateLimitWindowMs', { rateLimitWindowMs: TOO_LONG }],
    ['notifyTimeoutMs', { notifyTimeoutMs: TOO_LONG }],
    ['timing.talkSeconds.max', { timing: { talkSeconds: { min: 30, max: 2_147_484 } } }],
    ['timing.ringSeconds.min', { timing: { ringSeconds: { min: 3_000_000, max: 3_000_000 } } }],
    ['timing.noAnswerSeconds', { timing: { noAnswerSeconds: 2_147_484 } }],
    ['timing.dialGapSeconds', { timing: { dialGapSeconds: 2_147_484 } }],
    ['scripts.+6511111111.talkSeconds', { scripts: { '+6511111111': { outcome: 'answered', talkSeconds: 3e6 } } }],
    [
      'scripts.+6511111112.1.ringSeconds',
      { scripts: { '+6511111112': [{ outcome: 'busy' }, { outcome: 'busy', ringSeconds: 3e6 }] } },
    ],
    // 600 simulated seconds of talk (the default maximum) at 0.0001 simulated seconds a second: 6e9 ms.
    ['timing.talkSeconds.max', { timeScale: 0.0001 }],
  ])('POST /_sim/config refuses %s past the limit with a 400 naming the knob and the limit', async (knob, body) => {
    const before = await simGet(sim, '/_sim/config');
    const { http, body: reply } = await simPost(sim, '/_sim/config', body);
    expect(http).toBe(400);
    const issue = (reply.issues as string[]).find((line) => line.startsWith(`${knob}:`));
    expect(issue).toContain(LIMIT);
    expect(await simGet(sim, '/_sim/config')).toEqual(before);
  });

  it('takes knobs right at the limit', async () => {
    const { http } = await simPost(sim, '/_sim/config', {
      faults: { notifications: { delayMs: 2_147_483_647, delayRate: 0 } },
      timing: { talkSeconds: { min: 30, max: 2_147_483 } },
    });
    expect(http).toBe(200);
    await simPost(sim, '/_sim/config', {
      faults: { notifications: { delayMs: 0 } },
      timing: { talkSeconds: { min: 30, max: 600 } },
    });
  });

  it('keeps a leg ringing when its ring plus the dial gaps add up past the limit', async () => {
    // Each knob is in bounds, but the second number starts ringing one dial gap later: 4e9 ms in all.
    const dests = numbers(2, 93_000_000);
    const knobs = await simPost(sim, '/_sim/config', {
      timing: { dialGapSeconds: 2_000_000 },
      scripts: Object.fromEntries(dests.map((dest) => [dest, { outcome: 'busy', ringSeconds: 2_000_000 }])),
    });
    expect(knobs.http).toBe(200);
    try {
      expect((await api(sim, 'conference/call', { dest: dests.join(',') })).body.status).toBe('success_ok');
      await sleep(300);
      const legs = (await calls(sim)).filter((leg) => dests.includes(leg.dest));
      expect(legs.map((leg) => leg.state)).toEqual(['ringing', 'ringing']);
    } finally {
      await simPost(sim, '/_sim/reset', {});
      await simPost(sim, '/_sim/config', { timing: { dialGapSeconds: 1 }, replaceScripts: true });
    }
  });
});

describe('knobs from the environment', () => {
  function refusal(env: NodeJS.ProcessEnv): string {
    try {
      optionsFromEnv(env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected optionsFromEnv to refuse the configuration');
  }

  it.each([
    [
      'faults.notifications.delayMs',
      { SIMULATOR_CONFIG: JSON.stringify({ faults: { notifications: { delayMs: TOO_LONG } } }) },
    ],
    ['faults.api.*.slowMs', { SIMULATOR_CONFIG: JSON.stringify({ faults: { api: { '*': { slowMs: TOO_LONG } } } }) }],
    ['timing.talkSeconds.max', { SIMULATOR_CONFIG: JSON.stringify({ timing: { talkSeconds: { min: 1, max: 3e6 } } }) }],
    ['timing.talkSeconds.max', { SIMULATOR_TIME_SCALE: '0.0001' }],
  ])('refuses %s past the limit, naming the knob and the limit', (knob, env) => {
    const message = refusal(env);
    expect(message).toContain(`${knob}:`);
    expect(message).toContain(LIMIT);
  });
});
