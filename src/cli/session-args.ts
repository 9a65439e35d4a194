/**
 * Command-line flags → the conferenceSession workflow's input. Pure, so that what `bridgekeeper call` would send can
 * be tested without a server; the same zod schema the workflow uses decides what is valid (docs/design.md,
 * invariant 7), so the CLI can refuse a bad input before anything is started.
 */
import type { Command } from 'commander';
import { E164_PATTERN, E164_RULE } from '../domain/hoiio-rules';
import { showValue } from '../domain/input-text';
import { DEFAULT_ACCOUNT, formatProblems, validateSessionInput, type SessionInput } from '../domain/session-input';
import type { ParticipantInput, RedialRule, RedialRules } from '../domain/session-types';

/** The `call` command's options as commander hands them over (every value still a string). */
export interface CallOptions {
  name?: string[];
  room?: string;
  callerId?: string;
  tag?: string;
  account?: string;
  grace?: string;
  deadline?: string;
  redialBusy?: string;
  redialUnanswered?: string;
  redialFailed?: string;
  expectedMinutes?: string;
  allowPartial?: boolean;
  /** `--max-cost SGD:5.000`, repeatable: one cap per currency. */
  maxCost?: string[];
}

export type BuildResult = { ok: true; input: SessionInput } | { ok: false; problems: string[] };

/**
 * Builds and validates the workflow input. Every problem is collected, flag syntax and schema alike, so one run of
 * the command names all of them (which flag or which number, and which rule).
 */
export function buildSessionInput(numbers: string[], options: CallOptions): BuildResult {
  const problems: string[] = [];
  const draft = {
    participants: buildParticipants(numbers, options.name ?? [], problems),
    ...sessionFieldsFromFlags(options, problems),
  };
  return checkSessionDraft(draft, problems);
}

/** Validates a draft input with the workflow's own schema; `problems` already holds the flags' own problems. */
export function checkSessionDraft(draft: Record<string, unknown>, problems: string[]): BuildResult {
  const checked = validateSessionInput(draft);
  if (!checked.ok) problems.push(...checked.problems.map((problem) => formatProblems([problem])));
  if (problems.length > 0 || !checked.ok) return { ok: false, problems };
  return { ok: true, input: checked.value };
}

/**
 * Every session field the flags give, participants aside: `call` sends them as they are, and a schedule's `update`
 * lays them over the input it already has, so a flag left out keeps what was there.
 */
export function sessionFieldsFromFlags(options: CallOptions, problems: string[]): Record<string, unknown> {
  const draft: Record<string, unknown> = {};
  if (options.room !== undefined) draft.room = options.room;
  if (options.callerId !== undefined) draft.callerId = options.callerId;
  if (options.tag !== undefined) draft.tag = options.tag;
  if (options.account !== undefined) draft.account = options.account;
  const grace = parseSeconds('--grace', options.grace, problems);
  if (grace !== undefined) draft.notificationGraceSeconds = grace;
  const deadline = parseSeconds('--deadline', options.deadline, problems);
  if (deadline !== undefined) draft.deadlineSeconds = deadline;

  const redial: RedialRules = {};
  const rules = [
    ['busy', '--redial-busy', options.redialBusy],
    ['unanswered', '--redial-unanswered', options.redialUnanswered],
    ['failed', '--redial-failed', options.redialFailed],
  ] as const;
  for (const [outcome, flag, text] of rules) {
    const rule = parseRedialRule(flag, text, problems);
    if (rule) redial[outcome] = rule;
  }
  if (Object.keys(redial).length > 0) draft.redial = redial;
  const expectedMinutes = parseWholeNumber('--expected-minutes', options.expectedMinutes, 'minutes', problems);
  if (expectedMinutes !== undefined) draft.expectedMinutes = expectedMinutes;
  if (options.allowPartial) draft.onShortCredit = 'partial';
  const maxCost = parseMaxCost(options.maxCost ?? [], problems);
  if (maxCost) draft.maxCost = maxCost;
  return draft;
}

/**
 * The session flags, declared once for every command that builds a session input (`call`, `schedule create` and
 * `schedule update`). A schedule's runs each get a room of their own, so it leaves `--room` out.
 */
export function addSessionOptions(command: Command, { room }: { room: boolean }): Command {
  command.option('--name <number=name>', 'display name of a participant (repeatable)', collect, []);
  if (room) command.option('--room <id>', 'conference room id (1-32 of A-Z a-z 0-9 . _); default: a fresh one');
  return command
    .option('--caller-id <e164|private>', 'caller id shown to participants')
    .option('--tag <tag>', 'your tag, carried on every request and in the history')
    .option('--account <name>', `configured Hoiio account (default: ${DEFAULT_ACCOUNT})`)
    .option('--grace <seconds>', 'poll a leg with no notification after this long')
    .option('--deadline <seconds>', 'end the session after this long')
    .option('--redial-busy <attempts:delaySeconds>', 'redial busy numbers, e.g. 2:30')
    .option('--redial-unanswered <attempts:delaySeconds>', 'redial unanswered numbers')
    .option('--redial-failed <attempts:delaySeconds>', 'redial failed calls')
    .option('--expected-minutes <minutes>', 'minutes each participant is expected to talk, for the cost forecast (30)')
    .option('--allow-partial', 'when the balance does not cover the forecast, dial the roster prefix it covers')
    .option('--max-cost <currency:amount>', 'end the session once it has cost this, e.g. SGD:5.000', collect, []);
}

/** For repeatable flags: commander hands each value with the list so far. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Numbers in the order given; a number with a `--name number=name` becomes `{ number, name }`, the others stay bare
 * strings, so the input reads the way a person would write it by hand for `temporal workflow start`.
 */
export function buildParticipants(numbers: string[], names: string[], problems: string[]): ParticipantInput[] {
  const nameOf = new Map<string, string>();
  for (const entry of names) {
    const at = entry.indexOf('=');
    if (at <= 0) {
      problems.push(`--name ${showValue(entry)}: must be <number>=<name>, e.g. +6591234567=Alice`);
      continue;
    }
    const number = entry.slice(0, at).trim();
    const name = entry.slice(at + 1).trim();
    // The entry already shows the number: a second copy would only double a long one.
    if (!numbers.includes(number)) problems.push(`--name ${showValue(entry)}: must name one of the numbers to call`);
    else if (nameOf.has(number)) problems.push(`--name ${showValue(entry)}: must name a number not named already`);
    else nameOf.set(number, name);
  }
  return numbers.map((number) => {
    const name = nameOf.get(number);
    return name === undefined ? number : { number, name };
  });
}

/** `--redial-busy 2:30` → two more attempts, 30 s apart. The ranges are the schema's business. */
export function parseRedialRule(flag: string, text: string | undefined, problems: string[]): RedialRule | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) {
    problems.push(`${flag} ${showValue(text)}: must be <attempts>:<delaySeconds>, e.g. 2:30`);
    return undefined;
  }
  return { attempts: Number(match[1]), delaySeconds: Number(match[2]) };
}

/** Whole seconds; zero and other out-of-range values pass through so the schema names its own limits. */
export function parseSeconds(flag: string, text: string | undefined, problems: string[]): number | undefined {
  return parseWholeNumber(flag, text, 'seconds', problems);
}

export function parseWholeNumber(
  flag: string,
  text: string | undefined,
  unit: string,
  problems: string[],
): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) {
    problems.push(`${flag} ${showValue(text)}: must be a whole number of ${unit}`);
    return undefined;
  }
  return Number(text.trim());
}

/** `--max-cost SGD:5.000 --max-cost USD:3` → `{ SGD: "5.000", USD: "3" }`; the schema judges currency and amount. */
export function parseMaxCost(entries: string[], problems: string[]): Record<string, string> | undefined {
  const caps: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^([^:]+):(.+)$/.exec(entry.trim());
    if (!match) {
      problems.push(`--max-cost ${showValue(entry)}: must be <currency>:<amount>, e.g. SGD:5.000`);
      continue;
    }
    const [, currency = '', amount = ''] = match;
    if (Object.hasOwn(caps, currency)) {
      problems.push(`--max-cost ${showValue(entry)}: must name a currency not capped already`);
      continue;
    }
    caps[currency] = amount;
  }
  return Object.keys(caps).length > 0 ? caps : undefined;
}

/** For kick/mute/unmute: the same rule as the workflow's, checked before a round trip to the server. */
export function checkNumber(number: string): string | undefined {
  return E164_PATTERN.test(number) ? undefined : `${showValue(number)}: ${E164_RULE}`;
}

/** `session-20250101T120000Z-1a2b3c`: sortable by start time, and unique without coordination. */
export function defaultWorkflowId(now: Date, random: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `session-${stamp}-${random}`;
}
