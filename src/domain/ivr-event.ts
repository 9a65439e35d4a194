/**
 * The `ivrEvent` signal's payload: one Hoiio IVR notification (a block finished, or the call ended), as the receiver
 * read it from a verified notification. Hoiio sends several per call, unlike the single end-of-call notification of a
 * conference leg (docs/hoiio-api.md, "IVR notifications"). As with `callEnded`, the escalation checks what it
 * receives against this schema, since anyone can signal it: what does not parse is dropped and counted.
 */
import * as z from 'zod/mini';
import { FINAL_CALL_STATUSES } from './hoiio-rules';
import {
  billedMinutes,
  currencySchema,
  e164Number,
  echoedTag,
  hoiioDateText,
  signalMoney,
  txnRefSchema,
  type CallEnded,
} from './call-ended';

export const IVR_CALL_STATES = ['ringing', 'ongoing', 'ended'] as const;
export type IvrCallState = (typeof IVR_CALL_STATES)[number];

export const ivrEventSchema = z.strictObject({
  txnRef: txnRefSchema,
  /** Hoiio's IVR session id: every later block of the call names it. */
  session: txnRefSchema,
  callState: z.enum(IVR_CALL_STATES),
  /** The tag of the block that finished (ours name the block and the try, e.g. `bk-esc:INC-42:t3:gather`). */
  tag: z.optional(echoedTag),
  dest: z.optional(e164Number),
  /** How the Dial block went. */
  dialStatus: z.optional(z.enum(FINAL_CALL_STATUSES)),
  /** Keys pressed in a Gather block; empty when none were. */
  digits: z.optional(z.string().check(z.regex(/^[0-9*#]{0,255}$/, 'must be keypad keys'))),
  /** How a Transfer block went. */
  transferStatus: z.optional(z.enum(FINAL_CALL_STATUSES)),
  /** Only once the call has ended: whole billed minutes, and what they cost. */
  durationMinutes: z.optional(billedMinutes),
  currency: z.optional(currencySchema),
  rate: z.optional(signalMoney),
  debit: z.optional(signalMoney),
  date: z.optional(hoiioDateText),
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
