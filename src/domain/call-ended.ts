import * as z from 'zod/mini';
import { E164_PATTERN, E164_RULE, FINAL_CALL_STATUSES, MAX_TAG_LENGTH } from './hoiio-rules';

/**
 * The `callEnded` signal's payload: one leg's end as the receiver read it from a verified Hoiio notification. The
 * receiver checks what it sends against this schema and the session checks what it receives against it too, since
 * any client of the namespace can signal a session: a payload that does not parse is dropped and counted, never
 * allowed to throw inside the workflow (a handler that throws fails every workflow task after it).
 */
const MONEY = /^\d{1,12}\.\d{3}$/;
const MONEY_RULE = 'must be a non-negative decimal with exactly 3 decimals, such as "0.020"';
/** Money as the receiver writes it into a signal: exactly three decimals ("0.020"). */
export const signalMoney = z.string().check(z.regex(MONEY, MONEY_RULE));
export const txnRefSchema = z
  .string()
  .check(z.regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 visible ASCII characters'));
export const currencySchema = z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as SGD'));
/** Hoiio's "YYYY-MM-DD HH:MM:SS" (GMT+8). */
export const hoiioDateText = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/));
/** A whole number from `min` to `max`, as every count and duration of a payload or input is. */
export const wholeNumber = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));
/** Whole billed minutes. */
export const billedMinutes = wholeNumber(0, 999_999_999);
/** A phone number as Hoiio takes and reports it. */
export const e164Number = z.string().check(z.regex(E164_PATTERN, E164_RULE));
/** A tag as Hoiio echoes it back. */
export const echoedTag = z.string().check(z.minLength(1), z.maxLength(MAX_TAG_LENGTH));

export const callEndedSchema = z.strictObject({
  txnRef: txnRefSchema,
  dest: e164Number,
  callStatus: z.enum(FINAL_CALL_STATUSES),
  durationMinutes: billedMinutes,
  currency: currencySchema,
  /** Per-minute rate, e.g. "0.020". */
  rate: signalMoney,
  /** Total charge, e.g. "0.140". */
  debit: signalMoney,
  /** GMT+8 "YYYY-MM-DD HH:MM:SS", as Hoiio wrote it. */
  date: z.optional(hoiioDateText),
  tag: z.optional(echoedTag),
});

export type CallEnded = z.infer<typeof callEndedSchema>;
