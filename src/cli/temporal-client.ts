/**
 * The CLI's connection to Temporal, from the same environment variables as every other bridgekeeper process
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TLS and API key), so that the CLI talks to the cluster
 * the workers serve. The CLI never needs a Hoiio token: it only starts, queries and updates workflows.
 */
import { Client, Connection } from '@temporalio/client';
import { temporalConfigFromEnv, type TemporalConfig } from '../config/temporal';
import { CliError } from './cli-errors';

/** A CLI command should fail fast when nothing listens, not sit out the SDK's longer default. */
const CONNECT_TIMEOUT = '5 seconds';

export interface CliTemporal {
  client: Client;
  config: TemporalConfig;
  /** Runs `fn` with a deadline on every RPC inside it, so a query or update with no worker cannot hang forever. */
  withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function connectTemporal(env: NodeJS.ProcessEnv = process.env): Promise<CliTemporal> {
  let config: TemporalConfig;
  try {
    config = temporalConfigFromEnv(env);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connection, connectTimeout: CONNECT_TIMEOUT });
  } catch (error) {
    throw new CliError(
      `cannot reach Temporal at ${config.address} (${(error as Error).message}): is the server running? ` +
        'Set TEMPORAL_ADDRESS to point elsewhere.',
    );
  }
  const client = new Client({ connection, namespace: config.namespace });
  return {
    client,
    config,
    withTimeout: (ms, fn) => connection.withDeadline(Date.now() + ms, fn),
    close: () => connection.close(),
  };
}
