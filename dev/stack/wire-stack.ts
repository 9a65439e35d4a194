import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { WorkerTuning } from '../../src/config/worker';
import { hoiioConfigFromEnv, type HoiioConfig } from '../../src/hoiio/config';
import { startReceiver, type RunningReceiver, type StartReceiverOptions } from '../../src/notifications/receiver';
import { createWorker, runInBackground } from '../../src/worker';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator';
import type { StackBuilder } from './stack-builder';

export interface StackWiring {
  /** Every piece registers its cleanup here as soon as it runs. */
  builder: StackBuilder;
  /** A client and a worker connection on the Temporal server the stack uses. */
  client: Client;
  nativeConnection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Simulator knobs, or undefined to use the Hoiio API that `hoiioEnv` points at. */
  simulator: Partial<SimulatorOptions> | undefined;
  /** HOIIO_* variables; the simulator's base URL replaces HOIIO_BASE_URL when there is one. */
  hoiioEnv: NodeJS.ProcessEnv;
  /** Where the receiver listens and how it logs; its URL is the public one unless `publicUrl` says otherwise. */
  receiver: Omit<StartReceiverOptions, 'client' | 'accounts'> & { publicUrl?: string };
  worker: WorkerTuning;
}

export interface WiredStack {
  simulator: RunningSimulator | undefined;
  hoiio: HoiioConfig;
  receiver: RunningReceiver;
  /** Stops the worker (in-flight tasks finish) and starts a fresh one on the same task queue: a redeploy. */
  restartWorker(): Promise<void>;
}

/**
 * The one wiring of simulator → receiver → worker, shared by `npm start` (embedded-stack.ts) and the tests and
 * benchmark (local-stack.ts), so what the tests run is what a user runs. Stopping `builder` undoes it newest first:
 * the worker drains before the receiver and the simulator go.
 */
export async function wireStack(wiring: StackWiring): Promise<WiredStack> {
  const { builder } = wiring;
  let simulator: RunningSimulator | undefined;
  let hoiioEnv = wiring.hoiioEnv;
  if (wiring.simulator) {
    const running = await startSimulator(wiring.simulator);
    builder.onStop(() => running.close());
    simulator = running;
    hoiioEnv = { ...hoiioEnv, HOIIO_BASE_URL: running.baseUrl };
  }
  const hoiio = hoiioConfigFromEnv(hoiioEnv);

  const { publicUrl, ...receiverOptions } = wiring.receiver;
  const receiver = await startReceiver({ ...receiverOptions, client: wiring.client, accounts: hoiio.accounts });
  builder.onStop(() => receiver.close());

  const startWorker = async () =>
    runInBackground(
      await createWorker({
        connection: wiring.nativeConnection,
        client: wiring.client,
        namespace: wiring.namespace,
        taskQueue: wiring.taskQueue,
        hoiio,
        publicUrl: publicUrl ?? receiver.url,
        notifySecret: receiverOptions.notifySecret,
        ...wiring.worker,
      }),
    );
  let running = await startWorker();
  builder.onStop(() => running.stop());
  const restartWorker = async () => {
    await running.stop();
    running = await startWorker();
  };
  return { simulator, hoiio, receiver, restartWorker };
}
