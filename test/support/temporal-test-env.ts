/**
 * Workflow tests on a real Temporal dev server (the CLI's `server start-dev`, in memory, on a free port), never a mock.
 *
 * ```ts
 * let env: TestWorkflowEnvironment;
 * let worker: TestWorker;
 * beforeAll(async () => {
 *   env = await startTemporalTestEnv();
 *   worker = await startTestWorker(env, { activities: createBudgetActivities(env.client) });
 * });
 * afterAll(() => stopTemporalTestEnv(env, worker));
 * // env.client.workflow.execute(someWorkflow, { taskQueue: worker.taskQueue, workflowId: uniqueId('x'), args })
 * ```
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../src/workflow-bundler-options';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startLocalTemporal } from '../../dev/stack/local-stack';
import { runInBackground } from '../../src/worker';

/** Starts a dev server from the project's Temporal CLI (in memory, quiet logs) and connects a client to it. */
export const startTemporalTestEnv = startLocalTemporal;

let counter = 0;
/** A name unique within this test process and across processes: `<prefix>-<pid>-<time>-<n>`. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export interface TestWorkerOptions {
  /** Module the worker bundles; default `src/workflows` (every production workflow). */
  workflowsPath?: string;
  /** Activity implementations, e.g. `createBudgetActivities(env.client)`. */
  activities?: object;
  /** Default: a unique task queue, so test files never steal each other's tasks. */
  taskQueue?: string;
  /** Anything else for `Worker.create`. */
  workerOptions?: Partial<WorkerOptions>;
}

export interface TestWorker {
  worker: Worker;
  taskQueue: string;
  /** Shuts the worker down and waits until it has stopped; rethrows a worker failure. */
  stop(): Promise<void>;
}

/** Creates a worker on `env`'s server and starts it running in the background. */
export async function startTestWorker(
  env: TestWorkflowEnvironment,
  options: TestWorkerOptions = {},
): Promise<TestWorker> {
  const taskQueue = options.taskQueue ?? uniqueId('test');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowsPath: options.workflowsPath ?? require.resolve('../../src/workflows'),
    bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
    activities: options.activities,
    ...options.workerOptions,
  });
  const running = runInBackground(worker);
  return { worker, taskQueue, stop: () => running.stop() };
}

/** Stops the workers, then the server. Safe with values that were never set (a failed beforeAll). */
export async function stopTemporalTestEnv(
  env: TestWorkflowEnvironment | undefined,
  ...workers: (TestWorker | undefined)[]
): Promise<void> {
  try {
    await Promise.all(workers.map((w) => (w ? w.stop() : Promise.resolve())));
  } finally {
    await env?.teardown();
  }
}
