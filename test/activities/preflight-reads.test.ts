import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createConferenceActivities } from '../../src/activities/conference';
import { BALANCE_READ_SPACING_MS, type PreflightRequest } from '../../src/activities/preflight';
import type { PreflightReadings } from '../../src/domain/preflight';
import { hoiioConfigFromEnv } from '../../src/hoiio/config';
import { numbers, useSimHarness } from '../hoiio/sim-harness';

/**
 * Pre-flights started together on one worker (a schedule's runs, a script's batch) share their reads of Hoiio, whose
 * voice/get_rate and user/get_balance allow 60 requests a minute each: the simulator counts what reached it.
 */
const harness = useSimHarness({});

function preflightActivities() {
  return createConferenceActivities({
    hoiio: hoiioConfigFromEnv({ HOIIO_BASE_URL: harness().sim.baseUrl }),
    publicUrl: 'http://127.0.0.1:9/',
  });
}

function run(activities: ReturnType<typeof preflightActivities>, roster: string[]): Promise<PreflightReadings> {
  const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  return env.run((request: PreflightRequest) => activities.preflightCheck(request), {
    account: 'default',
    numbers: roster,
  });
}

test('100 pre-flights at once on one account share two balance reads and read each prefix once; a later one reads afresh', async () => {
  const activities = preflightActivities();
  // Two prefixes: +6580... and +6590...
  const rosters = Array.from({ length: 100 }, (_, i) => [...numbers(3, i * 10), `+659${String(i).padStart(7, '0')}`]);
  const readings = await Promise.all(rosters.map((roster) => run(activities, roster)));

  // The first to ask reads at once; everyone who asked after that read began shares the next one.
  const { requests, rejections } = await harness().stats();
  expect(requests['user/get_balance']).toBe(2);
  expect(requests['voice/get_rate']).toBe(2);
  expect(Object.values(rejections).reduce((sum, n) => sum + (n ?? 0), 0)).toBe(0);
  readings.forEach((reading, i) => {
    expect(reading.rates.map((rate) => rate.number)).toEqual(rosters[i]);
    expect(reading.rates.every((rate) => rate.rate !== undefined)).toBe(true);
    expect(reading.balance).toEqual(readings[0]!.balance);
  });

  // A top-up made before a pre-flight asks is seen by it: its read starts after it asked, however recent the last.
  await harness().config({ accounts: [{ appId: 'demo-app', points: '1234.500', bonus: '0.000' }] });
  expect((await run(activities, rosters[0]!)).balance.amount).toBe('1234.500');
  expect((await harness().stats()).requests['user/get_balance']).toBe(3);
  // Another worker reads for itself.
  await run(preflightActivities(), rosters[0]!);
  expect((await harness().stats()).requests['user/get_balance']).toBe(4);
  expect((await harness().stats()).requests['voice/get_rate']).toBe(4);
});

test('pre-flights one after another on one account read the balance at most once a second', async () => {
  const activities = preflightActivities();
  const started = Date.now();
  for (let i = 0; i < 4; i++) await run(activities, numbers(1, i));
  const { requests } = await harness().stats();
  expect(requests['user/get_balance']).toBe(4);
  // Four reads, each at least a second after the one before: three spacings.
  expect(Date.now() - started).toBeGreaterThanOrEqual(3 * BALANCE_READ_SPACING_MS);
});
