import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { E164 } from './config-schema';

export function isE164(text: string): boolean {
  return E164.test(text);
}

/** The documented room charset and length. */
export const ROOM_ID = /^[A-Za-z0-9._]{1,32}$/;

export const MAX_TAG_LENGTH = 256;
/** conference/call states no cap; voice/call's 4000 is the only documented one, so it is borrowed. */
export const MAX_NOTIFY_URL_LENGTH = 4000;

/** A fully qualified http(s) URL, or undefined. */
export function parseNotifyUrl(text: string): URL | undefined {
  if (text.length > MAX_NOTIFY_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.hostname === '') return undefined;
  return url;
}

/** The 2015 IVR docs' cap on a block's msg (the 2012 ones said 500, which the client keeps to). */
export const MAX_IVR_MSG_LENGTH = 1000;

/**
 * A notify_url param as the endpoints take it: undefined when absent, the text verbatim (query included: pass-on
 * params must come back on every notification) when good, else the status to answer.
 */
export async function checkNotifyUrl(
  text: string | undefined,
  resolveHosts: boolean,
): Promise<{ notifyUrl: string | undefined } | { status: string }> {
  if (text === undefined) return { notifyUrl: undefined };
  const url = parseNotifyUrl(text);
  if (!url) return { status: 'error_invalid_notify_url' };
  if (resolveHosts && !(await hostResolves(url))) return { status: 'error_unable_to_resolve_notify_url' };
  return { notifyUrl: text };
}

const RESOLVE_TIMEOUT_MS = 2_000;

/**
 * Whether the notify_url's host resolves. `.invalid` never does (RFC 6761), which gives tests a sure way to reach
 * `error_unable_to_resolve_notify_url` without depending on the machine's DNS.
 */
export async function hostResolves(url: URL): Promise<boolean> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0 || host === 'localhost') return true;
  if (host === 'invalid' || host.endsWith('.invalid')) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), RESOLVE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      lookup(host).then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
