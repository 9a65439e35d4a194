/**
 * `bridgekeeper report`: attendance and cost over one session, the runs of one schedule, or every session started in
 * a time range, as a table, JSON, CSV or a self-contained HTML page (docs/reports.md). The arguments are checked
 * before anything connects, and every bad one is named (exit 2).
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { showValue } from '../domain/input-text';
import { renderCsv } from '../reports/csv';
import { gather, NothingToReport, type ReportSelection } from '../reports/gather';
import { renderHtml } from '../reports/html';
import { buildReport, type Report } from '../reports/report-model';
import { renderTable } from '../reports/table';
import { timeZoneProblem } from '../reports/time-zone';
import { CliError, EXIT_USAGE } from './cli-errors';
import type { CliTemporal } from './temporal-client';

const FORMATS = {
  table: renderTable,
  json: (report: Report) => JSON.stringify(report, null, 2),
  csv: renderCsv,
  html: renderHtml,
} as const;
type Format = keyof typeof FORMATS;

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const ISO_TIME_RULE =
  'must be an ISO 8601 date (2026-01-05, midnight UTC) or date and time with its offset (2026-01-05T09:00+08:00)';
/** Ids go into a visibility query as string literals; no store escapes quotes the same way. */
const QUOTABLE = /^[^'"\\\p{Cc}]{1,255}$/u;
const QUOTABLE_RULE = 'must be 1 to 255 characters, with no quote, backslash or control character';

export interface ReportOptions {
  schedule?: string;
  since?: string;
  until?: string;
  timezone?: string;
  format: string;
  output?: string;
}

/** What the command line asks for, or every problem with it. */
export function parseReportArgs(
  workflowId: string | undefined,
  options: ReportOptions,
): { ok: true; selection: ReportSelection; format: Format } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const chosen = [workflowId !== undefined, options.schedule !== undefined, !!(options.since ?? options.until)];
  if (chosen.filter(Boolean).length !== 1) {
    problems.push('give exactly one of <workflow-id>, --schedule <id>, or --since/--until');
  }
  if (!(options.format in FORMATS)) {
    problems.push(`--format ${showValue(options.format)}: must be one of ${Object.keys(FORMATS).join(', ')}`);
  }
  if (options.timezone !== undefined) {
    const problem = timeZoneProblem(options.timezone);
    if (problem) problems.push(problem);
  }
  const id = (flag: string, value: string | undefined) => {
    if (value !== undefined && !QUOTABLE.test(value)) problems.push(`${flag} ${showValue(value)}: ${QUOTABLE_RULE}`);
  };
  id('<workflow-id>', workflowId);
  id('--schedule', options.schedule);
  const since = isoTime('--since', options.since, problems);
  const until = isoTime('--until', options.until, problems);
  if (since && until && since >= until) {
    problems.push(`--until ${showValue(options.until)}: must be later than --since ${showValue(options.since)}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  const format = options.format as Format;
  if (workflowId !== undefined) return { ok: true, selection: { kind: 'session', workflowId }, format };
  if (options.schedule !== undefined)
    return { ok: true, selection: { kind: 'schedule', scheduleId: options.schedule }, format };
  return { ok: true, selection: { kind: 'range', ...(since ? { since } : {}), ...(until ? { until } : {}) }, format };
}

/** The instant `text` names, or undefined (with its problem added) when it names none. */
function isoTime(flag: string, text: string | undefined, problems: string[]): Date | undefined {
  if (text === undefined) return undefined;
  const match = ISO_TIME.exec(text);
  // Date.parse rolls 2026-02-30 over to March: the fields are checked one by one instead.
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match ?? [];
  const day = match ? new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))) : undefined;
  const real =
    day !== undefined &&
    day.getUTCMonth() === Number(mo) - 1 &&
    day.getUTCDate() === Number(d) &&
    Number(h) < 24 &&
    Number(mi) < 60 &&
    Number(s) < 60;
  if (!real) {
    problems.push(`${flag} ${showValue(text)}: ${ISO_TIME_RULE}`);
    return undefined;
  }
  return new Date(match![4] === undefined ? `${text}T00:00:00Z` : text);
}

export function registerReportCommand(
  program: Command,
  kit: { withTemporal<T>(fn: (temporal: CliTemporal) => Promise<T>): Promise<T> },
): void {
  program
    .command('report')
    .description('attendance and cost over a session, the runs of a schedule, or the sessions of a time range')
    .argument('[workflow-id]', 'one session')
    .option('--schedule <id>', 'every run of this schedule')
    .option('--since <iso>', 'sessions started at or after this time')
    .option('--until <iso>', 'sessions started before this time')
    .option('--timezone <zone>', "time zone of the dates (default: the schedule's, else UTC)")
    .option('--format <format>', 'table, json, csv or html', 'table')
    .option('--output <file>', 'write the report to this file instead of stdout')
    .action(async (workflowId: string | undefined, options: ReportOptions) => {
      const parsed = parseReportArgs(workflowId, options);
      if (!parsed.ok) throw new CliError(`invalid report arguments:\n  ${parsed.problems.join('\n  ')}`, EXIT_USAGE);
      const gathered = await kit.withTemporal(async (temporal) => {
        try {
          return await gather(temporal.client, parsed.selection);
        } catch (error) {
          if (error instanceof NothingToReport) throw new CliError(error.message);
          throw error;
        }
      });
      const timeZone = options.timezone ?? gathered.timeZone ?? 'UTC';
      const text = FORMATS[parsed.format](buildReport(gathered.subject, timeZone, gathered.runs));
      // Written as is: the CSV's lines end with CRLF, the last one too.
      const whole = text.endsWith('\n') ? text : `${text}\n`;
      if (options.output === undefined) {
        process.stdout.write(whole);
        return;
      }
      await writeFile(options.output, whole);
      process.stderr.write(`wrote ${options.output}\n`);
    });
}
