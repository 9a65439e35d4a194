import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import { z } from 'zod';

/**
 * Where the Temporal service is, in the variables Temporal's own tools use, so the same environment drives
 * `temporal` CLI commands and bridgekeeper alike. The defaults are the embedded dev server.
 */
const TemporalEnv = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('bridgekeeper'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
});

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Fits both the client's Connection and the worker's NativeConnection. */
  connection: { address: string; apiKey?: string; tls?: ConnectionOptions['tls'] };
}

export function temporalConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const parsed = TemporalEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid Temporal configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  if (Boolean(vars.TEMPORAL_TLS_CERT_PATH) !== Boolean(vars.TEMPORAL_TLS_KEY_PATH)) {
    throw new Error('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: set both for mTLS, or neither');
  }
  const mtls = vars.TEMPORAL_TLS_CERT_PATH && vars.TEMPORAL_TLS_KEY_PATH;
  const wantsTls = vars.TEMPORAL_TLS === 'true' || Boolean(mtls) || Boolean(vars.TEMPORAL_API_KEY);
  const connection: TemporalConfig['connection'] = {
    address: vars.TEMPORAL_ADDRESS,
    apiKey: vars.TEMPORAL_API_KEY,
    tls:
      wantsTls && vars.TEMPORAL_TLS !== 'false'
        ? {
            serverNameOverride: vars.TEMPORAL_TLS_SERVER_NAME,
            serverRootCACertificate: vars.TEMPORAL_TLS_CA_PATH ? readFileSync(vars.TEMPORAL_TLS_CA_PATH) : undefined,
            clientCertPair: mtls
              ? { crt: readFileSync(vars.TEMPORAL_TLS_CERT_PATH!), key: readFileSync(vars.TEMPORAL_TLS_KEY_PATH!) }
              : undefined,
          }
        : undefined,
  };
  return {
    address: vars.TEMPORAL_ADDRESS,
    namespace: vars.TEMPORAL_NAMESPACE,
    taskQueue: vars.TEMPORAL_TASK_QUEUE,
    connection,
  };
}
