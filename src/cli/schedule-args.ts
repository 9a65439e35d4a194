/**
 * `bridgekeeper schedule create|update` flags → a Temporal Schedule's spec and policies and the session input its
 * runs start with. Pure apart from reading a roster file (the reader is a parameter), so what the CLI would send is
 * tested without a server. The session part is built by session-args.ts, the code `call` uses, so every `call` flag
 * means the same for a schedule; every problem is collected, so one run of the command names all of them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  MONTHS,
  ScheduleOverlapPolicy,
  type CalendarSpec,
  type DayOfWeek,
  type ScheduleSpec,
  type ScheduleSpecDescription,
} from '@temporalio/client';
import { formatProblem, showValue } from '../domain/input-text';
import { participantNumber, validateParticipants, type SessionInput } from '../domain/session-input';
import type { ParticipantInput } from '../domain/session-types';
import { buildParticipants, checkSessionDraft, sessionFieldsFromFlags, type CallOptions } from './session-args';

/** A schedule id starts each run's workflow id (`<id>-<time>`), so it keeps to characters safe in ids and shells. */
export const SCHEDULE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SCHEDULE_ID_RULE = 'must be 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)';

/** What `describe` shows and what a missed run may be late by, unless the flags say otherwise. */
export const DEFAULT_CATCHUP_WINDOW_MS = 10 * 60_000;
/** Temporal's own floor for the catch-up window. */
const MIN_CATCHUP_WINDOW_MS = 10_000;

/** The schedule flags as commander hands them over; the session flags are `call`'s, less `--room`. */
export interface ScheduleFlags extends Omit<CallOptions, 'room'> {
  cron?: string;
  at?: string;
  days?: string;
  every?: string;
  timezone?: string;
  overlap?: string;
  catchupWindow?: string;
  jitter?: string;
  /** `--skip 2026-12-25,2027-01-01`, repeatable. */
  skip?: string[];
  roster?: string;
}

export interface ScheduleUpdateFlags extends ScheduleFlags {
  add?: string[];
  remove?: string[];
}

/** Everything a schedule is made of, as the CLI builds it. */
export interface SchedulePlan {
  spec: ScheduleSpec;
  overlap: ScheduleOverlapPolicy;
  catchupWindowMs: number;
  input: SessionInput;
}

/** The parts of an existing schedule that `update` starts from. */
export interface ScheduleNow {
  spec: ScheduleSpecDescription;
  overlap: ScheduleOverlapPolicy;
  catchupWindowMs: number;
  /** The session input of its action, as stored (checked again with the changes). */
  input: unknown;
}

export type PlanResult = { ok: true; plan: SchedulePlan } | { ok: false; problems: string[] };

type ReadText = (file: string) => string;
const readText: ReadText = (file) => readFileSync(file, 'utf8');

/** A bad flag value as `call` words it: `--at "9am": must be …`. */
const flagProblem = (flag: string, value: string, rule: string): string => `${flag} ${showValue(value)}: ${rule}`;

/** The overlap policies by the names the CLI takes. */
export const OVERLAP_POLICIES: Record<string, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
};

export function checkScheduleId(id: string): string | undefined {
  return SCHEDULE_ID_PATTERN.test(id) ? undefined : flagProblem('schedule id', id, SCHEDULE_ID_RULE);
}

/** `schedule create <id> [numbers...]`: the whole schedule from flags, every problem named. */
export function buildScheduleCreate(
  id: string,
  numbers: string[],
  flags: ScheduleFlags,
  read: ReadText = readText,
): PlanResult {
  const problems: string[] = [];
  const idProblem = checkScheduleId(id);
  if (idProblem) problems.push(idProblem);
  const participants = buildParticipants(numbers, flags.name ?? [], problems);
  if (flags.roster !== undefined) participants.push(...readRoster(flags.roster, read, problems));
  const calendar = buildCalendar(flags, problems);
  if (!calendar) {
    problems.push("a schedule needs a calendar: --cron '<spec>', --at HH:MM [--days mon-fri] or --every <interval>");
  }
  const spec: ScheduleSpec = { ...calendar, ...specExtras(flags, problems) };
  const overlap = parseOverlap(flags.overlap, problems) ?? ScheduleOverlapPolicy.SKIP;
  const catchupWindowMs = parseCatchupWindow(flags.catchupWindow, problems) ?? DEFAULT_CATCHUP_WINDOW_MS;
  const session = checkSessionDraft({ participants, ...sessionFieldsFromFlags(flags, problems) }, problems);
  if (!session.ok) return session;
  return { ok: true, plan: { spec, overlap, catchupWindowMs, input: session.input } };
}

/**
 * `schedule update <id>`: the schedule as it is, with what the flags change. `--roster` replaces the roster, then
 * `--remove` and `--add` edit it; a calendar flag replaces the calendar; `--skip` replaces the skip dates; any other
 * flag replaces its own field, and what no flag names stays.
 */
export function buildScheduleUpdate(
  now: ScheduleNow,
  flags: ScheduleUpdateFlags,
  read: ReadText = readText,
): PlanResult {
  const problems: string[] = [];
  if (!Object.values(flags).some((value) => value !== undefined && !(Array.isArray(value) && value.length === 0))) {
    return { ok: false, problems: ['nothing to change: give --add, --remove, --roster, a calendar flag or an option'] };
  }
  const previous = (now.input !== null && typeof now.input === 'object' ? now.input : {}) as Record<string, unknown>;
  let participants = Array.isArray(previous.participants) ? (previous.participants as ParticipantInput[]) : [];
  if (flags.roster !== undefined) participants = readRoster(flags.roster, read, problems);
  for (const number of flags.remove ?? []) {
    const before = participants.length;
    participants = participants.filter((entry) => participantNumber(entry) !== number);
    if (participants.length === before) {
      problems.push(flagProblem('--remove', number, "must be a number on the schedule's roster"));
    }
  }
  participants = [...participants, ...buildParticipants(flags.add ?? [], flags.name ?? [], problems)];

  const calendar = buildCalendar(flags, problems);
  const spec: ScheduleSpec = {
    ...(calendar ?? { calendars: now.spec.calendars, intervals: now.spec.intervals }),
    skip: now.spec.skip,
    timezone: now.spec.timezone,
    jitter: now.spec.jitter,
    startAt: now.spec.startAt,
    endAt: now.spec.endAt,
    ...specExtras(flags, problems),
  };
  const overlap = parseOverlap(flags.overlap, problems) ?? now.overlap;
  const catchupWindowMs = parseCatchupWindow(flags.catchupWindow, problems) ?? now.catchupWindowMs;
  const draft = { ...previous, participants, ...sessionFieldsFromFlags(flags, problems) };
  const session = checkSessionDraft(draft, problems);
  if (!session.ok) return session;
  return { ok: true, plan: { spec, overlap, catchupWindowMs, input: session.input } };
}

type Calendar = Pick<ScheduleSpec, 'calendars' | 'intervals' | 'cronExpressions'>;

/** The one calendar the flags give (`--cron`, `--at` with `--days`, or `--every`), or undefined when none does. */
function buildCalendar(flags: ScheduleFlags, problems: string[]): Calendar | undefined {
  const given = [
    flags.cron !== undefined && '--cron',
    flags.at !== undefined && '--at',
    flags.every !== undefined && '--every',
  ].filter(Boolean);
  if (given.length > 1) problems.push(`${given.join(', ')}: give only one of --cron, --at or --every`);
  if (flags.days !== undefined && flags.at === undefined) {
    problems.push(flagProblem('--days', flags.days, 'goes with --at, e.g. --at 09:00 --days mon-fri'));
  }
  // Each calendar flag given is checked, so that one run names the problems of all of them.
  const calendars: Calendar[] = [];
  if (flags.cron !== undefined) {
    const problem = checkCron(flags.cron);
    if (problem) problems.push(problem);
    calendars.push({ cronExpressions: [flags.cron.trim()] });
  }
  if (flags.at !== undefined) {
    const calendar: CalendarSpec = { ...parseTimeOfDay(flags.at, problems) };
    if (flags.days !== undefined) calendar.dayOfWeek = parseDays(flags.days, problems);
    calendars.push({ calendars: [calendar] });
  }
  if (flags.every !== undefined) {
    const every = parseDuration('--every', flags.every, problems, 1_000);
    calendars.push({ intervals: [{ every: every ?? 1_000 }] });
  }
  return calendars[0];
}

/** Time zone, jitter and skip dates: only those the flags give, so an update keeps the rest. */
function specExtras(flags: ScheduleFlags, problems: string[]): Pick<ScheduleSpec, 'timezone' | 'jitter' | 'skip'> {
  const extras: Pick<ScheduleSpec, 'timezone' | 'jitter' | 'skip'> = {};
  if (flags.timezone !== undefined) {
    if (isTimeZone(flags.timezone)) extras.timezone = flags.timezone;
    else problems.push(flagProblem('--timezone', flags.timezone, 'must be an IANA time zone, e.g. Asia/Singapore'));
  }
  if (flags.jitter !== undefined) {
    const jitter = parseDuration('--jitter', flags.jitter, problems, 0);
    if (jitter !== undefined) extras.jitter = jitter;
  }
  if (flags.skip !== undefined && flags.skip.length > 0) extras.skip = parseSkipDates(flags.skip, problems);
  return extras;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

const DURATION_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `2h`, `1d` → milliseconds, at least `minMs`. */
export function parseDuration(flag: string, text: string, problems: string[], minMs: number): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) {
    problems.push(flagProblem(flag, text, 'must be a whole number and a unit (s, m, h or d), e.g. 10m'));
    return undefined;
  }
  const ms = Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
  if (ms < minMs) {
    problems.push(flagProblem(flag, text, `must be at least ${minMs / 1000}s`));
    return undefined;
  }
  return ms;
}

function parseCatchupWindow(text: string | undefined, problems: string[]): number | undefined {
  return text === undefined ? undefined : parseDuration('--catchup-window', text, problems, MIN_CATCHUP_WINDOW_MS);
}

function parseOverlap(text: string | undefined, problems: string[]): ScheduleOverlapPolicy | undefined {
  if (text === undefined) return undefined;
  const policy = OVERLAP_POLICIES[text.trim().toLowerCase()];
  if (!policy)
    problems.push(flagProblem('--overlap', text, `must be one of ${Object.keys(OVERLAP_POLICIES).join(', ')}`));
  return policy;
}

/** A light check: Temporal reads the expression itself, but a wrong field count is worth naming before a round trip. */
function checkCron(text: string): string | undefined {
  const cron = text.trim();
  if (/^(CRON_)?TZ=/i.test(cron)) return flagProblem('--cron', text, 'must not name a time zone: use --timezone');
  if (/^@(yearly|annually|monthly|weekly|daily|hourly|every\s+\S+)$/.test(cron)) return undefined;
  const fields = cron.split(/\s+/);
  if (fields.length < 5 || fields.length > 7 || !fields.every((field) => /^[A-Za-z0-9*/,?#-]+$/.test(field))) {
    return flagProblem(
      '--cron',
      text,
      'must be 5 to 7 cron fields (minute hour day-of-month month day-of-week [year]; 7 fields start with seconds), e.g. "0 9 * * 1-5"',
    );
  }
  return undefined;
}

function parseTimeOfDay(text: string, problems: string[]): Pick<CalendarSpec, 'hour' | 'minute'> {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  if (!match) {
    problems.push(flagProblem('--at', text, 'must be a time of day HH:MM (24-hour), e.g. 09:00'));
    return {};
  }
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

const DAY_NAMES: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
const DAYS_RULE = 'must be days of the week (mon, tue, … sun), ranges or lists, e.g. mon-fri or mon,wed,fri';

function dayIndex(text: string): number | undefined {
  const name = text.trim().toUpperCase();
  if (name.length < 3) return undefined;
  const index = DAY_NAMES.findIndex((day) => day.startsWith(name));
  return index < 0 ? undefined : index;
}

/** `mon-fri`, `mon,wed,fri`, `fri-mon` (wrapping the week), `weekdays`, `weekends`, `daily`. */
function parseDays(text: string, problems: string[]): { start: DayOfWeek; end: DayOfWeek }[] {
  const aliases: Record<string, string> = { weekdays: 'mon-fri', weekends: 'sat,sun', daily: 'sun-sat' };
  const expanded = aliases[text.trim().toLowerCase()] ?? text;
  const days = new Set<number>();
  for (const part of expanded.split(',')) {
    const [from, to, ...rest] = part.split('-');
    const start = dayIndex(from ?? '');
    const end = to === undefined ? start : dayIndex(to);
    if (start === undefined || end === undefined || rest.length > 0) {
      problems.push(flagProblem('--days', text, DAYS_RULE));
      return [];
    }
    for (let day = start; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === end) break;
    }
  }
  // Runs of consecutive days as ranges, so the server (and describe) read `Mon-Fri`, not five days.
  const ranges: { start: DayOfWeek; end: DayOfWeek }[] = [];
  let runStart: number | undefined;
  for (let day = 0; day <= 7; day += 1) {
    if (days.has(day) && runStart === undefined) runStart = day;
    if (!days.has(day) && runStart !== undefined) {
      ranges.push({ start: DAY_NAMES[runStart]!, end: DAY_NAMES[day - 1]! });
      runStart = undefined;
    }
  }
  return ranges;
}

/** `2026-12-25` → a calendar matching every second of that day, in the schedule's time zone. */
function parseSkipDates(entries: string[], problems: string[]): CalendarSpec[] {
  const skip: CalendarSpec[] = [];
  for (const date of entries.flatMap((entry) => entry.split(','))) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
    const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
    const real = match && new Date(Date.UTC(year, month - 1, day)).toISOString().startsWith(date.trim());
    if (!real) {
      problems.push(
        flagProblem('--skip', date, 'must be dates YYYY-MM-DD, comma-separated, e.g. 2026-12-25,2027-01-01'),
      );
      continue;
    }
    skip.push({
      year,
      month: MONTHS[month - 1]!,
      dayOfMonth: day,
      hour: '*',
      minute: '*',
      second: '*',
      comment: `skip ${date.trim()}`,
    });
  }
  return skip;
}

const ROSTER_ROW_RULE = 'must be an E.164 number or {"number", "name"}';

/**
 * A roster file: `.json`, an array of numbers or `{ "number", "name" }` objects; or `.csv`, a header `number,name`
 * (or `number`) and one participant a row, a name with a comma in double quotes. A bad row is named by its place.
 */
export function readRoster(file: string, read: ReadText, problems: string[]): ParticipantInput[] {
  const where = path.basename(file);
  const extension = path.extname(file).toLowerCase();
  if (extension !== '.json' && extension !== '.csv') {
    problems.push(flagProblem('--roster', file, 'must be a .json or .csv file'));
    return [];
  }
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    problems.push(
      flagProblem('--roster', file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`),
    );
    return [];
  }
  const rows = extension === '.json' ? jsonRows(where, text, problems) : csvRows(where, text, problems);
  const entries: ParticipantInput[] = [];
  for (const { label, entry } of rows) {
    const checked = validateParticipants([entry]);
    if (checked.ok) entries.push(...checked.value);
    else {
      for (const problem of checked.problems) {
        const at = problem.path.replace(/^participants\[0\](\.number)?/, label);
        problems.push(formatProblem(at, problem.value, problem.message));
      }
    }
  }
  if (rows.length === 0 && !problems.some((problem) => problem.startsWith(where))) {
    problems.push(formatProblem(where, undefined, 'must list at least one participant'));
  }
  return entries;
}

interface RosterRow {
  label: string;
  entry: unknown;
}

function jsonRows(where: string, text: string, problems: string[]): RosterRow[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    problems.push(formatProblem(where, undefined, `must be JSON (${(error as Error).message})`));
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push(formatProblem(where, undefined, `must be a JSON array of participants: ${ROSTER_ROW_RULE}`));
    return [];
  }
  return (value as unknown[]).map((entry, index) => ({ label: `${where}[${index}]`, entry }));
}

function csvRows(where: string, text: string, problems: string[]): RosterRow[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((cell) => cell.trim().toLowerCase());
  if (header[0] !== 'number' || header.length > 2 || (header.length === 2 && header[1] !== 'name')) {
    problems.push(formatProblem(`${where} line 1`, lines[0] ?? '', 'must be the header number,name (or number)'));
    return [];
  }
  const rows: RosterRow[] = [];
  lines.forEach((line, index) => {
    if (index === 0 || line.trim() === '') return;
    const label = `${where} line ${index + 1}`;
    const cells = splitCsvLine(line).map((cell) => cell.trim());
    if (cells.length > header.length) {
      problems.push(formatProblem(label, line, `must have at most ${header.length} field(s): ${header.join(',')}`));
      return;
    }
    const [number = '', name = ''] = cells;
    rows.push({ label, entry: name === '' ? number : { number, name } });
  });
  return rows;
}

/** One CSV line: fields split at commas outside double quotes, `""` inside quotes being one quote. */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quoted && char === '"' && line[i + 1] === '"') {
      cell += '"';
      i += 1;
    } else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}
