import { HoiioApiError, HoiioInputError, type HoiioClient } from '../../src/hoiio';
import { numbers, rejectionOf, useSimHarness } from './sim-harness';

/**
 * The documented limits, hit through the client on the simulator: 8 destinations a request (checked locally),
 * 8 active calls per account, 8 active participants per room, 60 moderate requests a minute. `GET /_sim/stats`
 * proves the peaks never went past 8. Legs are answered and then talk for hours of real time, so they stay active.
 */
let client: HoiioClient;

const harness = useSimHarness({
  outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
  timing: { ringSeconds: { min: 1, max: 1 }, talkSeconds: { min: 100_000, max: 100_000 } },
  limits: { maxConcurrentCalls: 8, maxRoomParticipants: 8 },
});
beforeAll(() => {
  client = harness().client();
});

async function apiStatus(promise: Promise<unknown>): Promise<HoiioApiError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(HoiioApiError);
  return error as HoiioApiError;
}

it('the 9th destination of one request is refused locally, before any request', async () => {
  const error = await rejectionOf(client.conferenceCall({ dest: numbers(9) }));
  expect(error).toBeInstanceOf(HoiioInputError);
  expect((error as HoiioInputError).issues).toEqual([
    { path: 'dest', message: expect.stringContaining('at most 8 destinations per request') as string },
  ]);
  expect((await harness().stats()).requests['conference/call']).toBeUndefined();
  // Eight is fine.
  expect((await client.conferenceCall({ dest: numbers(8) })).txnRefs).toHaveLength(8);
});

it('the 9th concurrent call is refused with a retryable limit error, and goes through once a leg ends', async () => {
  const first = await client.conferenceCall({ dest: numbers(5), room: 'RoomA' });
  await client.conferenceCall({ dest: numbers(3, 10), room: 'RoomB' });
  const error = await apiStatus(client.conferenceCall({ dest: numbers(1, 20), room: 'RoomC' }));
  expect(error).toMatchObject({ status: 'error_concurrent_call_limit_reached', category: 'limit', retryable: true });

  await client.hangup(first.txnRefs[0]!);
  expect((await client.conferenceCall({ dest: numbers(1, 20), room: 'RoomC' })).txnRefs).toHaveLength(1);

  const stats = await harness().stats();
  expect(stats.peakConcurrentCalls['demo-app']).toBe(8);
  expect(stats.rejections.error_concurrent_call_limit_reached).toBe(1);
  expect(stats.activeCalls['demo-app']).toBe(8);
});

it('the 9th active participant of a room is refused', async () => {
  // The account cap is lifted so that the room's own cap of 8 is what the 9th participant meets.
  await harness().config({ limits: { maxConcurrentCalls: 16 } });
  await client.conferenceCall({ dest: numbers(8), room: 'Full' });
  const error = await apiStatus(client.conferenceCall({ dest: numbers(1, 30), room: 'Full' }));
  expect(error).toMatchObject({ status: 'error_invalid_room', category: 'input', retryable: false });
  // Another room still takes people.
  await client.conferenceCall({ dest: numbers(1, 30), room: 'Other' });

  const stats = await harness().stats();
  expect(stats.peakRoomParticipants.Full).toBe(8);
  expect(stats.peakConcurrentCalls['demo-app']).toBe(9);
});

it('the 61st moderate request in a minute is rate limited, retryable', async () => {
  const { txnRefs } = await client.conferenceCall({ dest: numbers(1) });
  const txnRef = txnRefs[0]!;
  for (let index = 0; index < 60; index += 1) {
    await client.moderate({ txnRef, action: index % 2 === 0 ? 'mute' : 'unmute' });
  }
  const error = await apiStatus(client.moderate({ txnRef, action: 'mute' }));
  expect(error).toMatchObject({
    status: 'error_rate_limit_exceeded',
    endpoint: 'conference/moderate',
    category: 'limit',
    retryable: true,
  });
  // Limits are counted per API: hangup has its own window.
  await client.hangup(txnRef);
  const stats = await harness().stats();
  expect(stats.requests['conference/moderate']).toBe(61);
  expect(stats.rejections.error_rate_limit_exceeded).toBe(1);
});
