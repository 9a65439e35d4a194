/** The report as text tables for a terminal: runs, participants across runs (most missed first), totals. */
import { dash, formatCost, table } from '../cli/summary-table';
import type { Report } from './report-model';

export function renderTable(report: Report): string {
  const runs = table(
    ['date', 'workflow id', 'outcome', 'participants', 'answered', 'minutes', 'cost'],
    ['left', 'left', 'left', 'right', 'right', 'right', 'left'],
  );
  for (const run of report.runs) {
    runs.push([
      run.date,
      run.workflowId,
      run.note ? `${run.outcome}: ${run.note}` : run.outcome,
      dash(run.participants),
      dash(run.answered),
      run.minutes,
      formatCost(run.cost),
    ]);
  }
  const people = table(
    ['number', 'name', 'runs', 'attended', 'missed', 'minutes', 'cost'],
    ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
  );
  for (const p of report.participants) {
    people.push([p.number, dash(p.name), p.runs, p.attended, p.missed, p.minutes, formatCost(p.cost)]);
  }
  const totals =
    report.totals.length === 0
      ? 'nothing billed'
      : report.totals.map((t) => `${t.currency} ${t.debit} for ${t.minutes} min`).join(', ');
  const count = `${report.runs.length} run${report.runs.length === 1 ? '' : 's'}`;
  return [
    `${report.subject} | ${count} | times in ${report.timeZone}`,
    runs.toString(),
    people.toString(),
    `totals: ${totals}`,
  ].join('\n');
}
