import { inspect } from 'node:util';
import { HoiioTransportError, type HoiioClient } from '../../src/hoiio';
import { DEMO, rejectionOf, SimHarness, useSimHarness } from './sim-harness';

/**
 * Transport failures provoked by the simulator's fault knobs: bare HTTP 5xx before or after the work, slow replies
 * past the client's timeout, a caller's abort, a wrong base URL. Each is a HoiioTransportError whose `ambiguous`
 * tells whether Hoiio may have acted, and none of them carries the access token.
 */
let client: HoiioClient;
const HOLD = '+6573000001';

const harness = useSimHarness({
  outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
  timing: { ringSeconds: { min: 60, max: 60 } },
  faults: { api: { '*': null, 'conference/call': null, 'user/get_balance': null } },
});
beforeAll(() => {
  client = harness().client();
});

async function transportError(promise: Promise<unknown>): Promise<HoiioTransportError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(HoiioTransportError);
  const serialized = [JSON.stringify(error), inspect(error, { depth: 10, showHidden: true }), String(error)];
  for (const text of serialized) expect(text).not.toContain(DEMO.accessToken);
  return error as HoiioTransportError;
}

it('an injected HTTP 500 is a retryable, ambiguous transport error without the token', async () => {
  await harness().config({ faults: { api: { 'user/get_balance': { http5xxRate: 1, http5xxStatus: 500 } } } });
  const error = await transportError(client.getBalance());
  expect(error).toMatchObject({
    endpoint: 'user/get_balance',
    reason: 'http_status',
    httpStatus: 500,
    retryable: true,
    ambiguous: true,
  });
  expect(error.message).toContain('HTTP 500');
});

it('a 503 after the work was done: the dial happened, and get_history finds it by its tag', async () => {
  await harness().config({ faults: { api: { 'conference/call': { http5xxAfterRate: 1, http5xxStatus: 503 } } } });
  const error = await transportError(client.conferenceCall({ dest: [HOLD], tag: 'attempt-7f3a' }));
  expect(error).toMatchObject({ reason: 'http_status', httpStatus: 503, ambiguous: true, retryable: true });
  // This is why the error says ambiguous: a blind retry would dial the same person twice.
  const history = await client.getHistory();
  expect(history.entries.filter((entry) => entry.tag === 'attempt-7f3a').map((entry) => entry.dest)).toEqual([HOLD]);
});

it('a reply slower than the headers timeout is an ambiguous timeout, and the work may have happened', async () => {
  await harness().config({ faults: { api: { 'conference/call': { slowRate: 1, slowMs: 1_500 } } } });
  const impatient = harness().client({ timeouts: { headersMs: 200 } });
  const started = Date.now();
  const error = await transportError(impatient.conferenceCall({ dest: [HOLD], tag: 'slow-1' }));
  expect(error).toMatchObject({ reason: 'timeout', retryable: true, ambiguous: true });
  expect(Date.now() - started).toBeLessThan(1_400);
  expect((await harness().calls()).map((call) => call.tag)).toEqual(['slow-1']);
});

it('an aborted request is ambiguous and not retried by itself', async () => {
  await harness().config({ faults: { api: { 'user/get_balance': { slowRate: 1, slowMs: 1_000 } } } });
  const controller = new AbortController();
  const pending = client.getBalance({ signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  expect(await transportError(pending)).toMatchObject({ reason: 'aborted', retryable: false, ambiguous: true });
});

it('a base URL that is not Hoiio (a 404 page) is a non-retryable transport error', async () => {
  const lost = harness().client({ baseUrl: `${harness().sim.origin}/elsewhere/` });
  const error = await transportError(lost.getBalance());
  expect(error).toMatchObject({ reason: 'http_status', httpStatus: 404, retryable: false, ambiguous: false });
});

it('a stopped simulator is a connection failure that never reached Hoiio', async () => {
  const other = await SimHarness.start();
  const orphan = other.client();
  await other.sim.close();
  try {
    expect(await transportError(orphan.getBalance())).toMatchObject({
      reason: 'connect',
      retryable: true,
      ambiguous: false,
    });
  } finally {
    await orphan.close();
  }
});
