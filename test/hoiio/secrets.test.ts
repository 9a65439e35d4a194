import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { createHoiioClient, HoiioSecret, HoiioTransportError } from '../../src/hoiio';

const TOKEN = 'tok-never-show-8c41e7';

/** A port that was free a moment ago: nothing listens there, so a connection is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function expectNoToken(value: unknown): void {
  expect(JSON.stringify(value)).not.toContain(TOKEN);
  expect(inspect(value, { depth: 10, showHidden: true })).not.toContain(TOKEN);
  expect(String(value)).not.toContain(TOKEN);
}

describe('the access token stays secret', () => {
  it('is redacted in a HoiioSecret however it is printed', () => {
    const secret = new HoiioSecret(TOKEN);
    expectNoToken(secret);
    expectNoToken({ nested: { secret } });
    expect({ ...secret }).toEqual({});
    expect(secret.reveal()).toBe(TOKEN);
  });

  it('does not show in the client object', () => {
    const client = createHoiioClient({ appId: 'demo-app', accessToken: TOKEN });
    expectNoToken(client);
    expect(Object.values(client)).not.toContain(TOKEN);
    return client.close();
  });

  it('is absent from a refused connection error, which is retryable and not ambiguous', async () => {
    const client = createHoiioClient({
      baseUrl: `http://127.0.0.1:${await closedPort()}/open/`,
      appId: 'demo-app',
      accessToken: TOKEN,
    });
    try {
      const error = await client.getBalance().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(HoiioTransportError);
      expect(error).toMatchObject({
        endpoint: 'user/get_balance',
        reason: 'connect',
        retryable: true,
        ambiguous: false,
      });
      expectNoToken(error);
      expectNoToken((error as Error).cause);
    } finally {
      await client.close();
    }
  });

  it('fails with a non-retryable "closed" error after close()', async () => {
    const client = createHoiioClient({ appId: 'demo-app', accessToken: TOKEN });
    await client.close();
    await expect(client.queryStatus('AA-C-1')).rejects.toMatchObject({
      reason: 'closed',
      retryable: false,
      ambiguous: false,
    });
  });
});
