import { z } from 'zod';

/**
 * The receiver's configuration from the environment:
 *   RECEIVER_HOST               interface to listen on (default 127.0.0.1)
 *   RECEIVER_PORT               port to listen on (default 4020; 0 picks a free one)
 *   BRIDGEKEEPER_PUBLIC_URL     base URL Hoiio reaches the receiver at, what goes into notify_url
 *                               (default http://127.0.0.1:<RECEIVER_PORT>); may carry a path prefix behind a proxy
 *   BRIDGEKEEPER_NOTIFY_SECRET  optional key for notify_url session tokens, the same on every worker and receiver;
 *                               without it each account's token key is derived from its access token
 * Errors name the variable and the rule, never a value (the secret must not reach a log).
 */
export const DEFAULT_RECEIVER_HOST = '127.0.0.1';
export const DEFAULT_RECEIVER_PORT = 4020;
export const MIN_NOTIFY_SECRET_LENGTH = 16;

export interface ReceiverConfig {
  host: string;
  port: number;
  publicUrl: string;
  notifySecret?: string;
}

export class ReceiverConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid receiver configuration: ${problems.join('; ')}`);
    this.name = 'ReceiverConfigError';
  }
}

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
  const port = vars.RECEIVER_PORT ?? DEFAULT_RECEIVER_PORT;
  return {
    host: vars.RECEIVER_HOST,
    port,
    publicUrl: vars.BRIDGEKEEPER_PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    ...(vars.BRIDGEKEEPER_NOTIFY_SECRET === undefined ? {} : { notifySecret: vars.BRIDGEKEEPER_NOTIFY_SECRET }),
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
