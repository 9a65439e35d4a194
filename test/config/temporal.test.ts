import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporalConfigFromEnv } from '../../src/config/temporal';

/**
 * The Temporal connection as Temporal's CLI reads it (@temporalio/envconfig): variables, profiles in a TOML file,
 * and one line naming the variable for every misconfiguration. Real files in a temp directory; no HOME, so a
 * developer's own ~/.config/temporalio/temporal.toml never leaks in.
 */
describe('temporalConfigFromEnv', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const full = path.join(dir, name);
    writeFileSync(full, text);
    return full;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bk-temporal-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reaches the embedded dev server when nothing is set', () => {
    expect(temporalConfigFromEnv({})).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'bridgekeeper',
      profile: undefined,
      connection: { address: '127.0.0.1:7233', apiKey: undefined, tls: undefined, metadata: undefined },
    });
  });

  it('reads a profile from the config file, and lets the variables override it, as the Temporal CLI does', () => {
    const toml = file(
      'temporal.toml',
      [
        '[profile.prod]',
        'address = "prod.a1b2c.tmprl.cloud:7233"',
        'namespace = "prod.a1b2c"',
        'api_key = "file-key"',
        '[profile.prod.grpc_meta]',
        'x-team = "voice"',
      ].join('\n'),
    );
    const config = temporalConfigFromEnv({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' });
    expect(config).toMatchObject({ address: 'prod.a1b2c.tmprl.cloud:7233', namespace: 'prod.a1b2c', profile: 'prod' });
    // An API key turns TLS on, as in Temporal Cloud.
    expect(config.connection).toEqual({
      address: 'prod.a1b2c.tmprl.cloud:7233',
      apiKey: 'file-key',
      tls: true,
      metadata: { 'x-team': 'voice' },
    });

    const overridden = temporalConfigFromEnv({
      TEMPORAL_CONFIG_FILE: toml,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'staging.a1b2c',
      TEMPORAL_API_KEY: 'env-key',
      TEMPORAL_TASK_QUEUE: 'calls',
    });
    expect(overridden).toMatchObject({ namespace: 'staging.a1b2c', taskQueue: 'calls' });
    expect(overridden.connection.apiKey).toBe('env-key');
  });

  it("reads mTLS from the Temporal CLI's TLS variables", () => {
    const env = {
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem', 'CERT'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key', 'KEY'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem', 'CA'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    };
    const tls = temporalConfigFromEnv(env).connection.tls as {
      serverNameOverride?: string;
      serverRootCACertificate?: Uint8Array;
      clientCertPair?: { crt: Uint8Array; key: Uint8Array };
    };
    expect(tls.serverNameOverride).toBe('temporal');
    expect(Buffer.from(tls.serverRootCACertificate!).toString()).toBe('CA');
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toBe('CERT');
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toBe('KEY');
    expect(temporalConfigFromEnv({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).connection.tls).toBe(false);
  });

  describe('refuses misconfiguration in one line that names the variable and the rule', () => {
    const refusals: [string, () => NodeJS.ProcessEnv, string][] = [
      [
        'a TLS file that does not exist',
        () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/x' }),
        'TEMPORAL_TLS_CLIENT_CERT_PATH "/nonexistent/client.pem": no such file',
      ],
      [
        'an address without a port',
        () => ({ TEMPORAL_ADDRESS: 'temporal.internal' }),
        'TEMPORAL_ADDRESS "temporal.internal" must be host:port, e.g. 127.0.0.1:7233',
      ],
      [
        'an address with a port out of range',
        () => ({ TEMPORAL_ADDRESS: '127.0.0.1:99999' }),
        'TEMPORAL_ADDRESS "127.0.0.1:99999" must be host:port',
      ],
      [
        'a URL for an address',
        () => ({ TEMPORAL_ADDRESS: 'http://temporal:7233' }),
        'TEMPORAL_ADDRESS "http://temporal:7233" must be host:port',
      ],
      [
        'a TLS switch that is not a boolean',
        () => ({ TEMPORAL_TLS: 'yes' }),
        'TEMPORAL_TLS "yes" must be true or false',
      ],
      [
        "bridgekeeper's old TLS variable names",
        () => ({ TEMPORAL_TLS_CERT_PATH: '/etc/tls/client.pem' }),
        'TEMPORAL_TLS_CERT_PATH is no longer read: set TEMPORAL_TLS_CLIENT_CERT_PATH',
      ],
      [
        'a certificate without its key',
        () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: file('c.pem', 'C') }),
        'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or their _DATA) go together',
      ],
      [
        'a config file that does not exist',
        () => ({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' }),
        'TEMPORAL_CONFIG_FILE "/nonexistent/temporal.toml": no such file',
      ],
      [
        'a profile the file does not have',
        () => ({ TEMPORAL_CONFIG_FILE: file('t.toml', '[profile.default]\n'), TEMPORAL_PROFILE: 'prod' }),
        'TEMPORAL_PROFILE "prod": no such profile in',
      ],
      [
        'a misspelt key in the config file',
        () => ({ TEMPORAL_CONFIG_FILE: file('t.toml', '[profile.default]\nadress = "x:1"\n') }),
        'TEMPORAL_CONFIG_FILE cannot be read: Validation error: key(s) unrecognized in profile.default: adress',
      ],
      [
        "a profile's bad address",
        () => ({ TEMPORAL_CONFIG_FILE: file('t.toml', '[profile.default]\naddress = "nohost"\n') }),
        'address of profile "default" in',
      ],
      ['an empty task queue', () => ({ TEMPORAL_TASK_QUEUE: '' }), 'TEMPORAL_TASK_QUEUE must not be empty'],
    ];
    it.each(refusals)('%s', (_what, env, expected) => {
      let message = '';
      try {
        temporalConfigFromEnv(env());
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`Invalid Temporal configuration: ${expected}`);
      expect(message.split('\n')).toHaveLength(1);
    });
  });

  it('never quotes the API key in an error', () => {
    expect(() => temporalConfigFromEnv({ TEMPORAL_API_KEY: 'sekret-api-key', TEMPORAL_ADDRESS: 'bad' })).toThrow(
      /^(?!.*sekret-api-key).*TEMPORAL_ADDRESS/,
    );
  });
});
