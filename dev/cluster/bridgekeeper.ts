/**
 * bridgekeeper on the cluster, as production runs it: the production build (`node dist/worker.js`,
 * `node dist/receiver.js`, no tsx) in separate processes, two workers and two receivers, each configured only by the
 * variables of docs/configuration.md (the connection through envconfig). Worker i gives Hoiio receiver i's URL, so
 * the notifications of the legs it dials land on that receiver: both receivers carry notifications, and each signals
 * sessions that either worker runs. The Hoiio simulator runs from source (tsx), as in every dev stack.
 */
import path from 'node:path';
import { freePort, type ManagedProcess, type ProcessRegistry } from '../chaos/processes';

export interface BridgekeeperOptions {
  dir: string;
  registry: ProcessRegistry;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  workers: number;
  receivers: number;
  seed: number;
  timeScale: number;
  simulatorConfig: Record<string, unknown>;
}

export class Bridgekeeper {
  simulatorOrigin = '';
  readonly workers: ManagedProcess[] = [];
  readonly receivers: ManagedProcess[] = [];
  private simulator: ManagedProcess | undefined;

  constructor(private readonly options: BridgekeeperOptions) {}

  private env(receiverPort: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.options.temporalAddress,
      TEMPORAL_NAMESPACE: this.options.namespace,
      TEMPORAL_TASK_QUEUE: this.options.taskQueue,
      HOIIO_BASE_URL: `${this.simulatorOrigin}/open/`,
      RECEIVER_HOST: '127.0.0.1',
      RECEIVER_PORT: String(receiverPort),
      BRIDGEKEEPER_PUBLIC_URL: `http://127.0.0.1:${receiverPort}`,
      // One secret for every worker and receiver: a receiver must verify the tokens of another worker's legs.
      BRIDGEKEEPER_NOTIFY_SECRET: `verify-cluster-${this.options.seed}-notify-secret`,
      // Several workers on one machine: none takes the shared default metrics port.
      BRIDGEKEEPER_METRICS_PORT: 'off',
      ...extra,
    };
  }

  private node(name: string, args: string[], env: NodeJS.ProcessEnv): ManagedProcess {
    return this.options.registry.start(name, path.join(this.options.dir, `${name}.log`), process.execPath, args, env);
  }

  async start(): Promise<void> {
    const simulatorPort = await freePort();
    this.simulatorOrigin = `http://127.0.0.1:${simulatorPort}`;
    this.simulator = this.node(
      'simulator',
      ['--import', 'tsx', 'dev/simulator/main.ts'],
      this.env(0, {
        SIMULATOR_HOST: '127.0.0.1',
        SIMULATOR_PORT: String(simulatorPort),
        SIMULATOR_SEED: String(this.options.seed),
        SIMULATOR_TIME_SCALE: String(this.options.timeScale),
        SIMULATOR_CONFIG: JSON.stringify(this.options.simulatorConfig),
      }),
    );
    await this.simulator.waitForLog('Hoiio simulator listening on', 60_000);
    const receiverPorts: number[] = [];
    for (let i = 0; i < this.options.receivers; i += 1) receiverPorts.push(await freePort());
    this.receivers.push(
      ...receiverPorts.map((port, i) => this.node(`receiver-${i + 1}`, ['dist/receiver.js'], this.env(port))),
    );
    this.workers.push(
      ...Array.from({ length: this.options.workers }, (_, i) =>
        this.node(
          `worker-${i + 1}`,
          ['dist/worker.js'],
          this.env(receiverPorts[i % receiverPorts.length]!, { BRIDGEKEEPER_HISTORY_SETTLE_MS: '2000' }),
        ),
      ),
    );
    await Promise.all([
      ...this.receivers.map((r) => r.waitForLog('bridgekeeper receiver listening on', 60_000)),
      ...this.workers.map((w) => w.waitForLog('Worker polling task queue', 120_000)),
    ]);
  }

  /** Conference notifications each receiver accepted and signalled (it logs one line for each). */
  notificationsPerReceiver(): Record<string, number> {
    return Object.fromEntries(
      this.receivers.map((r) => [r.name, (r.log().match(/notification accepted \d{3}/g) ?? []).length]),
    );
  }

  simulatorLog(): string {
    return this.simulator?.log() ?? '';
  }

  /** Processes that exited while they should run. */
  exited(): string[] {
    return [this.simulator, ...this.workers, ...this.receivers]
      .filter((p): p is ManagedProcess => p !== undefined && !p.running)
      .map((p) => `${p.name}: ${p.tail(5)}`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers, ...this.receivers].map((p) => p.stop('SIGTERM', 10_000)));
    await this.simulator?.stop('SIGTERM', 5_000);
  }
}
