/**
 * A whole bridgekeeper stack inside one process, on 127.0.0.1 and free ports: a throwaway Temporal dev server (in
 * memory), the Hoiio simulator over HTTP, the notification receiver over HTTP and a worker wired exactly as in
 * production. For the workflow tests (`test/support/session-stack.ts`) and the benchmark (`dev/bench/`). `npm start`
 * runs a long-lived server of its own (`embedded-stack.ts`); both wire the rest with `wireStack`.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inspect } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel, Runtime } from '@temporalio/worker';
import { simGet, simPost } from '../simulator/inspection-client';
import type { HoiioConfig } from '../../src/hoiio/config';
import type { ReceiverLogEvent } from '../../src/notifications/notification-log';
import type { AlertmanagerOptions } from '../../src/notifications/alertmanager';
import type { RunningReceiver } from '../../src/notifications/receiver';
import type { RunningSimulator, SimulatorOptions } from '../simulator';
import { StackBuilder } from './stack-builder';
import { resolveTemporalCli } from './temporal-cli';
import { wireStack } from './wire-stack';

export interface LocalStackOptions {
  /** Simulator knobs (seed, timeScale...); `port` defaults to 0 (a free port). */
  simulator?: Partial<SimulatorOptions>;
  /** Default: a name unique to this process. */
  taskQueue?: string;
  /** How to get a Temporal server; default: a dev server from the project's Temporal CLI, in memory. */
  startTemporal?: () => Promise<TestWorkflowEnvironment>;
  /** More HOIIO_* variables (e.g. HOIIO_ACCOUNTS and the tokens it names); the base URL is the simulator's. */
  hoiioEnv?: NodeJS.ProcessEnv;
  /**
   * Worker tuning (see `src/config/worker.ts`). Defaults fit a test: a stopping worker waits 2 s for running
   * activities, and a reconcile allows the history 2 s to list a leg.
   */
  worker?: { shutdownGraceMs?: number; historySettleMs?: number };
  /** Serve Alertmanager's webhook, with these policies and token; escalations start on the stack's task queue. */
  alertmanager?: Omit<AlertmanagerOptions, 'taskQueue'>;
}

export interface LocalStack {
  env: TestWorkflowEnvironment;
  simulator: RunningSimulator;
  receiver: RunningReceiver;
  /** Stops the worker (in-flight tasks finish) and starts a fresh one on the same task queue: a redeploy. */
  restartWorker(): Promise<void>;
  hoiio: HoiioConfig;
  taskQueue: string;
  /** What the receiver logged: one event per notification. */
  receiverEvents: ReceiverLogEvent[];
  /** GET on the simulator's origin (`/_sim/...`), the reply parsed as JSON; throws on a non-200 answer. */
  simGet<T>(path: string): Promise<T>;
  /** POST of a JSON body to the simulator's origin; throws on a non-200 answer. */
  simPost(path: string, body: unknown): Promise<void>;
  /** Stops the worker, then the server, the receiver and the simulator; safe to call more than once. */
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Worker logs at warnings and errors only (TEMPORAL_TEST_LOG=INFO for more), unless a Runtime exists already. Under
 * the test suite's environment (test/support/quiet-logs-environment.js) they are held, and printed if a test fails.
 */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    const level = (process.env.TEMPORAL_TEST_LOG || 'WARN') as LogLevel;
    Runtime.install({ logger: new DefaultLogger(level, heldLogFunction()) });
  } catch {
    // A Runtime already exists in this process (another helper made it): keep it.
  }
}

/** Where the test environment holds log lines, when it does. */
interface HeldLogs {
  push(line: string): void;
}

function heldLogs(): HeldLogs | undefined {
  return (globalThis as { __bridgekeeperTestLogs?: HeldLogs }).__bridgekeeperTestLogs;
}

function heldLogFunction(): ((entry: LogEntry) => void) | undefined {
  const held = heldLogs();
  if (held === undefined) return undefined;
  return ({ level, timestampNanos, message, meta }) => {
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    held.push(`${time} [${level}] ${message}${meta === undefined ? '' : ` ${inspect(meta)}`}`);
  };
}

/** A Temporal dev server from the project's CLI, in memory, on 127.0.0.1 and a free port, with a client on it. */
export async function startLocalTemporal(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const path = await resolveTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      ip: '127.0.0.1',
      ui: false,
      // The server writes straight to our stdout, where nothing can hold it back: while tests hold logs, it is
      // silent (no banner, no startup errors such as "Frontend is not healthy yet").
      ...(heldLogs() === undefined
        ? { log: { format: 'pretty', level: 'error' } }
        : { log: { format: 'pretty', level: 'never' }, extraArgs: ['--output', 'none'] }),
    },
  });
}

let queueCounter = 0;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const builder = new StackBuilder();
  const runCleanups = async (): Promise<void> => {
    const [firstError] = await builder.stop();
    if (firstError) throw firstError;
  };

  try {
    const env = await (options.startTemporal ?? startLocalTemporal)();
    builder.onStop(() => env.teardown());
    queueCounter += 1;
    const taskQueue = options.taskQueue ?? `sessions-${process.pid}-${Date.now().toString(36)}-${queueCounter}`;
    const receiverEvents: ReceiverLogEvent[] = [];
    const wired = await wireStack({
      builder,
      client: env.client,
      nativeConnection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      simulator: { port: 0, ...options.simulator },
      hoiioEnv: options.hoiioEnv ?? {},
      receiver: {
        port: 0,
        log: (event) => receiverEvents.push(event),
        ...(options.alertmanager ? { alertmanager: { ...options.alertmanager, taskQueue } } : {}),
      },
      worker: {
        shutdownGraceMs: options.worker?.shutdownGraceMs ?? 2_000,
        historySettleMs: options.worker?.historySettleMs ?? 2_000,
      },
    });
    const simulator = wired.simulator!;
    return {
      env,
      simulator,
      receiver: wired.receiver,
      restartWorker: () => wired.restartWorker(),
      hoiio: wired.hoiio,
      taskQueue,
      receiverEvents,
      simGet: (route) => simGet(simulator.origin, route),
      simPost: (route, body) => simPost(simulator.origin, route, body),
      stop: runCleanups,
    };
  } catch (error) {
    await runCleanups().catch(() => undefined);
    throw error;
  }
}
