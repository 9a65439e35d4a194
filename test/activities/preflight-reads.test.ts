import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createConferenceActivities } from '../../src/activities/conference';
import type { PreflightRequest } from '../../src/activities/preflight';
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

test('100 pre-flights at once on one account make one balance read and one rate read per prefix', async () => {
  const activities = preflightActivities();
  // Two prefixes: +6580... and +6590...
  const rosters = Array.from({ length: 100 }, (_, i) => [...numbers(3, i * 10), `+659${String(i).padStart(7, '0')}`]);
  const readings = await Promise.all(rosters.map((roster) => run(activities, roster)));

  const { requests, rejections } = await harness().stats();
  expect(requests['user/get_balance']).toBe(1);
  expect(requests['voice/get_rate']).toBe(2);
  expect(Object.values(rejections).reduce((sum, n) => sum + (n ?? 0), 0)).toBe(0);
  readings.forEach((reading, i) => {
    expect(reading.rates.map((rate) => rate.number)).toEqual(rosters[i]);
    expect(reading.rates.every((rate) => rate.rate !== undefined)).toBe(true);
    expect(reading.balance).toEqual(readings[0]!.balance);
  });

  // A balance read answers only those that started while it was in flight: the next pre-flight reads again (a top-up
  // shows at once). Another worker reads for itself.
  await run(activities, rosters[0]!);
  expect((await harness().stats()).requests['user/get_balance']).toBe(2);
  await run(preflightActivities(), rosters[0]!);
  expect((await harness().stats()).requests['user/get_balance']).toBe(3);
  expect((await harness().stats()).requests['voice/get_rate']).toBe(4);
});
