/**
 * The real Temporal server for verify:cluster, as compose runs it: the schema tool creates the `temporal` and
 * `temporal_visibility` databases and brings them to the server's schema (compose's temporal-schema job), the server
 * runs from a static config on PostgreSQL, and the `default` namespace is registered with the Temporal CLI (compose's
 * temporal-namespace job). The server can be stopped and started again on the same port and database.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { freePort, type ManagedProcess, type ProcessRegistry } from '../chaos/processes';
import type { Postgres } from './postgres';
import { isPortFree } from '../stack/ports';
import { MAX_MEMBERSHIP_PORT, SERVICES, serverConfigYaml, type ServerPorts } from './server-config';

const CONFIG_DIR = 'temporal-config';

const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
];

function runTool(binary: string, args: string[]): string {
  const result = spawnSync(binary, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${path.basename(binary)} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** create-database, setup-schema -v 0.0, update-schema to the server's latest: what compose's schema job runs. */
export function setupSchemas(sqlTool: string, pg: Postgres, log: (line: string) => void): void {
  for (const { name, schema } of DATABASES) {
    // The password goes in through the environment, not argv, where `ps` would show it.
    const base = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pg.port), '-u', pg.user, '--db', name];
    const env = { ...process.env, SQL_PASSWORD: pg.password };
    for (const args of [
      ['create-database'],
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '--schema-name', schema],
    ]) {
      const result = spawnSync(sqlTool, [...base, ...args], { encoding: 'utf8', env });
      if (result.status !== 0) {
        throw new Error(`temporal-sql-tool ${args[0]} on ${name} failed (exit ${result.status}):\n${result.stderr}`);
      }
    }
    log(`database ${name}: schema ${schema} up to date`);
  }
}

/**
 * A free port no higher than MAX_MEMBERSHIP_PORT: the OS hands out ephemeral ports above it, so pick at random
 * below, where nothing of this run listens, and check it is free.
 */
async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * (MAX_MEMBERSHIP_PORT - 20_000));
    if (!taken.has(port) && (await isPortFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port between 20000 and ${MAX_MEMBERSHIP_PORT} for the server's membership`);
}

export class TemporalServer {
  private ports: ServerPorts | undefined;
  private child: ManagedProcess | undefined;
  starts = 0;

  constructor(
    private readonly options: {
      binary: string;
      cli: string;
      dir: string;
      postgres: Postgres;
      namespace: string;
      registry: ProcessRegistry;
      log: (line: string) => void;
    },
  ) {}

  get address(): string {
    return `127.0.0.1:${this.ports?.grpc.frontend ?? 0}`;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  version(): string {
    return execFileSync(this.options.binary, ['--version'], { encoding: 'utf8' }).trim();
  }

  cliVersion(): string {
    return execFileSync(this.options.cli, ['--version'], { encoding: 'utf8' }).trim();
  }

  /** Picks the ports and writes the config once: a restart comes back on the same ones. */
  private async writeConfig(): Promise<void> {
    const taken = new Set<number>();
    const pick = async (low: boolean) => {
      const ports: Partial<ServerPorts['grpc']> = {};
      for (const service of SERVICES) ports[service] = low ? await freeLowPort(taken) : await freePort();
      return ports as ServerPorts['grpc'];
    };
    this.ports = { grpc: await pick(false), membership: await pick(true), http: await freePort() };
    const { postgres } = this.options;
    const configDir = path.join(this.options.dir, CONFIG_DIR);
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      path.join(configDir, 'cluster.yaml'),
      serverConfigYaml({
        ports: this.ports,
        postgres: { port: postgres.port, user: postgres.user, password: postgres.password },
      }),
      { mode: 0o600 },
    );
  }

  async start(): Promise<void> {
    if (!this.ports) await this.writeConfig();
    this.starts += 1;
    // --config is relative to --root.
    const args = ['--root', this.options.dir, '--config', CONFIG_DIR, '--env', 'cluster', '--allow-no-auth', 'start'];
    const log = path.join(this.options.dir, 'temporal-server.log');
    this.child = this.options.registry.start('temporal-server', log, this.options.binary, args, process.env);
    await this.waitForFrontend(120_000);
  }

  /** SIGTERM (SIGKILL after 20 s), then the same binary on the same config, ports and database. */
  async restart(downMs: number): Promise<{ stopMs: number; downMs: number; forced: boolean }> {
    const began = Date.now();
    const stopped = await this.child!.stop('SIGTERM', 20_000);
    const stopMs = Date.now() - began;
    await sleep(downMs);
    await this.start();
    await this.waitForNamespace(120_000);
    return { stopMs, downMs: Date.now() - began, forced: stopped.forced };
  }

  async stop(): Promise<void> {
    await this.child?.stop('SIGTERM', 20_000);
  }

  /** The frontend answers its health check (the namespace may not exist yet). */
  private async waitForFrontend(timeoutMs: number): Promise<void> {
    await this.poll(timeoutMs, 'the frontend', (connection) =>
      connection.healthService.check({}).then(() => undefined),
    );
  }

  async waitForNamespace(timeoutMs: number): Promise<void> {
    const namespace = this.options.namespace;
    await this.poll(timeoutMs, `namespace ${namespace}`, (connection) =>
      connection.workflowService.describeNamespace({ namespace }).then(() => undefined),
    );
  }

  private async poll(timeoutMs: number, what: string, probe: (c: Connection) => Promise<void>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.child?.running)
        throw new Error(`the Temporal server exited:\n${shortLines(this.child?.tail(6) ?? '')}`);
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
        try {
          await probe(connection);
          return;
        } finally {
          await connection.close();
        }
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${what} on ${this.address} did not answer: ${String(error)}`);
        await sleep(250);
      }
    }
  }

  /** `temporal operator namespace create`, as compose's temporal-namespace job runs it; then waits until it serves. */
  async registerNamespace(): Promise<void> {
    const { namespace, cli } = this.options;
    runTool(cli, ['operator', 'namespace', 'create', '--address', this.address, '-n', namespace, '--retention', '30d']);
    await this.waitForNamespace(60_000);
  }
}

/** Server log lines are JSON with stack traces: a report shows the start of each. */
function shortLines(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
    .join('\n');
}
