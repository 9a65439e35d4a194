import { z } from 'zod';
import { E164_PATTERN, E164_RULE, FINAL_CALL_STATUSES, MAX_TAG_LENGTH } from '../domain/hoiio-rules';
import { parseHoiioDate } from '../domain/hoiio-time';
import { parsePayload } from '../domain/input-text';
import { IVR_CALL_STATES, type IvrEvent, ivrEventSchema } from '../domain/ivr-event';
import { formatMoney } from '../domain/money';
import { nonNegativeMoneyText } from '../hoiio/money-schema';
import { type FormParse, type NotificationIssue, parseForm, TXN_REF, TXN_REF_RULE } from './form-fields';

/**
 * One IVR notification (a block of the call finished, or the call ended), from Hoiio's form fields to the `ivrEvent`
 * signal's payload (`src/domain/ivr-event.ts`). Read like a conference notification (`form-fields.ts`): body only,
 * every bad field named, unknown fields ignored, money normalised to three decimals.
 *
 * Unlike a conference leg's single notification, an IVR call notifies after every block, and which fields a block
 * carries depends on the block: `dial_status` after the dial, `digits` after a gather, `transfer_status` after a
 * transfer, the billing fields once the call has ended. So only `session`, `txn_ref` and `call_state` are required,
 * and an empty optional field counts as absent, except `digits`, where empty means "no key was pressed".
 */

/** Hoiio's field names, as they appear in the form. */
export const IVR_NOTIFICATION_FIELDS = [
  'session',
  'txn_ref',
  'tag',
  'call_state',
  'dest',
  'dial_status',
  'digits',
  'transfer_status',
  'date',
  'duration',
  'currency',
  'rate',
  'debit',
] as const;

const EMPTY_IS_ABSENT = IVR_NOTIFICATION_FIELDS.filter((name) => name !== 'digits');

const money = nonNegativeMoneyText.transform(formatMoney);
const finalStatus = z.enum(FINAL_CALL_STATUSES, { error: `must be one of ${FINAL_CALL_STATUSES.join(', ')}` });

export const ivrNotificationSchema = z
  .object({
    session: z.string().regex(TXN_REF, 'must be an IVR session id: 1 to 128 visible ASCII characters'),
    txn_ref: z.string().regex(TXN_REF, TXN_REF_RULE),
    call_state: z.enum(IVR_CALL_STATES, { error: `must be one of ${IVR_CALL_STATES.join(', ')}` }),
    tag: z.string().max(MAX_TAG_LENGTH, `must be at most ${MAX_TAG_LENGTH} characters`).optional(),
    dest: z.string().regex(E164_PATTERN, E164_RULE).optional(),
    dial_status: finalStatus.optional(),
    digits: z
      .string()
      .regex(/^[0-9*#]{0,255}$/, 'must be keypad keys (0-9, * and #), at most 255')
      .optional(),
    transfer_status: finalStatus.optional(),
    date: z
      .string()
      .refine((text) => parseHoiioDate(text) !== undefined, 'must be a real date written "YYYY-MM-DD HH:MM:SS" (GMT+8)')
      .optional(),
    duration: z
      .string()
      .regex(/^\d{1,9}$/, 'must be a whole number of minutes')
      .transform(Number)
      .optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as SGD')
      .optional(),
    rate: money.optional(),
    debit: money.optional(),
  })
  .transform((fields): IvrEvent => ({
    txnRef: fields.txn_ref,
    session: fields.session,
    callState: fields.call_state,
    ...(fields.tag === undefined ? {} : { tag: fields.tag }),
    ...(fields.dest === undefined ? {} : { dest: fields.dest }),
    ...(fields.dial_status === undefined ? {} : { dialStatus: fields.dial_status }),
    ...(fields.digits === undefined ? {} : { digits: fields.digits }),
    ...(fields.transfer_status === undefined ? {} : { transferStatus: fields.transfer_status }),
    ...(fields.duration === undefined ? {} : { durationMinutes: fields.duration }),
    ...(fields.currency === undefined ? {} : { currency: fields.currency }),
    ...(fields.rate === undefined ? {} : { rate: fields.rate }),
    ...(fields.debit === undefined ? {} : { debit: fields.debit }),
    ...(fields.date === undefined ? {} : { date: fields.date }),
  }));

/** The payload's field names back to Hoiio's, to name a field in a 400. */
const FORM_NAME: Record<keyof IvrEvent, (typeof IVR_NOTIFICATION_FIELDS)[number]> = {
  txnRef: 'txn_ref',
  session: 'session',
  callState: 'call_state',
  tag: 'tag',
  dest: 'dest',
  dialStatus: 'dial_status',
  digits: 'digits',
  transferStatus: 'transfer_status',
  durationMinutes: 'duration',
  currency: 'currency',
  rate: 'rate',
  debit: 'debit',
  date: 'date',
};

/**
 * Parses a raw form-urlencoded body; `query` is consulted only to explain a field that is missing from the body. The
 * payload is checked against `ivrEventSchema` too, the schema the escalation checks what it receives against, so the
 * receiver never signals what the workflow would drop.
 */
export function parseIvrNotification(
  rawBody: string,
  query: URLSearchParams = new URLSearchParams(),
): FormParse<IvrEvent> {
  const parsed = parseForm(ivrNotificationSchema, IVR_NOTIFICATION_FIELDS, rawBody, query, {
    emptyIsAbsent: EMPTY_IS_ABSENT,
  });
  if (!parsed.ok) return parsed;
  const checked = parsePayload(ivrEventSchema, parsed.payload);
  if (checked.success) return parsed;
  const issues: NotificationIssue[] = checked.error.issues.map((issue) => {
    const key = issue.path[0];
    const field = typeof key === 'string' && key in FORM_NAME ? FORM_NAME[key as keyof IvrEvent] : '(form)';
    return { field, message: issue.message };
  });
  return { ok: false, issues, txnRef: parsed.payload.txnRef };
}
