import type { HoiioSecret } from '../hoiio/secret';
import { loggable } from './notification-log';
import { notifySecret, ROUTING_PARAMS, verifySessionToken } from './notify-url';

/** What the receiver needs of an account: the token that signs its notifications. */
export interface ReceiverAccount {
  accessToken: HoiioSecret;
}

export type ReceiverAccounts = Readonly<Record<string, ReceiverAccount>>;

/** Temporal caps workflow ids at 1000 bytes; anything longer cannot name a session. */
const MAX_WORKFLOW_ID_BYTES = 1000;

export interface Route {
  workflowId: string;
  account: string;
  accessToken: HoiioSecret;
}

export type RouteResult =
  { ok: true; route: Route } | { ok: false; status: 404 | 403; reason: string; workflowId?: string; account?: string };

/**
 * Finds where a notification belongs from notify_url's routing params and checks its session token:
 * 404 when a param is missing, repeated or names no configured account; 403 when the token is not the session's.
 */
export class Router {
  readonly #secrets = new Map<string, string>();

  constructor(
    private readonly accounts: ReceiverAccounts,
    configuredSecret?: string,
  ) {
    for (const [name, account] of Object.entries(accounts)) {
      this.#secrets.set(name, notifySecret(account.accessToken, configuredSecret));
    }
  }

  resolve(query: URLSearchParams): RouteResult {
    const workflowId = single(query, ROUTING_PARAMS.session);
    const account = single(query, ROUTING_PARAMS.account);
    const token = single(query, ROUTING_PARAMS.token);
    const logged = { workflowId: loggable(workflowId), account: loggable(account) };
    if (workflowId === undefined || account === undefined || token === undefined) {
      const missing = Object.values(ROUTING_PARAMS).filter((name) => single(query, name) === undefined);
      return { ok: false, status: 404, reason: `routing params missing or repeated: ${missing.join(', ')}`, ...logged };
    }
    if (Buffer.byteLength(workflowId) > MAX_WORKFLOW_ID_BYTES) {
      return { ok: false, status: 404, reason: 'workflow id too long', ...logged };
    }
    const secret = this.#secrets.get(account);
    const entry = Object.hasOwn(this.accounts, account) ? this.accounts[account] : undefined;
    if (secret === undefined || entry === undefined) {
      return { ok: false, status: 404, reason: 'unknown account', ...logged };
    }
    if (!verifySessionToken(secret, account, workflowId, token)) {
      return { ok: false, status: 403, reason: 'session token does not match', ...logged };
    }
    return { ok: true, route: { workflowId, account, accessToken: entry.accessToken } };
  }
}

function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  return values.length === 1 && values[0] !== '' ? values[0] : undefined;
}
