import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HoiioSecret } from '../hoiio/secret';

/**
 * Hoiio's notification has no room field, so the `notify_url` itself says where it belongs: the session's
 * workflow id, the account (whose token verifies the signature) and a token that only holders of the notify secret
 * can compute. The token is derived, not stored, so worker and receiver need no shared state, and it never passes
 * through workflow code or history (it is added by the activity that sends the request).
 * Hoiio sends our query parameters back on every notification, so the receiver reads them from the query.
 */
export const NOTIFY_PATH = '/hoiio/notify';
/** IVR calls notify after every block, with other fields (docs/hoiio-api.md, "IVR"): their own path, same routing. */
export const IVR_NOTIFY_PATH = '/hoiio/ivr';
export const ROUTING_PARAMS = { session: 'bk_session', account: 'bk_account', token: 'bk_token' } as const;

/**
 * The key for session tokens: BRIDGEKEEPER_NOTIFY_SECRET when configured (same on every worker and receiver),
 * else derived from the account's access token, which worker and receiver hold anyway.
 */
export function notifySecret(accessToken: HoiioSecret, configured?: string): string {
  if (configured) return configured;
  return createHmac('sha256', accessToken.reveal()).update('bridgekeeper notify_url token').digest('hex');
}

export function sessionToken(secret: string, account: string, workflowId: string): string {
  return createHmac('sha256', secret).update(`${account}\n${workflowId}`).digest('hex').slice(0, 32);
}

export function verifySessionToken(secret: string, account: string, workflowId: string, token: string): boolean {
  const expected = Buffer.from(sessionToken(secret, account, workflowId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function buildNotifyUrl(options: {
  publicUrl: string;
  account: string;
  workflowId: string;
  secret: string;
  /** NOTIFY_PATH (a conference leg's end) unless told otherwise. */
  path?: typeof NOTIFY_PATH | typeof IVR_NOTIFY_PATH;
}) {
  // Relative to the public URL, so a receiver behind a path prefix (https://example.com/bk/) keeps it.
  const base = options.publicUrl.endsWith('/') ? options.publicUrl : `${options.publicUrl}/`;
  const url = new URL((options.path ?? NOTIFY_PATH).slice(1), base);
  url.searchParams.set(ROUTING_PARAMS.session, options.workflowId);
  url.searchParams.set(ROUTING_PARAMS.account, options.account);
  url.searchParams.set(ROUTING_PARAMS.token, sessionToken(options.secret, options.account, options.workflowId));
  return url.toString();
}
