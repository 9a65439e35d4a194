import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  allPorts,
  SERVICES,
  serverConfigYaml,
  TEMPORAL_SERVER_VERSION,
  type ServerPorts,
} from '../../dev/cluster/server-config';
import { PROJECT_ROOT } from '../support/processes';

/**
 * The Temporal server config that `npm run verify:cluster` writes (dev/cluster/server-config.ts), read back as the
 * server reads it: YAML, every service on 127.0.0.1 and its own port, PostgreSQL through the postgres12 plugin; and
 * the server version it builds is the one docker-compose.yml runs.
 */
const PORTS: ServerPorts = {
  grpc: { frontend: 17233, history: 17234, matching: 17235, worker: 17239 },
  membership: { frontend: 16933, history: 16934, matching: 16935, worker: 16939 },
  http: 17243,
};
const POSTGRES = { port: 15432, user: 'temporal', password: 'not-a-real-password' };

describe('verify:cluster server config', () => {
  const config = parse(serverConfigYaml({ ports: PORTS, postgres: POSTGRES })) as {
    services: Record<string, { rpc: Record<string, unknown> }>;
    persistence: { datastores: Record<string, { sql: Record<string, unknown> }> };
    global: { membership: { broadcastAddress: string } };
    clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
  };

  it('binds every service to 127.0.0.1 on the ports it was given', () => {
    expect(Object.keys(config.services).sort()).toEqual([...SERVICES].sort());
    for (const name of SERVICES) {
      expect(config.services[name]!.rpc).toMatchObject({
        bindOnIP: '127.0.0.1',
        grpcPort: PORTS.grpc[name],
        membershipPort: PORTS.membership[name],
      });
    }
    expect(config.services.frontend!.rpc.httpPort).toBe(PORTS.http);
    expect(config.global.membership.broadcastAddress).toBe('127.0.0.1');
    expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:17233');
  });

  it('keeps both stores on the PostgreSQL it was given, through postgres12', () => {
    const stores = Object.values(config.persistence.datastores).map((store) => store.sql);
    expect(stores.map((sql) => sql.databaseName).sort()).toEqual(['temporal', 'temporal_visibility']);
    for (const sql of stores) {
      expect(sql).toMatchObject({ pluginName: 'postgres12', connectAddr: '127.0.0.1:15432', user: 'temporal' });
    }
  });

  it('refuses a port used twice or out of range, naming it', () => {
    const clash = { ...PORTS, http: PORTS.grpc.history };
    expect(() => serverConfigYaml({ ports: clash, postgres: POSTGRES })).toThrow(
      'server ports must differ; repeated: 17234',
    );
    expect(allPorts(PORTS)).toHaveLength(9);
    expect(() => serverConfigYaml({ ports: PORTS, postgres: { ...POSTGRES, port: 70000 } })).toThrow(
      'port 70000 is not a whole number from 1 to 65535',
    );
  });

  it('refuses a membership port over 32767, which the SQL schema cannot store', () => {
    const high = { ...PORTS, membership: { ...PORTS.membership, history: 40000 } };
    expect(() => serverConfigYaml({ ports: high, postgres: POSTGRES })).toThrow(
      'membership port 40000 of history is over 32767',
    );
  });

  it('builds the server version that docker-compose.yml runs', () => {
    const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { image?: string }>;
    };
    expect(compose.services.temporal?.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
  });
});
