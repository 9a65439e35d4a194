import { z } from 'zod';
import { E164_PATTERN, E164_RULE, FINAL_CALL_STATUSES, MAX_TAG_LENGTH } from '../domain/hoiio-rules';
import { parseHoiioDate } from '../domain/hoiio-time';
import { formatMoney } from '../domain/money';
import { nonNegativeMoneyText } from '../hoiio/money-schema';
import type { CallEnded } from '../workflows/messages';
import { type FormParse, parseForm, TXN_REF, TXN_REF_RULE } from './form-fields';

export { describeIssues, type NotificationIssue } from './form-fields';

/**
 * One end-of-leg notification, from Hoiio's form fields to the `callEnded` signal's payload.
 *
 * Where the fields come from: Hoiio's fields are read from the POST body only, because the body is what
 * `X-Hoiio-Signature` covers; the URL query is unsigned, so a field there could have been added by anyone who saw
 * the notify_url. The query carries only our routing params (authenticated by the session token) and pass-on
 * params, which are ignored here. A field that is missing from the body but present in the query is reported as such.
 *
 * Strict about what we use (whole minutes, non-negative money with at most 3 decimals, E.164 dest, a final status,
 * a real GMT+8 date), tolerant of fields we do not know: Hoiio may add some.
 */

/** Hoiio's field names, as they appear in the form. */
export const NOTIFICATION_FIELDS = [
  'txn_ref',
  'dest',
  'call_status_dest',
  'duration',
  'currency',
  'rate',
  'debit',
  'date',
  'tag',
] as const;

// Money is normalised to Hoiio's usual three decimals ("0.02" becomes "0.020"), exact: no float ever holds it.
const money = nonNegativeMoneyText.transform(formatMoney);

export const notificationSchema = z
  .object({
    txn_ref: z.string().regex(TXN_REF, TXN_REF_RULE),
    dest: z.string().regex(E164_PATTERN, E164_RULE),
    call_status_dest: z.enum(FINAL_CALL_STATUSES, {
      error: `must be one of ${FINAL_CALL_STATUSES.join(', ')}`,
    }),
    duration: z
      .string()
      .regex(/^\d{1,9}$/, 'must be a whole number of minutes')
      .transform(Number),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as SGD'),
    rate: money,
    debit: money,
    date: z
      .string()
      .refine((text) => parseHoiioDate(text) !== undefined, 'must be a real date written "YYYY-MM-DD HH:MM:SS" (GMT+8)')
      .optional(),
    tag: z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_TAG_LENGTH, `must be at most ${MAX_TAG_LENGTH} characters`)
      .optional(),
  })
  .transform((fields): CallEnded => ({
    txnRef: fields.txn_ref,
    dest: fields.dest,
    callStatus: fields.call_status_dest,
    durationMinutes: fields.duration,
    currency: fields.currency,
    rate: fields.rate,
    debit: fields.debit,
    ...(fields.date === undefined ? {} : { date: fields.date }),
    ...(fields.tag === undefined ? {} : { tag: fields.tag }),
  }));

export type NotificationParse = FormParse<CallEnded>;

/** Parses a raw form-urlencoded body; `query` is consulted only to explain a field that is missing from the body. */
export function parseNotification(rawBody: string, query: URLSearchParams = new URLSearchParams()): NotificationParse {
  return parseForm(notificationSchema, NOTIFICATION_FIELDS, rawBody, query);
}
