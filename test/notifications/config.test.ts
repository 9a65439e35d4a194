import { receiverConfigFromEnv, ReceiverConfigError } from '../../src/notifications/config';

describe('receiverConfigFromEnv', () => {
  it('defaults to 127.0.0.1:4020, with the public URL on the same port', () => {
    expect(receiverConfigFromEnv({})).toEqual({ host: '127.0.0.1', port: 4020, publicUrl: 'http://127.0.0.1:4020' });
  });

  it('reads every variable; an empty one counts as unset', () => {
    const secret = 'a-long-enough-notify-secret';
    expect(
      receiverConfigFromEnv({
        RECEIVER_HOST: '0.0.0.0',
        RECEIVER_PORT: '8080',
        BRIDGEKEEPER_PUBLIC_URL: 'https://hooks.example.com/bk/',
        BRIDGEKEEPER_NOTIFY_SECRET: secret,
      }),
    ).toEqual({ host: '0.0.0.0', port: 8080, publicUrl: 'https://hooks.example.com/bk/', notifySecret: secret });
    expect(receiverConfigFromEnv({ RECEIVER_PORT: '4100', BRIDGEKEEPER_NOTIFY_SECRET: '' })).toEqual({
      host: '127.0.0.1',
      port: 4100,
      publicUrl: 'http://127.0.0.1:4100',
    });
  });

  it.each([
    ['RECEIVER_PORT', { RECEIVER_PORT: 'abc' }],
    ['RECEIVER_PORT', { RECEIVER_PORT: '70000' }],
    ['BRIDGEKEEPER_PUBLIC_URL', { BRIDGEKEEPER_PUBLIC_URL: 'ftp://example.com' }],
    ['BRIDGEKEEPER_PUBLIC_URL', { BRIDGEKEEPER_PUBLIC_URL: 'https://user:pw@example.com' }],
    ['BRIDGEKEEPER_PUBLIC_URL', { BRIDGEKEEPER_PUBLIC_URL: 'https://example.com/?bk_token=x' }],
    ['BRIDGEKEEPER_NOTIFY_SECRET', { BRIDGEKEEPER_NOTIFY_SECRET: 'short-secret' }],
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
});
