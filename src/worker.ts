import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createBudgetActivities } from './activities/budget';
import { createConferenceActivities } from './activities/conference';
import { prebuiltWorkflowBundle } from './bundle-workflows';
import { printConfigCheck } from './cli/config-check';
import { temporalConfigFromEnv } from './config/temporal';
import { DEFAULT_SHUTDOWN_GRACE_MS, workerTuningFromEnv } from './config/worker';
import { hoiioConfigFromEnv, type HoiioConfig } from './hoiio/config';
import { receiverConfigFromEnv } from './notifications/config';
import { activityLogContext } from './observability/activity-log-context';
import { watchCallBudgets } from './observability/budget-gauges';
import { logSettingsFromEnv, runtimeLogger, useLogFormatForConsole } from './observability/json-log';
import { legMetricsSinks } from './observability/leg-metrics';
import { WORKFLOW_INTERCEPTOR_MODULES } from './observability/workflow-interceptor-modules';
import {
  startTracing,
  tracingActivityInterceptors,
  tracingWorkflowSinks,
  tracingClientInterceptors,
  type Tracing,
} from './observability/tracing';
import { metricsConfigFromEnv, startWorkerTelemetry } from './observability/worker-telemetry';
import { withoutTracingPatch } from './observability/workflow/tracing-patch';
import { WORKFLOW_BUNDLER_OPTIONS } from './workflow-bundler-options';

export interface BridgekeeperWorkerOptions {
  connection: NativeConnection;
  /** For activities that start or signal workflows (the call budget). */
  client: Client;
  namespace: string;
  taskQueue: string;
  hoiio: HoiioConfig;
  /** Base URL at which Hoiio reaches the notification receiver. */
  publicUrl: string;
  notifySecret?: string;
  /** Prebuilt workflow bundle; without it the worker bundles `src/workflows` itself (a few seconds). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** See `src/config/worker.ts`. */
  shutdownGraceMs?: number;
  historySettleMs?: number;
  maxCachedWorkflows?: number;
  /** OpenTelemetry traces (`src/observability/tracing.ts`); absent, none. */
  tracing?: Tracing;
}

/** The one place that says what a bridgekeeper worker serves, for `npm start`, `npm run worker` and tests alike. */
export async function createWorker(options: BridgekeeperWorkerOptions): Promise<Worker> {
  const activities = {
    ...createBudgetActivities(options.client),
    ...createConferenceActivities({
      hoiio: options.hoiio,
      publicUrl: options.publicUrl,
      notifySecret: options.notifySecret,
      historySettleMs: options.historySettleMs,
    }),
  };
  return await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    // A prebuilt bundle carries the interceptor modules itself (bundleWorkflowCode's workflowInterceptorModules).
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows'), bundlerOptions: WORKFLOW_BUNDLER_OPTIONS }),
    interceptors: {
      activity: [activityLogContext, ...tracingActivityInterceptors(options.tracing)],
      workflowModules: options.workflowBundle ? [] : WORKFLOW_INTERCEPTOR_MODULES,
    },
    sinks: { ...legMetricsSinks, ...tracingWorkflowSinks(options.tracing) },
    ...(options.tracing ? {} : { patchActivationCallback: withoutTracingPatch }),
    activities,
    // A deploy's SIGTERM lets a dial in flight finish instead of cancelling it under its request.
    shutdownGraceTime: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
}

export interface RunningWorker {
  /** Asks the worker to stop, waits until in-flight tasks are done, and rethrows a worker failure. */
  stop(): Promise<void>;
}

/** Runs a worker until stop(); a failure before stop() is awaited is kept for it, not left unhandled. */
export function runInBackground(worker: Worker): RunningWorker {
  const running = worker.run();
  running.catch(() => undefined);
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

async function main(): Promise<void> {
  const config = temporalConfigFromEnv();
  const receiver = receiverConfigFromEnv();
  const hoiio = hoiioConfigFromEnv();
  const tuning = workerTuningFromEnv();
  const logs = logSettingsFromEnv();
  useLogFormatForConsole(logs);
  const metrics = await startWorkerTelemetry({ metrics: metricsConfigFromEnv(), logger: runtimeLogger(logs) });
  const tracing = startTracing('bridgekeeper-worker');
  const connection = await NativeConnection.connect(config.connection);
  const clientConnection = await Connection.connect(config.connection);
  try {
    const codePath = prebuiltWorkflowBundle();
    if (codePath) console.log(`Worker using the prebuilt workflow bundle ${codePath}`);
    const client = new Client({
      connection: clientConnection,
      namespace: config.namespace,
      interceptors: tracingClientInterceptors(tracing),
    });
    watchCallBudgets(client, hoiio);
    const worker = await createWorker({
      connection,
      client,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      hoiio,
      publicUrl: receiver.publicUrl,
      notifySecret: receiver.notifySecret,
      workflowBundle: codePath ? { codePath } : undefined,
      ...tuning,
      tracing,
    });
    console.log(`Worker polling task queue ${config.taskQueue} on ${config.address} (namespace ${config.namespace})`);
    if (metrics) console.log(`Worker metrics at ${metrics.url}`);
    // The SDK's runtime stops the worker on SIGINT/SIGTERM; run() resolves once in-flight tasks are done.
    await worker.run();
  } finally {
    await clientConnection.close();
    await connection.close();
    await metrics?.close();
    await tracing?.shutdown();
  }
}

/** `--check`: the CLI's `config check` from the worker's own entry point, then exit 0 or 1 without starting. */
async function check(): Promise<void> {
  const { failed } = await printConfigCheck(console.log, { hoiio: !process.argv.includes('--no-hoiio') });
  process.exit(failed > 0 ? 1 : 0);
}

if (require.main === module) {
  (process.argv.includes('--check') ? check() : main()).catch((error: unknown) => {
    // One line an operator can act on (it names the variable); the stack only when asked for.
    console.error(`bridgekeeper worker: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.BRIDGEKEEPER_DEBUG) console.error(error);
    process.exit(1);
  });
}
