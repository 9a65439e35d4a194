import { accessSync, constants } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { z } from 'zod';

/**
 * Where the Temporal service is, read by the SDK's own environment configuration (`@temporalio/envconfig`), so the
 * variables and the TOML profiles of Temporal's CLI drive bridgekeeper too: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*, TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE (default
 * ~/.config/temporalio/temporal.toml). Only TEMPORAL_TASK_QUEUE is ours. With nothing set, the embedded dev server.
 *
 * envconfig reads leniently (an unknown TEMPORAL_TLS value means "off", a missing config file means "none", a
 * missing certificate surfaces as a bare ENOENT), so what it would take silently is checked first, and every
 * problem is thrown as one line naming the variable or the profile key.
 */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';
export const DEFAULT_TASK_QUEUE = 'bridgekeeper';

export class TemporalConfigError extends Error {
  constructor(message: string) {
    super(`Invalid Temporal configuration: ${message}`);
    this.name = 'TemporalConfigError';
  }
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The config-file profile in use, when a file supplied one. */
  profile?: string;
  /** Fits both the client's Connection and the worker's NativeConnection. Holds the API key: never log it. */
  connection: {
    address: string;
    apiKey?: string;
    tls?: NonNullable<ConnectionOptions['tls']>;
    metadata?: ConnectionOptions['metadata'];
  };
}

const TaskQueue = z.string().min(1, 'must not be empty').default(DEFAULT_TASK_QUEUE);

/** bridgekeeper's own names before envconfig; refused with the new name rather than silently ignored. */
const RENAMED: Readonly<Record<string, string>> = {
  TEMPORAL_TLS_CERT_PATH: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY_PATH: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA_PATH: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
};

const TLS_FILES = ['CLIENT_CERT', 'CLIENT_KEY', 'SERVER_CA_CERT'] as const;
const BOOLEAN = /^(true|false|1|0)$/;
/** host:port, the host a name, an IPv4 address or a bracketed IPv6 address. */
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

export function temporalConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const taskQueue = TaskQueue.safeParse(env.TEMPORAL_TASK_QUEUE);
  if (!taskQueue.success) fail(`TEMPORAL_TASK_QUEUE ${taskQueue.error.issues[0]!.message}`);
  checkEnvironment(env);

  const vars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const profileName = vars.TEMPORAL_PROFILE;
  const source = vars.TEMPORAL_CONFIG_FILE ?? 'the default config file';
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: vars, configFileStrict: true });
  } catch (error) {
    const message = firstLine(error);
    if (/^Profile '.*' not found/.test(message))
      fail(`TEMPORAL_PROFILE ${JSON.stringify(profileName)}: no such profile in ${source}`);
    fail(`${vars.TEMPORAL_CONFIG_FILE ? 'TEMPORAL_CONFIG_FILE' : source} cannot be read: ${message}`);
  }

  const where = (variable: string, key: string) =>
    vars[variable] !== undefined ? variable : `${key} of profile "${profileName ?? 'default'}" in ${source}`;
  const address = profile.address || DEFAULT_TEMPORAL_ADDRESS;
  const port = ADDRESS.exec(address)?.[3];
  if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
    fail(`${where('TEMPORAL_ADDRESS', 'address')} ${JSON.stringify(address)} must be host:port, e.g. 127.0.0.1:7233`);
  }
  if (Boolean(profile.tls?.clientCert) !== Boolean(profile.tls?.clientKey)) {
    fail(
      'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or their _DATA) go together: set both for mTLS',
    );
  }
  let options;
  try {
    options = toClientOptions({ ...profile, address });
  } catch (error) {
    // Only a file named in the config file can be missing here: the variables' files were checked above.
    fail(`a TLS file of profile "${profileName ?? 'default'}" in ${source} cannot be read: ${firstLine(error)}`);
  }
  const { apiKey, tls, metadata } = options.connectionOptions;
  return {
    address,
    namespace: options.namespace || DEFAULT_TEMPORAL_NAMESPACE,
    taskQueue: taskQueue.data,
    profile: profileName,
    connection: { address, apiKey, tls: tls ?? undefined, metadata },
  };
}

/** What envconfig would accept without a word: empty values, unknown booleans, files that are not there. */
function checkEnvironment(env: NodeJS.ProcessEnv): void {
  for (const [old, name] of Object.entries(RENAMED)) {
    if (env[old] !== undefined) fail(`${old} is no longer read: set ${name} (the Temporal CLI's name) instead`);
  }
  for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_PROFILE']) {
    if (env[name] === '') fail(`${name} is set but empty: unset it or give it a value`);
  }
  for (const name of ['TEMPORAL_TLS', 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION']) {
    const value = env[name];
    if (value !== undefined && !BOOLEAN.test(value)) fail(`${name} ${JSON.stringify(value)} must be true or false`);
  }
  for (const file of TLS_FILES) {
    const pathVar = `TEMPORAL_TLS_${file}_PATH`;
    if (env[pathVar] !== undefined && env[`TEMPORAL_TLS_${file}_DATA`] !== undefined) {
      fail(`${pathVar} and TEMPORAL_TLS_${file}_DATA are both set: set one`);
    }
    checkReadable(pathVar, env[pathVar]);
  }
  // envconfig treats a missing file as no file, which would quietly connect somewhere else.
  checkReadable('TEMPORAL_CONFIG_FILE', env.TEMPORAL_CONFIG_FILE);
}

function checkReadable(variable: string, path: string | undefined): void {
  if (path === undefined) return;
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not readable';
    fail(`${variable} ${JSON.stringify(path)}: ${reason}`);
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

function fail(message: string): never {
  throw new TemporalConfigError(message);
}
