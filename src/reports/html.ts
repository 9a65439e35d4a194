/**
 * The HTML report: one self-contained file (inline CSS and SVG; no script, no font, no fetch) with a timeline per
 * session, every leg a bar on the account line it held, coloured by outcome, then the tables of `renderTable`. Every
 * text that came from input (names, tags, rooms, failure messages) goes through `escapeHtml`.
 */
import { FINAL_CALL_STATUSES } from '../domain/hoiio-rules';
import type { CurrencyTotal } from '../domain/session-types';
import { formatSeconds } from '../cli/summary-table';
import type { Report, ReportLeg, ReportRun } from './report-model';
import { localTime } from './time-zone';

const COLOURS: Record<(typeof FINAL_CALL_STATUSES)[number], string> = {
  answered: '#2e7d32',
  unanswered: '#f9a825',
  busy: '#6a1b9a',
  failed: '#c62828',
};
/** The account's concurrent calls: a timeline shows them all, busy or not. */
const ACCOUNT_LINES = 8;
const WIDTH = 900;
const LABEL = 60;
const LANE = 22;

export function escapeHtml(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; margin-right: 1.5em; }
.legend i { display: inline-block; width: 1em; height: 1em; margin-right: 0.3em; vertical-align: middle; }
svg text { font: 11px system-ui, sans-serif; fill: #555; }
svg .lane { fill: #f4f4f4; }
${FINAL_CALL_STATUSES.map((s) => `.leg-${s}, .swatch-${s} { fill: ${COLOURS[s]}; background: ${COLOURS[s]}; }`).join('\n')}
`;

export function renderHtml(report: Report): string {
  const timelines = report.runs.filter((run) => run.legs.some((leg) => leg.line !== undefined));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>bridgekeeper report: ${escapeHtml(report.subject)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>${escapeHtml(report.subject)}</h1>`,
    `<p>${report.runs.length} run(s); times in ${escapeHtml(report.timeZone)}.</p>`,
    '<h2>Timelines</h2>',
    legend(),
    ...timelines.map((run) => timeline(run, report.timeZone)),
    timelines.length === 0 ? '<p>No leg times to draw.</p>' : '',
    '<h2>Runs</h2>',
    runsTable(report.runs),
    '<h2>Participants</h2>',
    participantsTable(report),
    '<h2>Totals</h2>',
    totalsTable(report.totals),
    '</body></html>',
    '',
  ].join('\n');
}

function legend(): string {
  const items = FINAL_CALL_STATUSES.map((s) => `<span><i class="swatch-${s}"></i>${s}</span>`);
  return `<p class="legend">${items.join('')}</p>`;
}

function timeline(run: ReportRun, timeZone: string): string {
  const legs = run.legs.filter((leg): leg is ReportLeg & { line: number; dialedAt: string; endedAt: string } =>
    Boolean(leg.line && leg.dialedAt && leg.endedAt),
  );
  const start = Math.min(...legs.map((leg) => Date.parse(leg.dialedAt)));
  const end = Math.max(...legs.map((leg) => Date.parse(leg.endedAt)));
  const span = Math.max(end - start, 1000);
  const lanes = Math.max(ACCOUNT_LINES, ...legs.map((leg) => leg.line));
  const x = (iso: string) => LABEL + ((Date.parse(iso) - start) / span) * (WIDTH - LABEL);
  const height = lanes * LANE + 20;
  const laneRows = Array.from({ length: lanes }, (_, i) => {
    const y = i * LANE;
    return (
      `<rect class="lane" x="${LABEL}" y="${y + 2}" width="${WIDTH - LABEL}" height="${LANE - 4}"></rect>` +
      `<text x="0" y="${y + 15}">line ${i + 1}</text>`
    );
  });
  const bars = legs.map((leg) => {
    const left = x(leg.dialedAt);
    const width = Math.max(x(leg.endedAt) - left, 2);
    const who = leg.name ? `${leg.number} ${leg.name}` : leg.number;
    const tip = `${who}: ${leg.status}, ${leg.minutes} min, ${leg.currency ?? ''} ${leg.debit}`;
    return (
      `<rect class="leg leg-${leg.status}" data-txn-ref="${escapeHtml(leg.txnRef)}" ` +
      `data-number="${escapeHtml(leg.number)}" data-status="${leg.status}" data-line="${leg.line}" ` +
      `x="${left.toFixed(1)}" y="${(leg.line - 1) * LANE + 4}" width="${width.toFixed(1)}" height="${LANE - 8}">` +
      `<title>${escapeHtml(tip)}</title></rect>`
    );
  });
  const axis =
    `<text x="${LABEL}" y="${height - 4}">${escapeHtml(localTime(new Date(start), timeZone))}</text>` +
    `<text x="${WIDTH}" y="${height - 4}" text-anchor="end">+${escapeHtml(formatSeconds(span / 1000))}</text>`;
  return [
    `<section class="session" data-workflow-id="${escapeHtml(run.workflowId)}">`,
    `<h3>${escapeHtml(run.date)}: ${escapeHtml(run.workflowId)}${run.room ? ` (room ${escapeHtml(run.room)})` : ''}</h3>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    ...laneRows,
    ...bars,
    axis,
    '</svg></section>',
  ].join('\n');
}

function cost(totals: CurrencyTotal[]): string {
  return totals.length === 0 ? '0' : totals.map((t) => `${escapeHtml(t.currency)} ${escapeHtml(t.debit)}`).join(', ');
}

/** A cell of escaped text; numbers right-aligned. */
function td(value: string | number | undefined): string {
  const numeric = typeof value === 'number';
  return `<td${numeric ? ' class="num"' : ''}>${escapeHtml(value ?? '-')}</td>`;
}

function tableOf(id: string, head: string[], rows: string[][]): string {
  const header = `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  return `<table id="${id}">${header}${rows.map((cells) => `<tr>${cells.join('')}</tr>`).join('')}</table>`;
}

function runsTable(runs: ReportRun[]): string {
  return tableOf(
    'runs',
    ['date', 'workflow id', 'outcome', 'participants', 'answered', 'minutes', 'cost'],
    runs.map((run) => [
      td(run.date),
      td(run.workflowId),
      td(run.note ? `${run.outcome}: ${run.note}` : run.outcome),
      td(run.participants),
      td(run.answered),
      td(run.minutes),
      `<td>${cost(run.cost)}</td>`,
    ]),
  );
}

function participantsTable(report: Report): string {
  return tableOf(
    'participants',
    ['number', 'name', 'runs', 'attended', 'missed', 'minutes', 'cost'],
    report.participants.map((p) => [
      td(p.number),
      td(p.name),
      td(p.runs),
      td(p.attended),
      td(p.missed),
      td(p.minutes),
      `<td>${cost(p.cost)}</td>`,
    ]),
  );
}

function totalsTable(totals: CurrencyTotal[]): string {
  const rows = totals.map(
    (t) =>
      `<tr class="total" data-currency="${escapeHtml(t.currency)}"><td>${escapeHtml(t.currency)}</td>` +
      `<td class="num minutes">${t.minutes}</td><td class="num debit">${escapeHtml(t.debit)}</td></tr>`,
  );
  const empty = totals.length === 0 ? '<tr><td colspan="3">nothing billed</td></tr>' : '';
  return `<table id="totals"><tr><th>currency</th><th>minutes</th><th>debit</th></tr>${rows.join('')}${empty}</table>`;
}
