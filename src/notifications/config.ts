import { z } from 'zod';

/**
 * The receiver's configuration from the environment:
 *   RECEIVER_HOST               interface to listen on (default 127.0.0.1)
 *   RECEIVER_PORT               port to listen on (default 4020; 0 picks a free one)
 *   BRIDGEKEEPER_PUBLIC_URL     base URL Hoiio reaches the receiver at, what goes into notify_url
 *                               (default http://127.0.0.1:<RECEIVER_PORT>); may carry a path prefix behind a proxy
 *   BRIDGEKEEPER_NOTIFY_SECRET  optional key for notify_url session tokens, the same on every worker and receiver;
 *                               without it each account's token key is derived from its access token
 * and the limits of ReceiverLimits (RECEIVER_REQUEST_TIMEOUT_MS and so on; see LIMIT_VARIABLES). The Alertmanager
 * webhook (`POST /alertmanager`) is on only when both of these are set:
 *   BRIDGEKEEPER_ALERTMANAGER_TOKEN  the bearer token Alertmanager sends (at least 16 characters)
 *   BRIDGEKEEPER_POLICIES_DIR        directory of escalation policy files, read (and checked) at startup
 * and BRIDGEKEEPER_POLICY_LABEL (default escalation_policy) names the alert label that picks the policy.
 * Errors name the variable and the rule, never a value (the secrets must not reach a log).
 */
export const DEFAULT_RECEIVER_HOST = '127.0.0.1';
export const DEFAULT_RECEIVER_PORT = 4020;
export const MIN_NOTIFY_SECRET_LENGTH = 16;
export const MIN_ALERTMANAGER_TOKEN_LENGTH = 16;
export const DEFAULT_POLICY_LABEL = 'escalation_policy';
/** How long the receiver waits for Temporal to accept a signal before answering 503. */
export const DEFAULT_SIGNAL_TIMEOUT_MS = 10_000;
/** Node's timers hold 32-bit signed milliseconds; a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** What bounds a client's hold on the receiver: slow or idle connections, their number, and replays. */
export interface ReceiverLimits {
  /** To receive a whole request, headers and body, from the first byte; then 408 and the connection closes. */
  requestTimeoutMs: number;
  /**
   * A socket with no traffic either way this long is destroyed. Must exceed the signal timeout: while the receiver
   * waits on Temporal, the socket is quiet.
   */
  connectionTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed as soon as they are accepted, before a byte is read. */
  maxConnections: number;
  /** After this many requests a connection is told to close. */
  maxRequestsPerSocket: number;
  /** How many delivered txn_refs are remembered, least recently seen forgotten first. */
  replayCacheSize: number;
  /** A notification whose `date` is older than this is refused (422). */
  maxNotificationAgeMs: number;
}

/**
 * A notification is a few hundred bytes sent in one go, so 10 s is generous for a request; 256 connections and
 * 100,000 remembered txn_refs (a few MB) are far above one deployment's legs in flight; Hoiio does not retry a
 * notification, so one a day old can only be a replay.
 */
export const DEFAULT_RECEIVER_LIMITS: Readonly<ReceiverLimits> = Object.freeze({
  requestTimeoutMs: 10_000,
  connectionTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxRequestsPerSocket: 100,
  replayCacheSize: 100_000,
  maxNotificationAgeMs: 24 * 60 * 60 * 1000,
});

const LIMIT_VARIABLES = {
  RECEIVER_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  RECEIVER_CONNECTION_TIMEOUT_MS: 'connectionTimeoutMs',
  RECEIVER_KEEP_ALIVE_TIMEOUT_MS: 'keepAliveTimeoutMs',
  RECEIVER_MAX_CONNECTIONS: 'maxConnections',
  RECEIVER_MAX_REQUESTS_PER_SOCKET: 'maxRequestsPerSocket',
  RECEIVER_REPLAY_CACHE_SIZE: 'replayCacheSize',
  RECEIVER_MAX_NOTIFICATION_AGE_MS: 'maxNotificationAgeMs',
} as const satisfies Record<string, keyof ReceiverLimits>;

/** Where the Alertmanager webhook finds its token and policies; absent when it is off. */
export interface AlertmanagerConfig {
  token: string;
  policiesDir: string;
  policyLabel: string;
}

export interface ReceiverConfig {
  host: string;
  port: number;
  publicUrl: string;
  notifySecret?: string;
  limits: ReceiverLimits;
  alertmanager?: AlertmanagerConfig;
}

export class ReceiverConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid receiver configuration: ${problems.join('; ')}`);
    this.name = 'ReceiverConfigError';
  }
}

const wholeNumber = (min: number, max: number, unit: string) =>
  z
    .string()
    .regex(/^\d{1,10}$/, `must be a whole number of ${unit} from ${min} to ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be a whole number of ${unit} from ${min} to ${max}`)
    .optional();
const timeoutMs = wholeNumber(1, MAX_TIMER_MS, 'milliseconds');
const count = wholeNumber(1, 1_000_000, 'items');

const ReceiverEnv = z.object({
  RECEIVER_HOST: z.string().trim().min(1).default(DEFAULT_RECEIVER_HOST),
  RECEIVER_PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a port number from 0 to 65535')
    .transform(Number)
    .refine((port) => port <= 65535, 'must be a port number from 0 to 65535')
    .optional(),
  BRIDGEKEEPER_PUBLIC_URL: z
    .string()
    .refine(isPublicBaseUrl, 'must be an http:// or https:// URL without credentials, query or fragment')
    .optional(),
  BRIDGEKEEPER_NOTIFY_SECRET: z
    .string()
    .min(MIN_NOTIFY_SECRET_LENGTH, `must be at least ${MIN_NOTIFY_SECRET_LENGTH} characters`)
    .optional(),
  RECEIVER_REQUEST_TIMEOUT_MS: timeoutMs,
  RECEIVER_CONNECTION_TIMEOUT_MS: timeoutMs.refine(
    (value) => value === undefined || value > DEFAULT_SIGNAL_TIMEOUT_MS,
    `must be more than the ${DEFAULT_SIGNAL_TIMEOUT_MS / 1000} s signal timeout, or a request waiting on Temporal is cut off`,
  ),
  RECEIVER_KEEP_ALIVE_TIMEOUT_MS: timeoutMs,
  RECEIVER_MAX_CONNECTIONS: count,
  RECEIVER_MAX_REQUESTS_PER_SOCKET: count,
  RECEIVER_REPLAY_CACHE_SIZE: count,
  // Age is compared, never waited on, but a window beyond 24 days is no defence against a replay either.
  RECEIVER_MAX_NOTIFICATION_AGE_MS: timeoutMs,
  BRIDGEKEEPER_ALERTMANAGER_TOKEN: z
    .string()
    .min(MIN_ALERTMANAGER_TOKEN_LENGTH, `must be at least ${MIN_ALERTMANAGER_TOKEN_LENGTH} characters`)
    .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII without spaces (it travels in an Authorization header)')
    .optional(),
  BRIDGEKEEPER_POLICIES_DIR: z.string().optional(),
  BRIDGEKEEPER_POLICY_LABEL: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Prometheus label name ([A-Za-z_][A-Za-z0-9_]*)')
    .optional(),
});

export function receiverConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ReceiverConfig {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(ReceiverEnv.shape)) {
    const value = env[name];
    // Exported but empty means unset, as in ${VAR:-default}.
    if (value !== undefined && value !== '') picked[name] = value;
  }
  const parsed = ReceiverEnv.safeParse(picked);
  if (!parsed.success) {
    throw new ReceiverConfigError(
      parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const vars = parsed.data;
  const token = vars.BRIDGEKEEPER_ALERTMANAGER_TOKEN;
  const policiesDir = vars.BRIDGEKEEPER_POLICIES_DIR;
  if ((token === undefined) !== (policiesDir === undefined)) {
    const [missing, given] =
      token === undefined
        ? ['BRIDGEKEEPER_ALERTMANAGER_TOKEN', 'BRIDGEKEEPER_POLICIES_DIR']
        : ['BRIDGEKEEPER_POLICIES_DIR', 'BRIDGEKEEPER_ALERTMANAGER_TOKEN'];
    throw new ReceiverConfigError([
      `${missing}: is required when ${given} is set (the Alertmanager webhook needs both)`,
    ]);
  }
  const port = vars.RECEIVER_PORT ?? DEFAULT_RECEIVER_PORT;
  const limits: ReceiverLimits = { ...DEFAULT_RECEIVER_LIMITS };
  for (const [variable, limit] of Object.entries(LIMIT_VARIABLES)) {
    const value = vars[variable as keyof typeof LIMIT_VARIABLES];
    if (value !== undefined) limits[limit] = value;
  }
  return {
    host: vars.RECEIVER_HOST,
    port,
    publicUrl: vars.BRIDGEKEEPER_PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    ...(vars.BRIDGEKEEPER_NOTIFY_SECRET === undefined ? {} : { notifySecret: vars.BRIDGEKEEPER_NOTIFY_SECRET }),
    limits,
    ...(token === undefined || policiesDir === undefined
      ? {}
      : {
          alertmanager: {
            token,
            policiesDir,
            policyLabel: vars.BRIDGEKEEPER_POLICY_LABEL ?? DEFAULT_POLICY_LABEL,
          },
        }),
  };
}

function isPublicBaseUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash
  );
}
