import { createHoiioClient, HoiioInputError, type HoiioClient } from '../../src/hoiio';

/**
 * Local validation: every rule fails before anything is sent. The client points at port 9 (discard), where nothing
 * answers: were a request ever sent, the failure would be a transport error, not a HoiioInputError.
 */
let client: HoiioClient;
beforeAll(() => {
  client = createHoiioClient({
    baseUrl: 'http://127.0.0.1:9/open/',
    appId: 'demo-app',
    accessToken: 'secret-token-xyz',
  });
});
afterAll(() => client.close());

async function inputError(promise: Promise<unknown>): Promise<HoiioInputError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HoiioInputError);
  return error as HoiioInputError;
}

const eight = [
  '+6511111111',
  '+6511111112',
  '+6511111113',
  '+6511111114',
  '+6511111115',
  '+6511111116',
  '+6511111117',
  '+6511111118',
];

describe('conferenceCall parameters', () => {
  it.each([
    ['6511111111', 'missing plus'],
    ['+65 1111 1111', 'spaces'],
    ['+', 'no digits'],
    ['+1234567890123456', '16 digits'],
    ['+65abc', 'letters'],
  ])('rejects dest %j (%s) naming the value and the E.164 rule', async (bad) => {
    const error = await inputError(client.conferenceCall({ dest: ['+6511111111', bad] }));
    expect(error.endpoint).toBe('conference/call');
    expect(error.retryable).toBe(false);
    expect(error.issues).toEqual([
      { path: 'dest[1]', value: bad, message: expect.stringContaining('E.164') as string },
    ]);
    expect(error.message).toContain(JSON.stringify(bad));
  });

  it('accepts 15 digits, the E.164 maximum, as far as validation goes', async () => {
    // It passes validation, so the failure is the unreachable port, not the input.
    await expect(client.conferenceCall({ dest: ['+123456789012345'] })).rejects.toMatchObject({
      name: 'HoiioTransportError',
    });
  });

  it('rejects a 9th destination locally', async () => {
    const error = await inputError(client.conferenceCall({ dest: [...eight, '+6511111119'] }));
    expect(error.message).toMatch(/dest: .*at most 8 destinations per request/);
  });

  it('rejects an empty destination list', async () => {
    const error = await inputError(client.conferenceCall({ dest: [] }));
    expect(error.message).toContain('at least one destination');
  });

  it('rejects a duplicate destination, naming both positions', async () => {
    const error = await inputError(client.conferenceCall({ dest: ['+6511111111', '+6522222222', '+6511111111'] }));
    expect(error.message).toContain('dest[2] = "+6511111111": is listed twice (first at dest[0])');
  });

  it.each(['MY-ROOM', 'a'.repeat(33), '', 'room one', 'r/1'])('rejects room %j', async (room) => {
    const error = await inputError(client.conferenceCall({ dest: ['+6511111111'], room }));
    expect(error.issues[0]?.path).toBe('room');
    expect(error.message).toContain('1 to 32 characters of A-Z a-z 0-9 . _');
  });

  it('rejects a tag over 256 characters and an empty tag', async () => {
    const long = await inputError(client.conferenceCall({ dest: ['+6511111111'], tag: 'x'.repeat(257) }));
    expect(long.message).toContain(`tag = "${'x'.repeat(40)}… (257 characters): `);
    expect(long.message).toContain('at most 256 characters');
    const empty = await inputError(client.conferenceCall({ dest: ['+6511111111'], tag: '' }));
    expect(empty.message).toContain('must not be empty');
  });

  it.each([
    ['ftp://example.com/hook', 'another scheme'],
    ['/relative/hook', 'a relative URL'],
    ['example.com/hook', 'no scheme'],
    ['http://', 'no host'],
    [`https://example.com/${'a'.repeat(4000)}`, 'over 4000 characters'],
  ])('rejects notifyUrl %#: %s', async (notifyUrl) => {
    const error = await inputError(client.conferenceCall({ dest: ['+6511111111'], notifyUrl }));
    expect(error.issues[0]?.path).toBe('notifyUrl');
  });

  it('rejects a callerId that is neither E.164 nor "private"', async () => {
    const error = await inputError(client.conferenceCall({ dest: ['+6511111111'], callerId: 'hidden' }));
    expect(error.message).toContain('callerId = "hidden": must be E.164');
  });

  it('rejects a misspelt option instead of dropping it', async () => {
    const params = { dest: ['+6511111111'], notifyURL: 'http://127.0.0.1/x' } as unknown as { dest: string[] };
    const error = await inputError(client.conferenceCall(params));
    expect(error.message).toContain('notifyURL');
  });

  it('reports every problem at once', async () => {
    const error = await inputError(client.conferenceCall({ dest: ['+65a', '+65b'], room: 'bad room' }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['dest[0]', 'dest[1]', 'room']);
  });
});

describe('other endpoints', () => {
  it('moderate needs a txn_ref and an action in the enum', async () => {
    const error = await inputError(client.moderate({ txnRef: ' ', action: 'deafen' as unknown as 'kick' }));
    expect(error.endpoint).toBe('conference/moderate');
    expect(error.issues.map((issue) => issue.path)).toEqual(['txnRef', 'action']);
    expect(error.message).toContain('action = "deafen": must be one of kick, mute, unmute');
  });

  it('queryStatus and hangup need a non-empty txn_ref', async () => {
    expect((await inputError(client.queryStatus(''))).endpoint).toBe('voice/query_status');
    expect((await inputError(client.hangup(''))).endpoint).toBe('voice/hangup');
  });

  it.each([
    [{ from: '2024-01-01' }, 'from'],
    [{ to: '2024-02-30 10:00:00' }, 'to'],
    [{ from: '2024-01-01T10:00:00' }, 'from'],
    [{ page: 0 }, 'page'],
    [{ page: 1.5 }, 'page'],
  ])('getHistory rejects %j', async (params, path) => {
    const error = await inputError(client.getHistory(params));
    expect(error.issues[0]?.path).toBe(path);
  });

  it('getRate needs two E.164 numbers', async () => {
    const error = await inputError(client.getRate({ dest1: '+6511111111', dest2: '12345' }));
    expect(error.issues).toEqual([
      { path: 'dest2', value: '12345', message: expect.stringContaining('must be E.164') as string },
    ]);
  });
});

describe('client options', () => {
  it('refuses a missing token without echoing it, and a bad base URL', () => {
    expect(() => createHoiioClient({ appId: 'a', accessToken: '' })).toThrow(
      'accessToken: must be a non-empty access token',
    );
    expect(() => createHoiioClient({ appId: 'a', accessToken: 't', baseUrl: 'ftp://x/' })).toThrow('baseUrl');
    expect(() => createHoiioClient({ appId: ' ', accessToken: 't' })).toThrow('appId');
    expect(() => createHoiioClient({ appId: 'a', accessToken: 't', timeouts: { headersMs: 0 } })).toThrow(
      'timeouts.headersMs',
    );
  });
});
