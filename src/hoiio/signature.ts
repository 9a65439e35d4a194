import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Hoiio-Signature`: hex HMAC-SHA256 of the raw notification body, keyed with the account's access token.
 * Hoiio's sample code produces lowercase hex; we sign in lowercase and accept either case.
 */
export function signNotification(rawBody: string | Buffer, accessToken: string): string {
  return createHmac('sha256', accessToken).update(rawBody).digest('hex');
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** Constant-time check of a notification's signature header; false for a missing or malformed header. */
export function verifyNotificationSignature(
  rawBody: string | Buffer,
  header: string | string[] | undefined,
  accessToken: string,
): boolean {
  if (typeof header !== 'string' || !SHA256_HEX.test(header.trim())) return false;
  const expected = Buffer.from(signNotification(rawBody, accessToken), 'hex');
  const given = Buffer.from(header.trim(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
