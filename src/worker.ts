import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { temporalConfigFromEnv } from './config/temporal';
import * as helloActivities from './activities/hello';

export interface BridgekeeperWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Prebuilt workflow bundle; without it the worker bundles `src/workflows` itself (a few seconds). */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** The one place that says what a bridgekeeper worker serves, for `npm start`, `npm run worker` and tests alike. */
export async function createWorker(options: BridgekeeperWorkerOptions): Promise<Worker> {
  const activities = { ...helloActivities };
  return await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
    activities,
  });
}

async function main(): Promise<void> {
  const config = temporalConfigFromEnv();
  const connection = await NativeConnection.connect(config.connection);
  try {
    const worker = await createWorker({ connection, namespace: config.namespace, taskQueue: config.taskQueue });
    console.log(`Worker polling task queue ${config.taskQueue} on ${config.address} (namespace ${config.namespace})`);
    // The SDK's runtime stops the worker on SIGINT/SIGTERM; run() resolves once in-flight tasks are done.
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
