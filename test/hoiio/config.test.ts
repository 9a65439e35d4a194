import { inspect } from 'node:util';
import { checkAccountConfigured, HoiioConfigError, hoiioConfigFromEnv, selectHoiioAccount } from '../../src/hoiio';

function configError(env: NodeJS.ProcessEnv): HoiioConfigError {
  try {
    hoiioConfigFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(HoiioConfigError);
    return error as HoiioConfigError;
  }
  throw new Error('expected a configuration error');
}

describe('hoiioConfigFromEnv', () => {
  it('defaults to the local simulator with the demo account', () => {
    const config = hoiioConfigFromEnv({});
    expect(config.default.baseUrl).toBe('http://127.0.0.1:4010/open/');
    expect(config.default.appId).toBe('demo-app');
    expect(config.default.accessToken.reveal()).toBe('demo-token');
    expect(config.default.timeouts).toEqual({ connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 });
    expect(Object.keys(config.accounts)).toEqual(['default']);
  });

  it('keeps the demo defaults on any loopback simulator port', () => {
    const config = hoiioConfigFromEnv({ HOIIO_BASE_URL: 'http://localhost:39999/open/' });
    expect(config.default.accessToken.reveal()).toBe('demo-token');
  });

  it('requires app id and token for the real API, naming both variables', () => {
    const error = configError({ HOIIO_BASE_URL: 'https://secure.hoiio.com/open/' });
    expect(error.issues.map((issue) => issue.path)).toEqual(['HOIIO_APP_ID', 'HOIIO_ACCESS_TOKEN']);
    expect(error.message).toContain('HOIIO_ACCESS_TOKEN: is required when HOIIO_BASE_URL is not the local simulator');
    // An exported but empty variable is as good as unset.
    expect(
      configError({ HOIIO_BASE_URL: 'https://secure.hoiio.com/open/', HOIIO_APP_ID: 'app', HOIIO_ACCESS_TOKEN: '' })
        .issues,
    ).toHaveLength(1);
  });

  it('reads real credentials and timeouts, and never shows the token', () => {
    const token = 'tok-real-5f2c9a';
    const config = hoiioConfigFromEnv({
      HOIIO_BASE_URL: 'https://secure.hoiio.com/open/',
      HOIIO_APP_ID: 'app-123',
      HOIIO_ACCESS_TOKEN: token,
      HOIIO_HEADERS_TIMEOUT_MS: '1500',
    });
    expect(config.default).toMatchObject({ appId: 'app-123', timeouts: { headersMs: 1_500, connectMs: 5_000 } });
    expect(config.default.accessToken.reveal()).toBe(token);
    expect(JSON.stringify(config)).not.toContain(token);
    expect(inspect(config, { depth: 10 })).not.toContain(token);
    expect(String(config.default.accessToken)).toBe('[redacted]');
  });

  it('names the variable of a bad base URL or timeout', () => {
    expect(configError({ HOIIO_BASE_URL: 'ftp://x/' }).message).toContain(
      'HOIIO_BASE_URL: must be an http:// or https:// URL',
    );
    expect(configError({ HOIIO_BASE_URL: 'https://user:pw@secure.hoiio.com/open/' }).message).not.toContain('pw');
    expect(configError({ HOIIO_BODY_TIMEOUT_MS: '10s' }).message).toContain('HOIIO_BODY_TIMEOUT_MS');
  });

  it('reads named accounts, each token from the variable it names', () => {
    const config = hoiioConfigFromEnv({
      HOIIO_BASE_URL: 'http://127.0.0.1:4010/open/',
      HOIIO_ACCOUNTS: JSON.stringify({
        sales: { appId: 'sales-app', accessTokenEnv: 'SALES_TOKEN' },
        eu: { appId: 'eu-app', accessTokenEnv: 'EU_TOKEN', baseUrl: 'https://secure.hoiio.com/open/' },
      }),
      SALES_TOKEN: 'sales-secret',
      EU_TOKEN: 'eu-secret',
    });
    expect(Object.keys(config.accounts).sort()).toEqual(['default', 'eu', 'sales']);
    expect(selectHoiioAccount(config, 'sales')).toMatchObject({
      appId: 'sales-app',
      baseUrl: 'http://127.0.0.1:4010/open/',
    });
    expect(selectHoiioAccount(config, 'eu').baseUrl).toBe('https://secure.hoiio.com/open/');
    expect(selectHoiioAccount(config, 'eu').accessToken.reveal()).toBe('eu-secret');
    expect(selectHoiioAccount(config)).toBe(config.default);
    expect(() => selectHoiioAccount(config, 'nope')).toThrow('configured: default, eu, sales');
    expect(() => selectHoiioAccount(config, 'toString')).toThrow('unknown');
    expect(JSON.stringify(config)).not.toMatch(/sales-secret|eu-secret/);
  });

  it('names what is wrong with HOIIO_ACCOUNTS', () => {
    expect(configError({ HOIIO_ACCOUNTS: '{not json' }).message).toContain('HOIIO_ACCOUNTS: must be a JSON object');
    expect(configError({ HOIIO_ACCOUNTS: '{"default":{"appId":"a","accessTokenEnv":"T"}}', T: 'x' }).message).toContain(
      'reserved',
    );
    expect(configError({ HOIIO_ACCOUNTS: '{"Sales":{"appId":"a","accessTokenEnv":"T"}}', T: 'x' }).message).toContain(
      'account names are lowercase',
    );
    expect(configError({ HOIIO_ACCOUNTS: '{"s":{"appId":"a","accessToken":"inline"}}' }).message).toContain(
      'HOIIO_ACCOUNTS.s',
    );
    const missing = configError({ HOIIO_ACCOUNTS: '{"s":{"appId":"a","accessTokenEnv":"S_TOKEN"}}' });
    expect(missing.issues).toEqual([
      { path: 'S_TOKEN', message: expect.stringContaining('Hoiio account "s"') as string },
    ]);
  });
});

describe('checkAccountConfigured', () => {
  const accounts = { HOIIO_ACCOUNTS: '{"sales":{"appId":"a","accessTokenEnv":"SALES_TOKEN"}}' };

  it('knows the accounts by HOIIO_ACCOUNTS alone, without their tokens', () => {
    expect(() => checkAccountConfigured('default', {})).not.toThrow();
    expect(() => checkAccountConfigured('sales', accounts)).not.toThrow();
    expect(() => checkAccountConfigured('nosuch', accounts)).toThrow(
      'account "nosuch": unknown; configured: default, sales',
    );
    expect(() => checkAccountConfigured('sales', {})).toThrow('account "sales": unknown; configured: default');
  });

  it('names what is wrong with HOIIO_ACCOUNTS rather than guess', () => {
    expect(() => checkAccountConfigured('default', { HOIIO_ACCOUNTS: '{not json' })).toThrow(
      'HOIIO_ACCOUNTS: must be a JSON object',
    );
  });
});
