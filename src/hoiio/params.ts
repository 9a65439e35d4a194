import { z } from 'zod';
import {
  E164_PATTERN,
  E164_RULE,
  MAX_DESTINATIONS_PER_REQUEST,
  MAX_NOTIFY_URL_LENGTH,
  MAX_TAG_LENGTH,
  ROOM_PATTERN,
  ROOM_RULE,
} from '../domain/hoiio-rules';
import { parseHoiioDate } from '../domain/hoiio-time';
import { formatPath, inputRule } from '../domain/input-text';
import { HoiioInputError, type HoiioInputIssue } from './errors';

/**
 * The documented parameter rules (docs/hoiio-api.md, "Endpoints"), checked before anything is sent: a bad number should fail in
 * our process with a message naming it, not cost a request (and a rate-limit slot) to learn the same from Hoiio.
 * Objects are strict so that a misspelt option (`notifyURL`) fails instead of being silently dropped.
 */

export { MAX_DESTINATIONS_PER_REQUEST, E164_PATTERN, ROOM_PATTERN, MAX_TAG_LENGTH, MAX_NOTIFY_URL_LENGTH };

const e164 = z.string().regex(E164_PATTERN, E164_RULE);

const destinations = z
  .array(e164)
  .min(1, 'needs at least one destination')
  .max(MAX_DESTINATIONS_PER_REQUEST, `at most ${MAX_DESTINATIONS_PER_REQUEST} destinations per request`)
  .superRefine((numbers, ctx) => {
    const seen = new Map<string, number>();
    numbers.forEach((number, index) => {
      const first = seen.get(number);
      // The same number twice would dial the same person twice into one room.
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index], message: `is listed twice (first at dest[${first}])` });
      } else {
        seen.set(number, index);
      }
    });
  });

const room = z.string().regex(ROOM_PATTERN, ROOM_RULE);

const callerId = z
  .string()
  .refine(
    (value) => value === 'private' || E164_PATTERN.test(value),
    'must be E.164 ("+" then 1 to 15 digits) or "private"',
  );

const tag = z
  .string()
  .min(1, 'must not be empty (leave it out instead)')
  .max(MAX_TAG_LENGTH, `must be at most ${MAX_TAG_LENGTH} characters`);

const notifyUrl = z
  .string()
  .max(MAX_NOTIFY_URL_LENGTH, `must be at most ${MAX_NOTIFY_URL_LENGTH} characters`)
  .refine(isQualifiedHttpUrl, 'must be a fully qualified http:// or https:// URL');

const txnRef = z.string().trim().min(1, 'must be a non-empty transaction reference');

const hoiioDate = z
  .string()
  .refine((text) => parseHoiioDate(text) !== undefined, 'must be a real date written "YYYY-MM-DD HH:MM:SS" (GMT+8)');

export const conferenceCallParams = z.strictObject({
  dest: destinations,
  room: room.optional(),
  callerId: callerId.optional(),
  tag: tag.optional(),
  notifyUrl: notifyUrl.optional(),
});
export type ConferenceCallParams = z.input<typeof conferenceCallParams>;

export const moderateActions = ['kick', 'mute', 'unmute'] as const;
export type ModerateAction = (typeof moderateActions)[number];

export const moderateParams = z.strictObject({
  txnRef,
  action: z.enum(moderateActions, { error: `must be one of ${moderateActions.join(', ')}` }),
});
export type ModerateParams = z.input<typeof moderateParams>;

export const txnRefParams = z.strictObject({ txnRef });

export const historyParams = z.strictObject({
  from: hoiioDate.optional(),
  to: hoiioDate.optional(),
  page: z.number().int('must be a whole number').min(1, 'must be 1 or more (pages count from 1)').optional(),
});
export type HistoryParams = z.input<typeof historyParams>;

export const rateParams = z.strictObject({ dest1: e164, dest2: e164 });
export type RateParams = z.input<typeof rateParams>;

/**
 * An IVR block's spoken text (or `<speech>`/`<url>` markup). The 2015 docs allow 1000 characters, the older ones and
 * the SDKs 500: the client keeps to 500, which both accept (docs/hoiio-api.md, "IVR").
 */
export const MAX_IVR_MSG_LENGTH = 500;
export const IVR_MAX_DIGITS = 255;
/** Our own bounds, where Hoiio documents none: a Gather of more than 10 tries of an hour each is a mistake. */
export const IVR_MAX_TIMEOUT_SECONDS = 3600;
export const IVR_MAX_ATTEMPTS = 10;
export const IVR_MAX_DURATION_SECONDS = 86_400;

const msg = z
  .string()
  .min(1, 'must not be empty (leave it out instead)')
  .max(MAX_IVR_MSG_LENGTH, `must be at most ${MAX_IVR_MSG_LENGTH} characters`);

const session = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be an IVR session id (1 to 128 visible ASCII characters)');

const wholeNumber = (min: number, max: number, unit = '') =>
  z
    .number()
    .int('must be a whole number')
    .min(min, `must be at least ${min}${unit}`)
    .max(max, `must be at most ${max}${unit}`);

export const ivrDialParams = z.strictObject({
  dest: e164,
  /** Spoken once the call is answered. */
  msg,
  callerId: callerId.optional(),
  /** Seconds after which Hoiio hangs the call up, whatever it is doing. */
  maxDuration: wholeNumber(1, IVR_MAX_DURATION_SECONDS, ' s').optional(),
  tag: tag.optional(),
  /** Without one, Hoiio hangs up once msg is spoken and notifies no one. */
  notifyUrl: notifyUrl.optional(),
});
export type IvrDialParams = z.input<typeof ivrDialParams>;

export const ivrGatherParams = z.strictObject({
  session,
  notifyUrl,
  msg: msg.optional(),
  /** 0 (Hoiio's default): the input ends only with # or the timeout. */
  maxDigits: wholeNumber(0, IVR_MAX_DIGITS).optional(),
  /** Seconds the callee has, per attempt. */
  timeout: wholeNumber(1, IVR_MAX_TIMEOUT_SECONDS, ' s').optional(),
  attempts: wholeNumber(1, IVR_MAX_ATTEMPTS).optional(),
  tag: tag.optional(),
});
export type IvrGatherParams = z.input<typeof ivrGatherParams>;

export const ivrTransferOnFailure = ['hangup', 'continue'] as const;

export const ivrTransferParams = z
  .strictObject({
    session,
    /** A conference room id: the call joins it (Hoiio names a new one when `room` is ''). */
    room: z.union([z.literal(''), room]).optional(),
    /** Or a number to put the call through to. */
    dest: e164.optional(),
    msg: msg.optional(),
    callerId: callerId.optional(),
    /** What happens when the transfer fails: hang up (Hoiio's default) or notify and keep the session. */
    onFailure: z.enum(ivrTransferOnFailure, { error: `must be one of ${ivrTransferOnFailure.join(', ')}` }).optional(),
    tag: tag.optional(),
    notifyUrl: notifyUrl.optional(),
  })
  .refine((value) => (value.room === undefined) !== (value.dest === undefined), {
    message: 'needs exactly one of room and dest',
    path: ['room'],
  });
export type IvrTransferParams = z.input<typeof ivrTransferParams>;

export const ivrHangupParams = z
  .strictObject({
    session,
    /** Spoken before hanging up. */
    msg: msg.optional(),
    /** Hang up at once, even mid-block (Hoiio's force=enabled); msg must then be left out. */
    force: z.boolean().optional(),
    tag: tag.optional(),
    notifyUrl: notifyUrl.optional(),
  })
  .refine((value) => !(value.force === true && value.msg !== undefined), {
    message: 'must be left out when force is set',
    path: ['msg'],
  });
export type IvrHangupParams = z.input<typeof ivrHangupParams>;

/** Parses `input` with `schema`, or throws a HoiioInputError that names every bad value and the rule it breaks. */
export function validateParams<Schema extends z.ZodType>(
  endpoint: string | undefined,
  schema: Schema,
  input: unknown,
): z.output<Schema> {
  const result = schema.safeParse(input, { error: inputRule });
  if (result.success) return result.data;
  throw new HoiioInputError(endpoint, describeIssues(result.error.issues, input));
}

/** Turns zod issues into `path = value: rule` entries, showing the offending value so the caller can find it. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): HoiioInputIssue[] {
  return issues.map((issue) => {
    const value = valueAt(input, issue.path);
    return {
      path: formatPath(issue.path) || '(parameters)',
      ...(value === undefined || typeof value === 'object' ? {} : { value }),
      message: issue.message,
    };
  });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return path.length === 0 ? undefined : current;
}

function isQualifiedHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
}
