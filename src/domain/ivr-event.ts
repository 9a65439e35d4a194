/**
 * The `ivrEvent` signal's payload: one Hoiio IVR notification (a block finished, or the call ended), as the receiver
 * read it from a verified notification. Hoiio sends several per call, unlike the single end-of-call notification of a
 * conference leg (docs/hoiio-api.md, "IVR notifications"). As with `callEnded`, the escalation checks what it
 * receives against this schema, since anyone can signal it: what does not parse is dropped and counted.
 */
import { z } from 'zod';
import { E164_PATTERN, E164_RULE, FINAL_CALL_STATUSES, MAX_TAG_LENGTH } from './hoiio-rules';
import type { CallEnded } from './call-ended';

const MONEY = /^\d{1,12}\.\d{3}$/;
const MONEY_RULE = 'must be a non-negative decimal with exactly 3 decimals, such as "0.020"';

export const IVR_CALL_STATES = ['ringing', 'ongoing', 'ended'] as const;
export type IvrCallState = (typeof IVR_CALL_STATES)[number];

export const ivrEventSchema = z.strictObject({
  txnRef: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 visible ASCII characters'),
  /** Hoiio's IVR session id: every later block of the call names it. */
  session: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1 to 128 visible ASCII characters'),
  callState: z.enum(IVR_CALL_STATES),
  /** The tag of the block that finished (ours name the block and the try, e.g. `bk-esc:INC-42:t3:gather`). */
  tag: z.string().min(1).max(MAX_TAG_LENGTH).optional(),
  dest: z.string().regex(E164_PATTERN, E164_RULE).optional(),
  /** How the Dial block went. */
  dialStatus: z.enum(FINAL_CALL_STATUSES).optional(),
  /** Keys pressed in a Gather block; empty when none were. */
  digits: z
    .string()
    .regex(/^[0-9*#]{0,255}$/, 'must be keypad keys')
    .optional(),
  /** How a Transfer block went. */
  transferStatus: z.enum(FINAL_CALL_STATUSES).optional(),
  /** Only once the call has ended: whole billed minutes, and what they cost. */
  durationMinutes: z.number().int().min(0).max(999_999_999).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as SGD')
    .optional(),
  rate: z.string().regex(MONEY, MONEY_RULE).optional(),
  debit: z.string().regex(MONEY, MONEY_RULE).optional(),
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    .optional(),
});

export type IvrEvent = z.infer<typeof ivrEventSchema>;

/**
 * An `ended` event as the end of a call leg, for the leg book: the call's status is the Dial block's (a call never
 * answered ends unanswered, busy or failed); one that was answered ended `answered`. Undefined when the event is not
 * an end, or lacks what an end needs (the billing fields, the number).
 */
export function ivrEventAsCallEnded(event: IvrEvent, number: string): CallEnded | undefined {
  if (event.callState !== 'ended') return undefined;
  const { durationMinutes, currency, rate, debit } = event;
  if (durationMinutes === undefined || currency === undefined || rate === undefined || debit === undefined) {
    return undefined;
  }
  return {
    txnRef: event.txnRef,
    dest: event.dest ?? number,
    callStatus: event.dialStatus ?? 'answered',
    durationMinutes,
    currency,
    rate,
    debit,
    ...(event.date === undefined ? {} : { date: event.date }),
  };
}
