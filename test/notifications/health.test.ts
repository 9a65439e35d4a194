import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { HEALTH_PATH, READY_PATH, startReceiver, type RunningReceiver } from '../../src/notifications/receiver';
import { startTemporalTestEnv } from '../support/temporal-test-env';

/**
 * The receiver's probes over real HTTP: `/healthz` says the process answers, `/readyz` that Temporal does too, so a
 * load balancer stops sending Hoiio's notifications to a receiver that could not signal them.
 */
describe('the receiver’s health and readiness', () => {
  let env: TestWorkflowEnvironment | undefined;
  let connection: Connection | undefined;
  let receiver: RunningReceiver | undefined;

  afterAll(async () => {
    await receiver?.close();
    await connection?.close();
    await env?.teardown();
  });

  async function get(path: string): Promise<{ status: number; body: { status: string; reason?: string } }> {
    const response = await fetch(`${receiver!.url}${path}`);
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
  }

  it('is ready while Temporal answers, and answers 503 naming why once it is gone, while /healthz stays 200', async () => {
    env = await startTemporalTestEnv();
    // A connection of the receiver's own, so that stopping the server leaves it open and failing, as in production.
    connection = await Connection.connect({ address: env.address });
    receiver = await startReceiver({ port: 0, client: new Client({ connection }), accounts: {}, log: () => undefined });

    expect(await get(HEALTH_PATH)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get(READY_PATH)).toEqual({ status: 200, body: { status: 'ready' } });

    await env.teardown();
    env = undefined;
    const started = Date.now();
    const notReady = await get(READY_PATH);
    expect(notReady.status).toBe(503);
    expect(notReady.body).toEqual({ status: 'not ready', reason: expect.stringMatching(/^Temporal unreachable: /) });
    // Bounded by the probe's own deadline, not by the client's retries.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await get(HEALTH_PATH)).toEqual({ status: 200, body: { status: 'ok' } });
  }, 120_000);
});
