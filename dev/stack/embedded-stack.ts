import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection } from '@temporalio/worker';
import { consoleReceiverLog } from '../../src/notifications/notification-log';
import { alertmanagerOptions } from '../../src/notifications/alertmanager';
import { receiverConfigFromEnv } from '../../src/notifications/config';
import { optionsFromEnv } from '../simulator/env-config';
import { workerTuningFromEnv } from '../../src/config/worker';
import { watchCallBudgets } from '../../src/observability/budget-gauges';
import { metricsConfigFromEnv, startWorkerTelemetry } from '../../src/observability/worker-telemetry';
import { assertNoRunningStack, startDevServer } from './dev-server';
import type { StackBuilder } from './stack-builder';
import { assertPortFree } from './ports';
import { DATA_DIR } from './project-paths';
import { resolveTemporalCli, type Log } from './temporal-cli';
import { wireStack } from './wire-stack';

export interface EmbeddedStackOptions {
  temporalPort?: number;
  uiPort?: number;
  namespace?: string;
  taskQueue?: string;
  log: Log;
}

export interface EmbeddedStack {
  client: Client;
  taskQueue: string;
  namespace: string;
  uiUrl: string;
  /** The simulator's origin (for /_sim/ inspection), when the stack runs one. */
  simulatorOrigin?: string;
}

/** The simulator's ledger, beside the dev server's database (docs/simulator.md, "State file"). */
export const SIMULATOR_STATE_FILE = path.join(DATA_DIR, 'simulator-ledger.json');

/** Simulated minutes pass this many times faster than real ones in the embedded stack, unless configured. */
const DEMO_TIME_SCALE = 120;

/**
 * Everything `npm start` runs on one machine, all on 127.0.0.1: the Temporal dev server, the Hoiio simulator (unless
 * HOIIO_BASE_URL points elsewhere), the notification receiver and a worker. Every piece registers its cleanup with
 * `builder` as soon as it runs: `builder.stop()` stops the stack.
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions, builder: StackBuilder): Promise<EmbeddedStack> {
  const namespace = options.namespace ?? 'default';
  const taskQueue = options.taskQueue ?? 'bridgekeeper';
  const { log } = options;
  // We order the shutdown ourselves (worker before server), so the SDK must not react to signals on its own.
  // Its INFO lines (bundle sizes, state changes) would bury the stack's own output.
  const metricsConfig = metricsConfigFromEnv();

  // Read every setting and check every port before starting anything: a mistake costs no half-started stack.
  const useSimulator = !process.env.HOIIO_BASE_URL;
  const simulatorOptions = useSimulator ? optionsFromEnv() : undefined;
  const simulatorPort = simulatorOptions?.port ?? 4010;
  const receiverConfig = receiverConfigFromEnv();
  const alertmanager = receiverConfig.alertmanager && alertmanagerOptions(receiverConfig.alertmanager, taskQueue);
  assertNoRunningStack();
  const hint = 'Is another `npm start` (or simulator, or receiver) running? Stop it, or set the port variable.';
  if (useSimulator) await assertPortFree(simulatorPort, 'Hoiio simulator, SIMULATOR_PORT', hint);
  await assertPortFree(receiverConfig.port, 'notification receiver, RECEIVER_PORT', hint);
  if (metricsConfig.port !== undefined) {
    await assertPortFree(metricsConfig.port, 'worker metrics, BRIDGEKEEPER_METRICS_PORT', hint);
  }
  const metrics = await startWorkerTelemetry({
    metrics: metricsConfig,
    shutdownSignals: [],
    logger: new DefaultLogger('WARN'),
  });
  if (metrics) builder.onStop(() => metrics.close());

  const cliPath = await resolveTemporalCli(log);
  log(`Starting the Temporal dev server (${cliPath})`);
  const server = await startDevServer({
    cliPath,
    port: options.temporalPort,
    uiPort: options.uiPort,
    namespace,
    log,
    onSpawn: (stop) =>
      builder.onStop(async () => {
        log('Stopping the Temporal dev server');
        await stop();
      }),
  });
  log(`Temporal dev server on ${server.address}, UI at ${server.uiUrl} (log: ${server.logFile})`);

  const connection = await Connection.connect({ address: server.address });
  builder.onStop(() => connection.close());
  const client = new Client({ connection, namespace });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  builder.onStop(() => nativeConnection.close());

  const { simulator, receiver, hoiio } = await wireStack({
    builder,
    client,
    nativeConnection,
    namespace,
    taskQueue,
    simulator: simulatorOptions && {
      ...simulatorOptions,
      port: simulatorPort,
      timeScale: simulatorOptions.timeScale ?? DEMO_TIME_SCALE,
      // Sessions in the dev server's database outlive a restart; the calls they know of must too.
      stateFile: simulatorOptions.stateFile ?? SIMULATOR_STATE_FILE,
    },
    hoiioEnv: process.env,
    receiver: {
      ...receiverConfig,
      alertmanager,
      log: consoleReceiverLog,
    },
    worker: workerTuningFromEnv(),
  });
  const unwatchBudgets = watchCallBudgets(client, hoiio);
  builder.onStop(() => Promise.resolve(unwatchBudgets()));
  if (simulator) log(`Hoiio simulator at ${simulator.baseUrl} (inspect: ${simulator.origin}/_sim/calls, /_sim/stats)`);
  log(`Notification receiver at ${receiver.url} (public URL ${receiverConfig.publicUrl})`);
  log(`Worker polling task queue ${taskQueue}${metrics ? `; metrics at ${metrics.url}` : ''}`);

  return { client, taskQueue, namespace, uiUrl: server.uiUrl, simulatorOrigin: simulator?.origin };
}
