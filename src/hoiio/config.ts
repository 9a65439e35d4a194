import { z } from 'zod';
import { ACCOUNT_NAME_PATTERN, DEFAULT_ACCOUNT } from '../domain/session-input';
import { SIMULATOR_BASE_URL } from './client';
import { HoiioConfigError, type HoiioInputIssue } from './errors';
import { HoiioSecret } from './secret';
import { DEFAULT_TIMEOUTS, type HoiioTimeouts } from './transport';

export { DEFAULT_ACCOUNT };

/**
 * Hoiio accounts from the environment.
 *
 * Default account (what the worker and the CLI use unless told otherwise):
 *   HOIIO_BASE_URL       default http://127.0.0.1:4010/open/ (the local simulator)
 *   HOIIO_APP_ID         default `demo-app` when HOIIO_BASE_URL is the local simulator; required otherwise
 *   HOIIO_ACCESS_TOKEN   default `demo-token` when HOIIO_BASE_URL is the local simulator; required otherwise
 * "Local simulator" means a loopback host (127.0.0.1, localhost, ::1): the demo credentials must never be sent to the
 * real API, and a missing token against the real API should fail at start-up, not as error_invalid_access_token.
 *
 * Timeouts (milliseconds, optional, shared by every account):
 *   HOIIO_CONNECT_TIMEOUT_MS (5000), HOIIO_HEADERS_TIMEOUT_MS (30000), HOIIO_BODY_TIMEOUT_MS (30000)
 *
 * More accounts (optional), for setups that spread sessions over several Hoiio applications. Each one has its own
 * 8-call budget. HOIIO_ACCOUNTS is a JSON object from account name to where its credentials are:
 *   HOIIO_ACCOUNTS='{"sales":{"appId":"app-123","accessTokenEnv":"HOIIO_SALES_TOKEN"},
 *                    "eu":{"appId":"app-456","accessTokenEnv":"HOIIO_EU_TOKEN","baseUrl":"https://secure.hoiio.com/open/"}}'
 *   HOIIO_SALES_TOKEN=...   HOIIO_EU_TOKEN=...
 * The JSON names the variable that holds each token rather than the token itself, so the JSON can be logged, shown
 * or committed, and each token comes from the secret store like HOIIO_ACCESS_TOKEN does. Names are lowercase
 * `[a-z][a-z0-9_-]*` (at most 64 characters); `default` is reserved for the account above. `baseUrl` defaults to
 * HOIIO_BASE_URL. Named accounts never fall back to demo credentials.
 *
 * Errors name the variable and the rule; a token's value is never printed, and tokens are held as HoiioSecret.
 */

const DEMO_APP_ID = 'demo-app';
const DEMO_ACCESS_TOKEN = 'demo-token';

/** Exactly the options createHoiioClient takes. */
export interface HoiioAccountConfig {
  baseUrl: string;
  appId: string;
  accessToken: HoiioSecret;
  timeouts: HoiioTimeouts;
}

export interface HoiioConfig {
  /** The HOIIO_* account. */
  default: HoiioAccountConfig;
  /** Every account by name, `default` included. */
  accounts: Readonly<Record<string, HoiioAccountConfig>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const millis = z
  .string()
  .regex(/^[1-9][0-9]{0,8}$/, 'must be a whole number of milliseconds, more than 0')
  .transform(Number)
  .optional();

const HoiioEnv = z.object({
  HOIIO_BASE_URL: z
    .string()
    .min(1)
    .default(SIMULATOR_BASE_URL)
    .refine(
      isHttpBaseUrl,
      'must be an http:// or https:// URL without credentials, such as http://127.0.0.1:4010/open/',
    ),
  HOIIO_APP_ID: z.string().trim().min(1, 'must not be empty').optional(),
  HOIIO_CONNECT_TIMEOUT_MS: millis,
  HOIIO_HEADERS_TIMEOUT_MS: millis,
  HOIIO_BODY_TIMEOUT_MS: millis,
  HOIIO_ACCOUNTS: z.string().optional(),
});

const accountEntry = z.strictObject({
  appId: z.string().trim().min(1, 'must be a non-empty Hoiio application id'),
  accessTokenEnv: z.string().regex(ENV_NAME, 'must be the name of an environment variable'),
  baseUrl: z.string().refine(isHttpBaseUrl, 'must be an http:// or https:// URL without credentials').optional(),
});

// Names are checked by hand below: zod reports a bad record key only as "Invalid key in record".
const accountsJson = z.record(z.string(), accountEntry);

export function hoiioConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HoiioConfig {
  // Only the variables we read are validated; HOIIO_ACCESS_TOKEN is read apart so that zod never sees (or echoes) it.
  const parsed = HoiioEnv.safeParse(pick(env, Object.keys(HoiioEnv.shape)));
  if (!parsed.success) throw new HoiioConfigError(issuesOf(parsed.error.issues));
  const vars = parsed.data;
  const issues: HoiioInputIssue[] = [];

  const timeouts: HoiioTimeouts = {
    connectMs: vars.HOIIO_CONNECT_TIMEOUT_MS ?? DEFAULT_TIMEOUTS.connectMs,
    headersMs: vars.HOIIO_HEADERS_TIMEOUT_MS ?? DEFAULT_TIMEOUTS.headersMs,
    bodyMs: vars.HOIIO_BODY_TIMEOUT_MS ?? DEFAULT_TIMEOUTS.bodyMs,
  };
  const local = isLoopback(vars.HOIIO_BASE_URL);
  const remoteRule = 'is required when HOIIO_BASE_URL is not the local simulator (a loopback address)';

  const appId = vars.HOIIO_APP_ID ?? (local ? DEMO_APP_ID : undefined);
  if (appId === undefined) issues.push({ path: 'HOIIO_APP_ID', message: remoteRule });
  const token = nonEmpty(env.HOIIO_ACCESS_TOKEN) ?? (local ? DEMO_ACCESS_TOKEN : undefined);
  if (token === undefined) issues.push({ path: 'HOIIO_ACCESS_TOKEN', message: remoteRule });

  const accounts: Record<string, HoiioAccountConfig> = {};
  if (vars.HOIIO_ACCOUNTS !== undefined) {
    readNamedAccounts(vars.HOIIO_ACCOUNTS, env, vars.HOIIO_BASE_URL, timeouts, accounts, issues);
  }
  if (issues.length > 0 || appId === undefined || token === undefined) throw new HoiioConfigError(issues);

  const defaultAccount: HoiioAccountConfig = {
    baseUrl: vars.HOIIO_BASE_URL,
    appId,
    accessToken: new HoiioSecret(token),
    timeouts,
  };
  return { default: defaultAccount, accounts: { [DEFAULT_ACCOUNT]: defaultAccount, ...accounts } };
}

/** The named account, or an error listing the names there are. */
export function selectHoiioAccount(config: HoiioConfig, name: string = DEFAULT_ACCOUNT): HoiioAccountConfig {
  const account = Object.hasOwn(config.accounts, name) ? config.accounts[name] : undefined;
  if (account) return account;
  throw unknownAccount(name, Object.keys(config.accounts));
}

/**
 * The account names the environment configures (`default` and HOIIO_ACCOUNTS's), read without any token: what a
 * process that holds no token (the CLI) checks a name against, the same way the worker's `selectHoiioAccount` does.
 * Throws `HoiioConfigError` if `name` is not among them, or HOIIO_ACCOUNTS cannot be read.
 */
export function checkAccountConfigured(name: string, env: NodeJS.ProcessEnv = process.env): void {
  const issues: HoiioInputIssue[] = [];
  const json = env.HOIIO_ACCOUNTS;
  // Empty means unset, as for every HOIIO_* variable (see pick).
  const named = json === undefined || json === '' ? [] : namedAccounts(json, issues).map(([known]) => known);
  if (issues.length > 0) throw new HoiioConfigError(issues);
  if (name !== DEFAULT_ACCOUNT && !named.includes(name)) throw unknownAccount(name, [DEFAULT_ACCOUNT, ...named]);
}

function unknownAccount(name: string, known: string[]): HoiioConfigError {
  const configured = [...known].sort().join(', ');
  return new HoiioConfigError([
    { path: `account ${JSON.stringify(name)}`, message: `unknown; configured: ${configured}` },
  ]);
}

/** HOIIO_ACCOUNTS's entries whose names follow the rules; every problem goes to `issues`. Reads no token. */
function namedAccounts(json: string, issues: HoiioInputIssue[]): [string, z.infer<typeof accountEntry>][] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    issues.push({
      path: 'HOIIO_ACCOUNTS',
      message: 'must be a JSON object of { "<name>": { appId, accessTokenEnv } }',
    });
    return [];
  }
  const parsed = accountsJson.safeParse(raw);
  if (!parsed.success) {
    issues.push(...issuesOf(parsed.error.issues, 'HOIIO_ACCOUNTS'));
    return [];
  }
  return Object.entries(parsed.data).filter(([name]) => {
    if (name === DEFAULT_ACCOUNT) {
      issues.push({ path: `HOIIO_ACCOUNTS.${name}`, message: 'is reserved for the HOIIO_APP_ID account' });
      return false;
    }
    if (!ACCOUNT_NAME_PATTERN.test(name)) {
      issues.push({
        path: `HOIIO_ACCOUNTS.${name}`,
        message: 'account names are lowercase [a-z][a-z0-9_-]*, at most 64 characters',
      });
      return false;
    }
    return true;
  });
}

function readNamedAccounts(
  json: string,
  env: NodeJS.ProcessEnv,
  fallbackBaseUrl: string,
  timeouts: HoiioTimeouts,
  into: Record<string, HoiioAccountConfig>,
  issues: HoiioInputIssue[],
): void {
  for (const [name, entry] of namedAccounts(json, issues)) {
    const token = nonEmpty(env[entry.accessTokenEnv]);
    if (token === undefined) {
      issues.push({
        path: entry.accessTokenEnv,
        message: `must hold the access token of Hoiio account "${name}" (named in HOIIO_ACCOUNTS)`,
      });
      continue;
    }
    into[name] = {
      baseUrl: entry.baseUrl ?? fallbackBaseUrl,
      appId: entry.appId,
      accessToken: new HoiioSecret(token),
      timeouts,
    };
  }
}

function issuesOf(issues: readonly z.core.$ZodIssue[], prefix?: string): HoiioInputIssue[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(environment)',
    message: issue.message,
  }));
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    // An exported-but-empty variable means "not set", as in most shells' ${VAR:-default}.
    if (value !== undefined && value !== '') picked[name] = value;
  }
  return picked;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function isHttpBaseUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
}

function isLoopback(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}
