/**
 * The CSV report: one row per leg, then one row per failed run with no legs, then one total row per currency, all
 * with the same columns (`kind` tells them apart), quoted by RFC 4180 and ended with CRLF.
 */
import type { Report } from './report-model';

export const CSV_COLUMNS = [
  'kind',
  'date',
  'workflow_id',
  'room',
  'number',
  'name',
  'txn_ref',
  'status',
  'minutes',
  'debit',
  'currency',
  'dialed_at',
  'ended_at',
  'note',
] as const;

type Row = Partial<Record<(typeof CSV_COLUMNS)[number], string | number>>;

/** A field as RFC 4180 writes it: quoted, with quotes doubled, when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(report: Report): string {
  const rows: Row[] = [];
  for (const run of report.runs) {
    for (const leg of run.legs) {
      rows.push({
        kind: 'leg',
        date: run.date,
        workflow_id: run.workflowId,
        room: leg.room,
        number: leg.number,
        name: leg.name,
        txn_ref: leg.txnRef,
        status: leg.status,
        minutes: leg.minutes,
        debit: leg.debit,
        currency: leg.currency,
        dialed_at: leg.dialedAt,
        ended_at: leg.endedAt,
      });
    }
    if (run.legs.length === 0 && run.participants === undefined) {
      rows.push({ kind: 'run', date: run.date, workflow_id: run.workflowId, status: run.outcome, note: run.note });
    }
  }
  for (const total of report.totals) {
    rows.push({ kind: 'total', minutes: total.minutes, debit: total.debit, currency: total.currency });
  }
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((c) => csvField(row[c])).join(','))];
  return lines.map((line) => `${line}\r\n`).join('');
}
