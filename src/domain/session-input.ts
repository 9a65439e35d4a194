/**
 * The conferenceSession workflow's input: plain JSON, so `temporal workflow start --input '<json>'` works as well as
 * the CLI. Its field names are part of the wire contract (`test/unit/wire-contract.test.ts`). It names an account,
 * never a token: tokens live in the worker's configuration (docs/design.md, invariant 5).
 */
import * as z from 'zod/mini';
import { ACCOUNT_NAME_PATTERN, ACCOUNT_NAME_RULE } from './account-names';
import { currencySchema, e164Number, wholeNumber } from './call-ended';
import { E164_PATTERN, E164_RULE, ROOM_PATTERN, ROOM_RULE } from './hoiio-rules';
import { formatPath, formatProblem, parsePayload } from './input-text';
import { NON_NEGATIVE_MONEY_RULE, NON_NEGATIVE_MONEY_TEXT, parseMoney } from './money';
import { MAX_EXPECTED_MINUTES } from './preflight';
import type { ParticipantInput } from './session-types';

/** Room for our own suffix (`:bk-<session>-<batch>`) within Hoiio's 256-character tag. */
export const MAX_USER_TAG_LENGTH = 200;
export const MAX_PARTICIPANTS = 1_000;
export { ACCOUNT_NAME_PATTERN, ACCOUNT_NAME_RULE, DEFAULT_ACCOUNT } from './account-names';

const participant = z.union([
  e164Number,
  z.strictObject({
    number: e164Number,
    name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))),
  }),
]);

const redialRule = z.strictObject({
  attempts: wholeNumber(0, 10),
  delaySeconds: wholeNumber(0, 86_400),
});

/** A cap in one currency: money as the project writes it everywhere, and more than 0 (a cap of 0 would dial nobody). */
const capAmount = z.string().check(
  z.regex(NON_NEGATIVE_MONEY_TEXT, NON_NEGATIVE_MONEY_RULE),
  z.refine((text) => !NON_NEGATIVE_MONEY_TEXT.test(text) || parseMoney(text) > 0, 'must be more than 0'),
);

export const participantsSchema = z.array(participant).check(
  z.superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((entry, index) => {
      const value = typeof entry === 'string' ? entry : entry.number;
      const first = seen.get(value);
      if (first === undefined) seen.set(value, index);
      // The number is shown as the bad value, from `[i].number` for an entry with a name.
      else {
        const path = typeof entry === 'string' ? [index] : [index, 'number'];
        ctx.addIssue({ code: 'custom', path, message: `is listed twice (first at [${first}])` });
      }
    });
  }),
);

/** The participants of one session or one step: at least one, each number once. */
const someParticipants = participantsSchema.check(z.minLength(1, 'needs at least one participant'));

export const sessionInputSchema = z.strictObject({
  participants: someParticipants.check(z.maxLength(MAX_PARTICIPANTS)),
  room: z.optional(z.string().check(z.regex(ROOM_PATTERN, ROOM_RULE))),
  callerId: z.optional(
    z
      .string()
      .check(z.refine((value) => value === 'private' || E164_PATTERN.test(value), 'must be E.164 or "private"')),
  ),
  tag: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_USER_TAG_LENGTH))),
  account: z.optional(z.string().check(z.regex(ACCOUNT_NAME_PATTERN, ACCOUNT_NAME_RULE))),
  redial: z.optional(z.partial(z.strictObject({ busy: redialRule, unanswered: redialRule, failed: redialRule }))),
  /** A leg with no notification this long after it was dialed is looked up with voice/query_status. */
  notificationGraceSeconds: z.optional(wholeNumber(1, 86_400)),
  /** After this long the session ends as if `end` had been called. */
  deadlineSeconds: z.optional(wholeNumber(1, 30 * 86_400)),
  /** Continue-as-new after this many messages in one run (default 2,000; the server caps signals per run at 10,000). */
  messagesPerRun: z.optional(wholeNumber(10, 9_000)),
  /** Pre-flight: minutes each participant is expected to talk, for the cost forecast (default 30). */
  expectedMinutes: z.optional(wholeNumber(1, MAX_EXPECTED_MINUTES)),
  /** Pre-flight: when the balance does not cover the forecast, fail (`refuse`, the default) or dial who it covers. */
  onShortCredit: z.optional(z.enum(['refuse', 'partial'])),
  /** End the session like `end` once its cost so far reaches this, per currency: `{ "SGD": "5.000" }`. */
  maxCost: z.optional(
    z
      .record(currencySchema, capAmount)
      .check(
        z.refine((caps) => Object.keys(caps).length > 0, 'must name at least one currency, e.g. { "SGD": "5.000" }'),
      ),
  ),
});

export type SessionInput = z.infer<typeof sessionInputSchema>;

export interface InputProblem {
  path: string;
  value?: unknown;
  message: string;
}

/** Every problem in the input, each with where it is, the bad value and the rule, e.g. `participants[3]: "+65 1"`. */
export function validateSessionInput(
  input: unknown,
): { ok: true; value: SessionInput } | { ok: false; problems: InputProblem[] } {
  const parsed = parsePayload(sessionInputSchema, input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => describe(issue, input)) };
}

export function validateParticipants(
  list: unknown,
): { ok: true; value: ParticipantInput[] } | { ok: false; problems: InputProblem[] } {
  const parsed = parsePayload(someParticipants, list);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => describe(issue, { participants: list }, 'participants')),
  };
}

export function formatProblems(problems: InputProblem[]): string {
  return problems.map((p) => formatProblem(p.path || '(input)', p.value, p.message)).join('; ');
}

/**
 * One zod issue as an {@link InputProblem}: where (`participants[3]`), the bad value when it is a plain one, and the
 * rule. `unionRule` says what a union at that path expects, since zod's own "Invalid input" says less.
 */
export function describeInputIssue(
  issue: z.core.$ZodIssue,
  root: unknown,
  options: { prefix?: string; unionRule?: (path: readonly PropertyKey[]) => string | undefined } = {},
): InputProblem {
  const path = options.prefix ? [options.prefix, ...issue.path] : issue.path;
  let value: unknown = root;
  for (const key of path) {
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  // A bad record key: the path names the key, and the key's own rule is the one to show, not the value under it.
  if (issue.code === 'invalid_key') {
    return { path: formatPath(path), message: issue.issues[0]?.message ?? issue.message };
  }
  const message = (issue.code === 'invalid_union' ? options.unionRule?.(path) : undefined) ?? issue.message;
  return { path: formatPath(path), value: typeof value === 'object' ? undefined : value, message };
}

const PARTICIPANT_RULE = `must be an E.164 number or { number, name }: ${E164_RULE}`;

function describe(issue: z.core.$ZodIssue, root: unknown, prefix?: string): InputProblem {
  return describeInputIssue(issue, root, { prefix, unionRule: () => PARTICIPANT_RULE });
}

export function participantNumber(entry: ParticipantInput): string {
  return typeof entry === 'string' ? entry : entry.number;
}
