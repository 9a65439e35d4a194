/**
 * Everything a conference session needs, for real, in one test process: a Temporal dev server, the Hoiio simulator
 * over HTTP, the notification receiver over HTTP, and a bridgekeeper worker wired exactly as in production.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { hoiioConfigFromEnv } from '../../src/hoiio/config';
import { startReceiver, type RunningReceiver } from '../../src/notifications/receiver';
import type { ReceiverLogEvent } from '../../src/notifications/notification-log';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator';
import { createWorker } from '../../src/worker';
import { startTemporalTestEnv, stopTemporalTestEnv, uniqueId, type TestWorker } from './temporal-test-env';

export interface SessionStack {
  env: TestWorkflowEnvironment;
  simulator: RunningSimulator;
  receiver: RunningReceiver;
  taskQueue: string;
  /** What the receiver logged: one event per notification. */
  receiverEvents: ReceiverLogEvent[];
  simGet<T>(path: string): Promise<T>;
  simPost(path: string, body: unknown): Promise<void>;
  stop(): Promise<void>;
}

export async function startSessionStack(simulatorOptions: Partial<SimulatorOptions> = {}): Promise<SessionStack> {
  const env = await startTemporalTestEnv();
  const simulator = await startSimulator({ port: 0, ...simulatorOptions });
  const hoiio = hoiioConfigFromEnv({ HOIIO_BASE_URL: simulator.baseUrl });
  const receiverEvents: ReceiverLogEvent[] = [];
  const receiver = await startReceiver({
    client: env.client,
    accounts: { default: { accessToken: hoiio.default.accessToken } },
    port: 0,
    log: (event) => receiverEvents.push(event),
  });
  const taskQueue = uniqueId('sessions');
  const worker = await createWorker({
    connection: env.nativeConnection,
    client: env.client,
    namespace: env.namespace ?? 'default',
    taskQueue,
    hoiio,
    publicUrl: receiver.url,
  });
  const running = worker.run();
  const testWorker: TestWorker = {
    worker,
    taskQueue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };

  const simGet = async <T>(path: string): Promise<T> => {
    const reply = await request(`${simulator.origin}${path}`);
    return (await reply.body.json()) as T;
  };
  const simPost = async (path: string, body: unknown): Promise<void> => {
    const reply = await request(`${simulator.origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await reply.body.text();
    if (reply.statusCode !== 200) throw new Error(`POST ${path} answered ${reply.statusCode}: ${text}`);
  };

  return {
    env,
    simulator,
    receiver,
    taskQueue,
    receiverEvents,
    simGet,
    simPost,
    async stop() {
      try {
        await stopTemporalTestEnv(env, testWorker);
      } finally {
        await receiver.close();
        await simulator.close();
      }
    },
  };
}
