import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createWorker } from '../worker';
import { startDevServer } from './dev-server';
import { resolveTemporalCli, type Log } from './temporal-cli';

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
  /** Stops everything that was started, newest first; safe to call more than once and mid-start. */
  stop(): Promise<void>;
}

/**
 * Everything `npm start` runs on one machine: the Temporal dev server and a worker, all on 127.0.0.1.
 * Each piece registers its own cleanup as soon as it exists, so an interrupted start leaves nothing behind.
 */
export class StackBuilder {
  private readonly cleanups: Array<() => Promise<void>> = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Log) {}

  onStop(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const cleanup of this.cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.log(`While stopping: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.stopping;
  }
}

export async function startEmbeddedStack(options: EmbeddedStackOptions, builder: StackBuilder): Promise<EmbeddedStack> {
  const namespace = options.namespace ?? 'default';
  const taskQueue = options.taskQueue ?? 'bridgekeeper';
  const { log } = options;
  // We order the shutdown ourselves (worker before server), so the SDK must not react to signals on its own.
  // The SDK's INFO lines (bundle sizes, state changes) would bury the stack's own output.
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });

  const cliPath = await resolveTemporalCli(log);
  log(`Starting the Temporal dev server (${cliPath})`);
  const server = await startDevServer({ cliPath, port: options.temporalPort, uiPort: options.uiPort, namespace, log });
  builder.onStop(async () => {
    log('Stopping the Temporal dev server');
    await server.stop();
  });
  log(`Temporal dev server on ${server.address}, UI at ${server.uiUrl} (log: ${server.logFile})`);

  const nativeConnection = await NativeConnection.connect({ address: server.address });
  builder.onStop(() => nativeConnection.close());
  const worker = await createWorker({ connection: nativeConnection, namespace, taskQueue });
  const running = worker.run();
  builder.onStop(async () => {
    log('Stopping the worker');
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  log(`Worker polling task queue ${taskQueue}`);

  const connection = await Connection.connect({ address: server.address });
  builder.onStop(() => connection.close());
  const client = new Client({ connection, namespace });

  return { client, taskQueue, namespace, uiUrl: server.uiUrl, stop: () => builder.stop() };
}
