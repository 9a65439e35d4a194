import { DEFAULT_RECEIVER_LIMITS, receiverConfigFromEnv, ReceiverConfigError } from '../../src/notifications/config';

describe('receiverConfigFromEnv', () => {
  it('defaults to 127.0.0.1:4020, with the public URL on the same port', () => {
    expect(receiverConfigFromEnv({})).toEqual({
      host: '127.0.0.1',
      port: 4020,
      publicUrl: 'http://127.0.0.1:4020',
      limits: DEFAULT_RECEIVER_LIMITS,
    });
  });

  it('bounds slow clients and replays by default', () => {
    expect(DEFAULT_RECEIVER_LIMITS).toEqual({
      requestTimeoutMs: 10_000,
      connectionTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 256,
      maxRequestsPerSocket: 100,
      replayCacheSize: 100_000,
      maxNotificationAgeMs: 24 * 60 * 60 * 1000,
    });
  });

  it('reads every variable; an empty one counts as unset', () => {
    const secret = 'a-long-enough-notify-secret';
    expect(
      receiverConfigFromEnv({
        RECEIVER_HOST: '0.0.0.0',
        RECEIVER_PORT: '8080',
        BRIDGEKEEPER_PUBLIC_URL: 'https://hooks.example.com/bk/',
        BRIDGEKEEPER_NOTIFY_SECRET: secret,
        RECEIVER_REQUEST_TIMEOUT_MS: '2000',
        RECEIVER_CONNECTION_TIMEOUT_MS: '20000',
        RECEIVER_KEEP_ALIVE_TIMEOUT_MS: '1000',
        RECEIVER_MAX_CONNECTIONS: '50',
        RECEIVER_MAX_REQUESTS_PER_SOCKET: '10',
        RECEIVER_REPLAY_CACHE_SIZE: '500',
        RECEIVER_MAX_NOTIFICATION_AGE_MS: '3600000',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'https://hooks.example.com/bk/',
      notifySecret: secret,
      limits: {
        requestTimeoutMs: 2_000,
        connectionTimeoutMs: 20_000,
        keepAliveTimeoutMs: 1_000,
        maxConnections: 50,
        maxRequestsPerSocket: 10,
        replayCacheSize: 500,
        maxNotificationAgeMs: 3_600_000,
      },
    });
    expect(receiverConfigFromEnv({ RECEIVER_PORT: '4100', BRIDGEKEEPER_NOTIFY_SECRET: '' })).toEqual({
      host: '127.0.0.1',
      port: 4100,
      publicUrl: 'http://127.0.0.1:4100',
      limits: DEFAULT_RECEIVER_LIMITS,
    });
  });

  it.each([
    ['RECEIVER_PORT', { RECEIVER_PORT: 'abc' }],
    ['RECEIVER_PORT', { RECEIVER_PORT: '70000' }],
    ['BRIDGEKEEPER_PUBLIC_URL', { BRIDGEKEEPER_PUBLIC_URL: 'ftp://example.com' }],
    ['BRIDGEKEEPER_PUBLIC_URL', { BRIDGEKEEPER_PUBLIC_URL: 'https://user:pw@example.com' }],
    ['BRIDGEKEEPER_PUBLIC_URL', { BRIDGEKEEPER_PUBLIC_URL: 'https://example.com/?bk_token=x' }],
    ['BRIDGEKEEPER_NOTIFY_SECRET', { BRIDGEKEEPER_NOTIFY_SECRET: 'short-secret' }],
    ['RECEIVER_REQUEST_TIMEOUT_MS', { RECEIVER_REQUEST_TIMEOUT_MS: '0' }],
    ['RECEIVER_REQUEST_TIMEOUT_MS', { RECEIVER_REQUEST_TIMEOUT_MS: '2147483648' }],
    ['RECEIVER_CONNECTION_TIMEOUT_MS', { RECEIVER_CONNECTION_TIMEOUT_MS: '10000' }],
    ['RECEIVER_KEEP_ALIVE_TIMEOUT_MS', { RECEIVER_KEEP_ALIVE_TIMEOUT_MS: '1.5' }],
    ['RECEIVER_MAX_CONNECTIONS', { RECEIVER_MAX_CONNECTIONS: 'lots' }],
    ['RECEIVER_MAX_REQUESTS_PER_SOCKET', { RECEIVER_MAX_REQUESTS_PER_SOCKET: '-1' }],
    ['RECEIVER_REPLAY_CACHE_SIZE', { RECEIVER_REPLAY_CACHE_SIZE: '0' }],
    ['RECEIVER_MAX_NOTIFICATION_AGE_MS', { RECEIVER_MAX_NOTIFICATION_AGE_MS: '1h' }],
    ['BRIDGEKEEPER_ALERTMANAGER_TOKEN', { BRIDGEKEEPER_ALERTMANAGER_TOKEN: 'short', BRIDGEKEEPER_POLICIES_DIR: '/p' }],
    [
      'BRIDGEKEEPER_ALERTMANAGER_TOKEN',
      { BRIDGEKEEPER_ALERTMANAGER_TOKEN: 'has a space in the token', BRIDGEKEEPER_POLICIES_DIR: '/p' },
    ],
    ['BRIDGEKEEPER_ALERTMANAGER_TOKEN', { BRIDGEKEEPER_POLICIES_DIR: '/etc/bridgekeeper/policies' }],
    ['BRIDGEKEEPER_POLICIES_DIR', { BRIDGEKEEPER_ALERTMANAGER_TOKEN: 'a-long-enough-alertmanager-token' }],
    [
      'BRIDGEKEEPER_POLICY_LABEL',
      {
        BRIDGEKEEPER_ALERTMANAGER_TOKEN: 'a-long-enough-alertmanager-token',
        BRIDGEKEEPER_POLICIES_DIR: '/p',
        BRIDGEKEEPER_POLICY_LABEL: 'escalation-policy',
      },
    ],
  ] as [string, Record<string, string>][])('names %s when it is invalid (%j)', (variable, env) => {
    let error: unknown;
    try {
      receiverConfigFromEnv(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ReceiverConfigError);
    expect((error as Error).message).toContain(`${variable}:`);
    for (const value of Object.values(env)) if (value.length > 3) expect((error as Error).message).not.toContain(value);
  });

  it('turns the Alertmanager webhook on only with both its token and its policies directory', () => {
    const token = 'a-long-enough-alertmanager-token';
    expect(
      receiverConfigFromEnv({ BRIDGEKEEPER_ALERTMANAGER_TOKEN: token, BRIDGEKEEPER_POLICIES_DIR: '/etc/bk/policies' })
        .alertmanager,
    ).toEqual({ token, policiesDir: '/etc/bk/policies', policyLabel: 'escalation_policy' });
    expect(
      receiverConfigFromEnv({
        BRIDGEKEEPER_ALERTMANAGER_TOKEN: token,
        BRIDGEKEEPER_POLICIES_DIR: '/p',
        BRIDGEKEEPER_POLICY_LABEL: 'team',
      }).alertmanager?.policyLabel,
    ).toBe('team');
    expect(receiverConfigFromEnv({ BRIDGEKEEPER_POLICY_LABEL: 'team' }).alertmanager).toBeUndefined();
    expect(
      receiverConfigFromEnv({ BRIDGEKEEPER_ALERTMANAGER_TOKEN: '', BRIDGEKEEPER_POLICIES_DIR: '' }).alertmanager,
    ).toBeUndefined();
  });
});
