/**
 * The stack as separate OS processes on 127.0.0.1 and free ports, as a deployment runs it: a Temporal dev server
 * with its SQLite file in the run's directory (so it can be restarted on the same data), the Hoiio simulator, the
 * notification receiver and a worker, each configured only through the environment variables of docs/configuration.md.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { simGet, simPost } from '../simulator/inspection-client';
import { resolveTemporalCli } from '../stack/temporal-cli';
import { freePort, PROJECT_ROOT, ProcessRegistry, type ManagedProcess } from './processes';

export interface ChaosStackOptions {
  /** The run's directory: the dev server's database, every process's log. */
  dir: string;
  seed: number;
  timeScale: number;
  /** Startup knobs for the simulator (SIMULATOR_CONFIG). */
  simulatorConfig: Record<string, unknown>;
  /** BRIDGEKEEPER_SHUTDOWN_GRACE_MS of the worker. */
  workerShutdownGraceMs: number;
  /** BRIDGEKEEPER_HISTORY_SETTLE_MS of the worker. */
  historySettleMs: number;
  log: (line: string) => void;
}

export interface UnexpectedExit {
  process: string;
  code: number | null;
  signal: string | null;
  at: string;
  tail: string;
}

const NAMESPACE = 'default';
export const TASK_QUEUE = 'bridgekeeper-chaos';

export class ChaosStack {
  readonly processes = new ProcessRegistry();
  readonly unexpectedExits: UnexpectedExit[] = [];
  private ports = { temporal: 0, simulator: 0, receiver: 0 };
  private cliPath = '';
  private server: ManagedProcess | undefined;
  private simulator: ManagedProcess | undefined;
  private receiver: ManagedProcess | undefined;
  private worker: ManagedProcess | undefined;
  private connection: Connection | undefined;
  private starts = { server: 0, worker: 0, receiver: 0 };
  client!: Client;

  constructor(private readonly options: ChaosStackOptions) {}

  get temporalAddress(): string {
    return `127.0.0.1:${this.ports.temporal}`;
  }

  get simulatorOrigin(): string {
    return `http://127.0.0.1:${this.ports.simulator}`;
  }

  get dbFile(): string {
    return path.join(this.options.dir, 'temporal.db');
  }

  /** The environment every bridgekeeper process gets: the documented variables, nothing else of ours. */
  private env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      HOIIO_BASE_URL: `${this.simulatorOrigin}/open/`,
      RECEIVER_HOST: '127.0.0.1',
      RECEIVER_PORT: String(this.ports.receiver),
      BRIDGEKEEPER_PUBLIC_URL: `http://127.0.0.1:${this.ports.receiver}`,
      // Several workers run side by side here; none needs the metrics port.
      BRIDGEKEEPER_METRICS_PORT: 'off',
      ...extra,
    };
  }

  /** `node --import tsx <entry>`: one process per role, so a SIGKILL kills the role and nothing survives it. */
  private startNode(name: string, entry: string, env: NodeJS.ProcessEnv): ManagedProcess {
    const log = path.join(this.options.dir, `${name}.log`);
    const child = this.processes.start(name, log, process.execPath, ['--import', 'tsx', entry], env);
    this.watch(child);
    return child;
  }

  private watch(child: ManagedProcess): void {
    void child.exited.then(({ code, signal }) => {
      if (child.expectExit) return;
      const exit = { process: child.name, code, signal, at: new Date().toISOString(), tail: child.tail(8) };
      this.unexpectedExits.push(exit);
      this.options.log(`UNEXPECTED: ${child.name} (pid ${child.pid}) exited (code ${code}, signal ${signal})`);
    });
  }

  async start(): Promise<void> {
    this.cliPath = await resolveTemporalCli(this.options.log);
    this.ports = { temporal: await freePort(), simulator: await freePort(), receiver: await freePort() };
    await this.startServer();
    this.connection = await Connection.connect({ address: this.temporalAddress });
    this.client = new Client({ connection: this.connection, namespace: NAMESPACE });
    await this.startSimulator();
    await Promise.all([this.startReceiver(), this.startWorker()]);
  }

  async startServer(): Promise<void> {
    this.starts.server += 1;
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.ports.temporal), '--headless'];
    args.push('--namespace', NAMESPACE, '--db-filename', this.dbFile, '--log-level', 'warn');
    const log = path.join(this.options.dir, 'temporal.log');
    this.server = this.processes.start('temporal', log, this.cliPath, args, process.env);
    this.watch(this.server);
    await this.waitForServer(60_000);
  }

  private async waitForServer(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.server?.running) throw new Error(`the Temporal dev server exited:\n${this.server?.tail()}`);
      try {
        const connection = await Connection.connect({ address: this.temporalAddress, connectTimeout: 1_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
          return;
        } finally {
          await connection.close();
        }
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the Temporal dev server did not answer: ${String(error)}`);
        await sleep(200);
      }
    }
  }

  /** Stops the dev server (SIGTERM, SIGKILL after 15 s) and starts it again on the same port and database. */
  async restartServer(downMs: number): Promise<{ forced: boolean; downMs: number }> {
    const began = Date.now();
    const stopped = await this.server!.stop('SIGTERM', 15_000);
    await sleep(downMs);
    await this.startServer();
    return { forced: stopped.forced, downMs: Date.now() - began };
  }

  async startSimulator(): Promise<void> {
    this.simulator = this.startNode(
      'simulator',
      'dev/simulator/main.ts',
      this.env({
        SIMULATOR_HOST: '127.0.0.1',
        SIMULATOR_PORT: String(this.ports.simulator),
        SIMULATOR_SEED: String(this.options.seed),
        SIMULATOR_TIME_SCALE: String(this.options.timeScale),
        SIMULATOR_CONFIG: JSON.stringify(this.options.simulatorConfig),
      }),
    );
    await this.simulator.waitForLog('Hoiio simulator listening on', 60_000);
  }

  async startReceiver(): Promise<void> {
    this.starts.receiver += 1;
    const from = this.receiver?.log().length ?? 0;
    this.receiver = this.startNode('receiver', 'src/receiver.ts', this.env());
    await this.receiver.waitForLog('bridgekeeper receiver listening on', 60_000, from);
  }

  async restartReceiver(downMs: number): Promise<void> {
    await this.receiver!.stop('SIGTERM', 10_000);
    await sleep(downMs);
    await this.startReceiver();
  }

  async startWorker(): Promise<void> {
    this.starts.worker += 1;
    const from = this.worker?.log().length ?? 0;
    this.worker = this.startNode(
      'worker',
      'src/worker.ts',
      this.env({
        BRIDGEKEEPER_SHUTDOWN_GRACE_MS: String(this.options.workerShutdownGraceMs),
        BRIDGEKEEPER_HISTORY_SETTLE_MS: String(this.options.historySettleMs),
      }),
    );
    await this.worker.waitForLog('Worker polling task queue', 120_000, from);
  }

  /** Signals the worker and waits for it to go (a graceful stop gets its grace plus 15 s, then SIGKILL). */
  async stopWorker(signal: 'SIGTERM' | 'SIGKILL'): Promise<{ forced: boolean; exit: string }> {
    const grace = signal === 'SIGKILL' ? 5_000 : this.options.workerShutdownGraceMs + 15_000;
    const { code, signal: by, forced } = await this.worker!.stop(signal, grace);
    return { forced, exit: by ? `signal ${by}` : `code ${code}` };
  }

  workerRunning(): boolean {
    return this.worker?.running ?? false;
  }

  receiverRunning(): boolean {
    return this.receiver?.running ?? false;
  }

  serverRunning(): boolean {
    return this.server?.running ?? false;
  }

  /**
   * Replies the simulator has logged so far to dial requests: conference/call, voice/conference and ivr/start/dial (it
   * logs each reply as it sends it).
   */
  dialReplies(): number {
    return countDialReplies(this.simulator?.log() ?? '');
  }

  simGet<T>(route: string): Promise<T> {
    return simGet<T>(this.simulatorOrigin, route);
  }

  simPost(route: string, body: unknown): Promise<void> {
    return simPost(this.simulatorOrigin, route, body);
  }

  /** Stops everything, worker first, server last; whatever does not stop in time is killed. */
  async stop(): Promise<void> {
    const steps: Array<[ManagedProcess | undefined, number]> = [
      [this.worker, 5_000],
      [this.receiver, 5_000],
      [this.simulator, 5_000],
    ];
    await Promise.all(steps.flatMap(([child, grace]) => (child ? [child.stop('SIGTERM', grace)] : [])));
    await this.connection?.close().catch(() => undefined);
    await this.server?.stop('SIGTERM', 10_000);
    this.processes.killAll();
  }

  /** Synchronous last resort for 'exit' handlers. */
  killAll(): void {
    this.processes.killAll();
  }

  logFiles(): string {
    return path.relative(PROJECT_ROOT, this.options.dir) || this.options.dir;
  }
}

/** Dial requests (conference/call, voice/conference, ivr/start/dial) a simulator log shows answered. */
export function countDialReplies(simulatorLog: string): number {
  return (simulatorLog.match(/\/open\/(conference\/call|voice\/conference|ivr\/start\/dial) -> /g) ?? []).length;
}
