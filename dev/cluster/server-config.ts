/**
 * The Temporal server's static config for `npm run verify:cluster`: Temporal's own development-postgres12.yaml (in
 * the go.temporal.io/server module) cut down to what one throwaway cluster needs, with every service bound to
 * 127.0.0.1 on ports picked free, so the run shares the machine with other stacks without colliding.
 */
import { stringify } from 'yaml';

/** The server version verify:cluster builds and runs: the one docker-compose.yml pins. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';

export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServerPorts {
  /** gRPC and membership (ringpop) port of each service; the frontend's gRPC port is what clients dial. */
  grpc: Record<ServiceName, number>;
  membership: Record<ServiceName, number>;
  /** The frontend's HTTP API. */
  http: number;
}

export interface ServerConfigInput {
  ports: ServerPorts;
  postgres: { port: number; user: string; password: string };
  databases?: { main: string; visibility: string };
}

const HOST = '127.0.0.1';

/** cluster_membership.rpc_port is a smallint in the PostgreSQL schema: a higher membership port fails every upsert. */
export const MAX_MEMBERSHIP_PORT = 32767;

/** Every port the server listens on, for a check that none repeats (a clash makes one service fail at start). */
export function allPorts(ports: ServerPorts): number[] {
  return [...SERVICES.map((s) => ports.grpc[s]), ...SERVICES.map((s) => ports.membership[s]), ports.http];
}

export function serverConfig(input: ServerConfigInput): Record<string, unknown> {
  const { ports, postgres } = input;
  const databases = input.databases ?? { main: 'temporal', visibility: 'temporal_visibility' };
  const ports_ = allPorts(ports);
  const repeated = ports_.filter((port, i) => ports_.indexOf(port) !== i);
  if (repeated.length > 0) throw new Error(`server ports must differ; repeated: ${repeated.join(', ')}`);
  for (const port of [...ports_, postgres.port]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`port ${port} is not a whole number from 1 to 65535`);
    }
  }
  for (const name of SERVICES) {
    const port = ports.membership[name];
    if (port > MAX_MEMBERSHIP_PORT) {
      throw new Error(
        `membership port ${port} of ${name} is over ${MAX_MEMBERSHIP_PORT}: the SQL schema keeps it in a smallint ` +
          '(cluster_membership.rpc_port), and the server stops at start',
      );
    }
  }
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${HOST}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (name: ServiceName) => ({
    rpc: {
      grpcPort: ports.grpc[name],
      membershipPort: ports.membership[name],
      bindOnIP: HOST,
      ...(name === 'frontend' ? { httpPort: ports.http } : {}),
    },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: {
        'postgres-default': datastore(databases.main, 20),
        'postgres-visibility': datastore(databases.visibility, 5),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: HOST },
    },
    services: Object.fromEntries(SERVICES.map((name) => [name, service(name)])),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${HOST}:${ports.grpc.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    // No archival and no dynamic config file: the server's defaults, as a fresh self-hosted install has them.
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
  };
}

export function serverConfigYaml(input: ServerConfigInput): string {
  return stringify(serverConfig(input));
}
