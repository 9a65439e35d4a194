import {
  CONFERENCE_CALL_ERRORS,
  GENERIC_ERRORS,
  HoiioApiError,
  HoiioInputError,
  type HoiioClient,
} from '../../src/hoiio';
import { readEnvelope } from '../../src/hoiio/replies';
import { DEMO, DEMO_AUTH, form, rejectionOf, SimHarness } from './sim-harness';

/**
 * Every documented status, provoked on the simulator and seen as the right typed error. Where the client validates
 * a parameter locally (tag length, notify_url, missing params, method, bytes), the status is provoked with a raw
 * request and read with the client's own reply reader, and the test shows the client refuses the same input without
 * a request reaching the simulator.
 */
let harness: SimHarness;
let client: HoiioClient;
const seen = new Set<string>();

const TRIAL_VERIFIED = '+6570000001';
const HOLD = '+6571000001';

beforeAll(async () => {
  harness = await SimHarness.start({
    accounts: [
      { appId: 'trial-app', accessToken: 'trial-token', trial: true, trialAllowedNumbers: [TRIAL_VERIFIED] },
      { appId: 'poor-app', accessToken: 'poor-token', points: '0.000', bonus: '0.000' },
    ],
  });
  client = harness.client();
});
afterAll(async () => {
  await harness.close();
  // Every status of conference/call's complete list and every generic one was seen as a typed error here.
  const expected = [...GENERIC_ERRORS, ...CONFERENCE_CALL_ERRORS].filter(
    // Provoked by the limits test file: they need 8 live legs.
    (status) => status !== 'error_concurrent_call_limit_reached',
  );
  expect(expected.filter((status) => !seen.has(status))).toEqual([]);
});
beforeEach(async () => {
  await harness.reset();
  await harness.config({
    outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    timing: { ringSeconds: { min: 60, max: 60 } },
    rateLimits: { 'conference/call': null },
    faults: { api: { '*': null, 'conference/call': null } },
  });
});

async function apiError(
  promise: Promise<unknown>,
  expected: { status: string; category: string; retryable: boolean; endpoint?: string },
): Promise<HoiioApiError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(HoiioApiError);
  expect(error).toMatchObject(expected);
  seen.add(expected.status);
  return error as HoiioApiError;
}

/** A raw request's reply, read by the client's own envelope reader. */
async function rawApiError(
  endpoint: string,
  body: string | Buffer,
  expected: { status: string; category: string; retryable: boolean },
  method: 'POST' | 'PUT' | 'DELETE' = 'POST',
): Promise<void> {
  const reply = await harness.raw(endpoint, body, method);
  expect(reply.statusCode).toBe(200);
  let thrown: unknown;
  try {
    readEnvelope(endpoint, reply.body);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(HoiioApiError);
  expect(thrown).toMatchObject({ ...expected, endpoint });
  seen.add(expected.status);
}

async function requestsTo(endpoint: string): Promise<number> {
  return (await harness.stats()).requests[endpoint] ?? 0;
}

describe('authentication', () => {
  it('a wrong access token is an auth error that never shows the token', async () => {
    const wrong = harness.client({ accessToken: 'wrong-token-d41d8' });
    const error = await apiError(wrong.getBalance(), {
      status: 'error_invalid_access_token',
      category: 'auth',
      retryable: false,
      endpoint: 'user/get_balance',
    });
    for (const text of [JSON.stringify(error), error.message, error.stack ?? '']) {
      expect(text).not.toContain('wrong-token-d41d8');
      expect(text).not.toContain(DEMO.accessToken);
    }
  });

  it('an unknown app id is an auth error', async () => {
    await apiError(harness.client({ appId: 'nobody' }).conferenceCall({ dest: [HOLD] }), {
      status: 'error_invalid_app_id',
      category: 'auth',
      retryable: false,
    });
  });
});

describe('conference/call statuses', () => {
  it('error_dest_invalid: a number the client lets through but Hoiio refuses', async () => {
    // "+12345" is E.164-shaped, but too short for any real number: the simulator wants 7 to 15 digits.
    await apiError(client.conferenceCall({ dest: ['+12345'] }), {
      status: 'error_dest_invalid',
      category: 'input',
      retryable: false,
    });
  });

  it('error_dest_not_supported: an unsupported prefix fails the whole request', async () => {
    await apiError(client.conferenceCall({ dest: [HOLD, '+8821234567'] }), {
      status: 'error_dest_not_supported',
      category: 'input',
      retryable: false,
    });
    expect(await harness.calls()).toEqual([]);
  });

  it('error_not_allowed_for_trial: a trial account dialing an unverified number', async () => {
    const trial = harness.client({ appId: 'trial-app', accessToken: 'trial-token' });
    await apiError(trial.conferenceCall({ dest: [TRIAL_VERIFIED, HOLD] }), {
      status: 'error_not_allowed_for_trial',
      category: 'credit',
      retryable: false,
    });
    expect((await trial.conferenceCall({ dest: [TRIAL_VERIFIED] })).txnRefs).toHaveLength(1);
  });

  it('error_insufficient_credit: an account without credit', async () => {
    const poor = harness.client({ appId: 'poor-app', accessToken: 'poor-token' });
    expect((await poor.getBalance()).balance).toBe(0);
    await apiError(poor.conferenceCall({ dest: [HOLD] }), {
      status: 'error_insufficient_credit',
      category: 'credit',
      retryable: false,
    });
  });

  it('error_unable_to_resolve_notify_url: a host that never resolves', async () => {
    await apiError(client.conferenceCall({ dest: [HOLD], notifyUrl: 'https://hooks.example.invalid/hoiio' }), {
      status: 'error_unable_to_resolve_notify_url',
      category: 'input',
      retryable: false,
    });
  });

  it('error_invalid_room: the room has no place left', async () => {
    await harness.config({ limits: { maxRoomParticipants: 2 } });
    try {
      await client.conferenceCall({ dest: ['+6571000001', '+6571000002'], room: 'Small' });
      await apiError(client.conferenceCall({ dest: ['+6571000003'], room: 'Small' }), {
        status: 'error_invalid_room',
        category: 'input',
        retryable: false,
      });
    } finally {
      await harness.config({ limits: { maxRoomParticipants: 8 } });
    }
  });

  it('error_tag_invalid_length: refused locally, and mapped when Hoiio says it', async () => {
    const tag = 't'.repeat(257);
    expect(await rejectionOf(client.conferenceCall({ dest: [HOLD], tag }))).toBeInstanceOf(HoiioInputError);
    expect(await requestsTo('conference/call')).toBe(0);
    await rawApiError('conference/call', form({ ...DEMO_AUTH, dest: HOLD, tag }), {
      status: 'error_tag_invalid_length',
      category: 'input',
      retryable: false,
    });
  });

  it('error_invalid_notify_url: refused locally, and mapped when Hoiio says it', async () => {
    const notifyUrl = 'ftp://hooks.example.com/x';
    expect(await rejectionOf(client.conferenceCall({ dest: [HOLD], notifyUrl }))).toBeInstanceOf(HoiioInputError);
    expect(await requestsTo('conference/call')).toBe(0);
    await rawApiError('conference/call', form({ ...DEMO_AUTH, dest: HOLD, notify_url: notifyUrl }), {
      status: 'error_invalid_notify_url',
      category: 'input',
      retryable: false,
    });
  });

  it('error_invalid_room for a bad room id: refused locally, and mapped when Hoiio says it', async () => {
    expect(await rejectionOf(client.conferenceCall({ dest: [HOLD], room: 'MY-ROOM' }))).toBeInstanceOf(HoiioInputError);
    await rawApiError('conference/call', form({ ...DEMO_AUTH, dest: HOLD, room: 'MY-ROOM' }), {
      status: 'error_invalid_room',
      category: 'input',
      retryable: false,
    });
  });
});

describe('generic statuses', () => {
  it('error_rate_limit_exceeded: retryable, once the configured conference/call cap is reached', async () => {
    await harness.config({ rateLimits: { 'conference/call': 1 } });
    await client.conferenceCall({ dest: [HOLD] });
    await apiError(client.conferenceCall({ dest: ['+6571000002'] }), {
      status: 'error_rate_limit_exceeded',
      category: 'limit',
      retryable: true,
    });
  });

  it('error_internal_server_error: retryable, injected by the fault knob', async () => {
    await harness.config({ faults: { api: { 'user/get_balance': { internalErrorRate: 1 } } } });
    try {
      await apiError(client.getBalance(), {
        status: 'error_internal_server_error',
        category: 'server',
        retryable: true,
      });
    } finally {
      await harness.config({ faults: { api: { 'user/get_balance': null } } });
    }
  });

  it('error_<param>_param_missing, error_invalid_http_method and error_malformed_params, by raw request', async () => {
    await rawApiError('conference/call', form({ ...DEMO_AUTH }), {
      status: 'error_dest_param_missing',
      category: 'input',
      retryable: false,
    });
    await rawApiError('user/get_balance', form({ access_token: DEMO_AUTH.access_token }), {
      status: 'error_app_id_param_missing',
      category: 'input',
      retryable: false,
    });
    await rawApiError(
      'user/get_balance',
      form({ ...DEMO_AUTH }),
      { status: 'error_invalid_http_method', category: 'input', retryable: false },
      'PUT',
    );
    const badBytes = Buffer.concat([Buffer.from(`${form({ ...DEMO_AUTH })}&tag=`), Buffer.from([0xff, 0xfe])]);
    await rawApiError('user/get_balance', badBytes, {
      status: 'error_malformed_params',
      category: 'input',
      retryable: false,
    });
  });

  it('an unknown status is kept verbatim with category unknown', async () => {
    // Under this base URL every path is unknown to the simulator, which answers {"status":"error_not_found"}.
    const lost = harness.client({ baseUrl: `${harness.sim.baseUrl}voice/` });
    await apiError(lost.getBalance(), { status: 'error_not_found', category: 'unknown', retryable: false });
  });
});

describe('statuses of the other endpoints', () => {
  it('error_invalid_txn_ref for an unknown leg, on query_status, hangup and moderate', async () => {
    const expected = { status: 'error_invalid_txn_ref', category: 'input', retryable: false };
    await apiError(client.queryStatus('AA-C-1'), { ...expected, endpoint: 'voice/query_status' });
    await apiError(client.hangup('AA-C-1'), { ...expected, endpoint: 'voice/hangup' });
    await apiError(client.moderate({ txnRef: 'AA-C-1', action: 'mute' }), {
      ...expected,
      endpoint: 'conference/moderate',
    });
  });

  it('a leg of another application is unknown too', async () => {
    const { txnRefs } = await client.conferenceCall({ dest: [HOLD] });
    const trial = harness.client({ appId: 'trial-app', accessToken: 'trial-token' });
    await apiError(trial.queryStatus(txnRefs[0]!), {
      status: 'error_invalid_txn_ref',
      category: 'input',
      retryable: false,
    });
  });

  it('get_rate: invalid and unsupported numbers, each side named', async () => {
    await apiError(client.getRate({ dest1: '+123', dest2: HOLD }), {
      status: 'error_dest1_invalid',
      category: 'input',
      retryable: false,
    });
    await apiError(client.getRate({ dest1: HOLD, dest2: '+123' }), {
      status: 'error_dest2_invalid',
      category: 'input',
      retryable: false,
    });
    await apiError(client.getRate({ dest1: '+8821234567', dest2: HOLD }), {
      status: 'error_dest1_not_supported',
      category: 'input',
      retryable: false,
    });
    await apiError(client.getRate({ dest1: HOLD, dest2: '+8821234567' }), {
      status: 'error_dest2_not_supported',
      category: 'input',
      retryable: false,
    });
  });

  it('get_history: to before from through the client; bad dates and pages refused locally, mapped when Hoiio says so', async () => {
    await apiError(client.getHistory({ from: '2024-01-02 00:00:00', to: '2024-01-01 00:00:00' }), {
      status: 'error_to_before_from',
      category: 'input',
      retryable: false,
    });
    expect(await rejectionOf(client.getHistory({ from: '2024-13-01 00:00:00' }))).toBeInstanceOf(HoiioInputError);
    expect(await rejectionOf(client.getHistory({ page: 0 }))).toBeInstanceOf(HoiioInputError);
    const input = { status: '', category: 'input', retryable: false };
    await rawApiError('voice/get_history', form({ ...DEMO_AUTH, from: '2024-13-01 00:00:00' }), {
      ...input,
      status: 'error_from_invalid',
    });
    await rawApiError('voice/get_history', form({ ...DEMO_AUTH, to: 'yesterday' }), {
      ...input,
      status: 'error_to_invalid',
    });
    await rawApiError('voice/get_history', form({ ...DEMO_AUTH, page: '0' }), {
      ...input,
      status: 'error_page_invalid',
    });
  });

  it('moderate: an action outside the enum is refused locally, and mapped when Hoiio says it', async () => {
    const { txnRefs } = await client.conferenceCall({ dest: [HOLD] });
    const action = 'deafen' as unknown as 'kick';
    expect(await rejectionOf(client.moderate({ txnRef: txnRefs[0]!, action }))).toBeInstanceOf(HoiioInputError);
    expect(await requestsTo('conference/moderate')).toBe(0);
    await rawApiError('conference/moderate', form({ ...DEMO_AUTH, txn_ref: txnRefs[0]!, action: 'deafen' }), {
      status: 'error_invalid_action',
      category: 'input',
      retryable: false,
    });
  });
});
