/**
 * What `bridgekeeper schedule describe` and `list` print: a schedule's calendar in words, its next runs and its last
 * runs in its own time zone, each run with its outcome and cost. Pure: the commands gather the facts
 * (schedule-commands.ts), this turns them into text or JSON.
 */
import {
  MONTHS,
  type CalendarSpecDescription,
  type Range,
  type ScheduleDescription,
  type ScheduleSpecDescription,
} from '@temporalio/client';
import type { SessionSummary } from '../domain/session-types';
import { formatCost } from './summary-table';

/** How many upcoming runs `describe` shows. */
export const NEXT_RUNS_SHOWN = 5;

/** One run of a schedule: a conferenceSession started by it, and how it went. */
export interface ScheduleRun {
  workflowId: string;
  /** When the schedule started it (ISO). */
  startedAt: string;
  /** `running`, `completed`, `failed`, `cancelled`, `terminated`, `timed_out`… (Temporal's status, lowercased). */
  status: string;
  /** From a completed run's summary: how it ended, its roster size, who answered and what it cost. */
  endedBy?: SessionSummary['endedBy'];
  participants?: number;
  answered?: number;
  cost?: SessionSummary['totals'];
  /** A failed run's reason, e.g. a pre-flight refusal. */
  failure?: string;
}

/** What `describe --json` prints, and what its text is made from. */
export interface ScheduleView {
  scheduleId: string;
  paused: boolean;
  note?: string;
  timeZone: string;
  when: string;
  overlap: string;
  catchupWindow: string;
  nextRuns: { at: string; local: string }[];
  counts: { taken: number; skippedOverlap: number; missedCatchupWindow: number };
  session: unknown;
  runs: (ScheduleRun & { startedLocal: string })[];
}

export function scheduleView(description: ScheduleDescription, runs: ScheduleRun[]): ScheduleView {
  const timeZone = zoneOf(description.spec);
  return {
    scheduleId: description.scheduleId,
    paused: description.state.paused,
    ...(description.state.note ? { note: description.state.note } : {}),
    timeZone,
    when: describeSpec(description.spec),
    overlap: (description.policies.overlap ?? 'SKIP').toLowerCase().replace(/_/g, '-'),
    catchupWindow: formatDuration(description.policies.catchupWindow),
    nextRuns: description.info.nextActionTimes.slice(0, NEXT_RUNS_SHOWN).map((at) => ({
      at: at.toISOString(),
      local: formatInZone(at, timeZone),
    })),
    counts: {
      taken: description.info.numActionsTaken,
      skippedOverlap: description.info.numActionsSkippedOverlap,
      missedCatchupWindow: description.info.numActionsMissedCatchupWindow,
    },
    session: description.action.args?.[0],
    runs: runs.map((run) => ({ ...run, startedLocal: formatInZone(new Date(run.startedAt), timeZone) })),
  };
}

export function formatScheduleView(view: ScheduleView): string {
  const lines = [
    `schedule ${view.scheduleId} | ${view.paused ? `paused${view.note ? `: ${view.note}` : ''}` : 'active'}`,
    `when: ${view.when}`,
    `overlap: ${view.overlap} | catch-up window: ${view.catchupWindow}`,
    `session: ${describeSession(view.session)}`,
    `runs: ${view.counts.taken} taken, ${view.counts.skippedOverlap} skipped (overlap), ` +
      `${view.counts.missedCatchupWindow} missed (catch-up window)`,
    `next runs (${view.timeZone}):`,
    ...(view.nextRuns.length > 0 ? view.nextRuns.map((run) => `  ${run.local}`) : ['  none']),
    `last runs (${view.timeZone}):`,
    ...(view.runs.length > 0 ? [...view.runs].reverse().map((run) => `  ${formatRun(run)}`) : ['  none yet']),
  ];
  return lines.join('\n');
}

/** `<id> | <started> | completed | 2/3 answered | cost SGD 0.120`, or the failure's reason. */
function formatRun(run: ScheduleRun & { startedLocal: string }): string {
  const parts = [run.workflowId, run.startedLocal];
  if (run.status === 'completed') {
    parts.push(run.endedBy === undefined || run.endedBy === 'completed' ? 'completed' : `completed (${run.endedBy})`);
    parts.push(`${run.answered ?? 0}/${run.participants ?? 0} answered`);
    parts.push(`cost ${formatCost(run.cost ?? [])}`);
  } else if (run.failure !== undefined) parts.push(`${run.status}: ${run.failure}`);
  else parts.push(run.status);
  return parts.join(' | ');
}

function describeSession(input: unknown): string {
  if (input === null || typeof input !== 'object') return 'none';
  const { participants, ...options } = input as Record<string, unknown>;
  const roster = Array.isArray(participants)
    ? participants
        .map((entry: unknown) =>
          typeof entry === 'object' && entry !== null
            ? `${(entry as { number: string }).number}${(entry as { name?: string }).name ? ` (${(entry as { name?: string }).name})` : ''}`
            : String(entry),
        )
        .join(', ')
    : '';
  const count = Array.isArray(participants) ? participants.length : 0;
  const rest = Object.entries(options).map(([key, value]) => `${key} ${JSON.stringify(value)}`);
  return [`${count} participant${count === 1 ? '' : 's'}: ${roster}`, ...rest].join('; ');
}

/** One row of `schedule list`. */
export interface ScheduleListRow {
  scheduleId: string;
  paused: boolean;
  timeZone: string;
  when: string;
  nextRun?: { at: string; local: string };
}

export function formatScheduleList(rows: ScheduleListRow[]): string {
  if (rows.length === 0) return 'no bridgekeeper schedules';
  return rows
    .map((row) =>
      [
        row.scheduleId,
        row.paused ? 'paused' : 'active',
        row.nextRun ? `next ${row.nextRun.local} ${row.timeZone}` : 'no next run',
        row.when,
      ].join(' | '),
    )
    .join('\n');
}

export function zoneOf(spec: ScheduleSpecDescription): string {
  return spec.timezone || 'UTC';
}

/** `2026-11-30 Mon 09:00:00`, the wall-clock time in `timeZone`. */
export function formatInZone(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('weekday')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

/** 600000 → `10m`, 90000 → `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || `${ms}ms`;
}

/** The spec in words: each calendar and interval, the skip dates, the jitter and the time zone. */
export function describeSpec(spec: ScheduleSpecDescription): string {
  const times = [
    ...(spec.calendars ?? []).map(describeCalendar),
    ...(spec.intervals ?? []).map(
      (interval) =>
        `every ${formatDuration(interval.every)}${interval.offset ? ` (offset ${formatDuration(interval.offset)})` : ''}`,
    ),
  ];
  const parts = [times.length > 0 ? times.join('; and ') : 'never', `${zoneOf(spec)} time`];
  const skips = (spec.skip ?? []).map((calendar) => skipDate(calendar) ?? describeCalendar(calendar));
  if (skips.length > 0) parts.push(`except ${skips.join(', ')}`);
  if (spec.jitter) parts.push(`up to ${formatDuration(spec.jitter)} late (jitter)`);
  return parts.join(', ');
}

const FULL: Record<'second' | 'minute' | 'hour' | 'dayOfMonth', [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
};

function isFull<T>(ranges: Range<T>[], start: T, end: T): boolean {
  return ranges.length === 0 || ranges.some((r) => r.start === start && r.end === end && (r.step || 1) === 1);
}

function single(ranges: Range<number>[]): number | undefined {
  return ranges.length === 1 && ranges[0]!.start === ranges[0]!.end ? ranges[0]!.start : undefined;
}

function rangesText<T>(ranges: Range<T>[], show: (value: T) => string): string {
  return ranges
    .map((r) => {
      const span = r.end === r.start ? show(r.start) : `${show(r.start)}-${show(r.end)}`;
      return (r.step || 1) > 1 ? `${span}/${r.step}` : span;
    })
    .join(',');
}

const two = (n: number) => String(n).padStart(2, '0');
const titleCase = (name: string) => name.charAt(0) + name.slice(1, 3).toLowerCase();

function describeCalendar(calendar: CalendarSpecDescription): string {
  const [h, m, s] = [single(calendar.hour), single(calendar.minute), single(calendar.second)];
  const field = (ranges: Range<number>[], name: keyof typeof FULL) =>
    isFull(ranges, ...FULL[name]) ? `every ${name}` : `${name} ${rangesText(ranges, String)}`;
  const days: string[] = [];
  if (!isFull(calendar.dayOfWeek, 'SUNDAY', 'SATURDAY')) days.push(`on ${rangesText(calendar.dayOfWeek, titleCase)}`);
  if (!isFull(calendar.dayOfMonth, ...FULL.dayOfMonth)) {
    days.push(`on day ${rangesText(calendar.dayOfMonth, String)} of the month`);
  }
  if (!isFull(calendar.month, 'JANUARY', 'DECEMBER')) days.push(`in ${rangesText(calendar.month, titleCase)}`);
  if (calendar.year.length > 0) days.push(`in ${rangesText(calendar.year, String)}`);
  let time: string;
  if (h !== undefined && m !== undefined && s !== undefined) {
    time = `at ${two(h)}:${two(m)}${s ? `:${two(s)}` : ''}`;
    if (days.length === 0) days.push('every day');
  } else if (
    isFull(calendar.hour, ...FULL.hour) &&
    isFull(calendar.minute, ...FULL.minute) &&
    isFull(calendar.second, ...FULL.second)
  ) {
    time = 'every second';
  } else {
    time = `at ${field(calendar.hour, 'hour')}, ${field(calendar.minute, 'minute')}, ${field(calendar.second, 'second')}`;
  }
  return [time, ...days].join(' ');
}

/** A skip calendar that is one whole day, as `2026-12-25`; other shapes are described in full. */
function skipDate(calendar: CalendarSpecDescription): string | undefined {
  const year = single(calendar.year);
  const day = single(calendar.dayOfMonth);
  const month =
    calendar.month.length === 1 && calendar.month[0]!.start === calendar.month[0]!.end
      ? calendar.month[0]!.start
      : undefined;
  const wholeDay =
    isFull(calendar.hour, ...FULL.hour) &&
    isFull(calendar.minute, ...FULL.minute) &&
    isFull(calendar.second, ...FULL.second);
  if (year === undefined || day === undefined || month === undefined || !wholeDay) return undefined;
  const monthNumber = MONTHS.indexOf(month) + 1;
  return `${year}-${two(monthNumber)}-${two(day)}`;
}
