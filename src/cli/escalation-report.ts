/**
 * Pure text of an escalation for the CLI: timeline lines, the status, the result with its table of legs, and the
 * one-line account of a policy file. Like summary-table.ts (whose table it uses): no I/O, no colours, and money printed
 * as the decimal strings the workflow computed, never added up here (docs/design.md, invariant 4).
 *
 * Rounds and steps are 0-based on the wire (`repeatFrom`, `escalate`'s answer); people read them 1-based here.
 */
import type { EscalationPolicy, PolicyFile } from '../domain/escalation-input';
import type {
  Acknowledgement,
  EscalationLeg,
  EscalationResult,
  EscalationStatus,
  TimelineEntry,
} from '../domain/escalation-types';
import type { EscalateResult } from '../workflows/messages';
import { dash, formatSeconds, table } from './summary-table';

/** Workflow time (epoch ms) as an ISO instant to the second, or `-`. */
function when(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

function who(number: string, name: string | undefined): string {
  return name ? `${number} (${name})` : number;
}

/** `2026-11-28T15:10:03Z round 1 step 2 rang +6591234567 (Alice): busy` */
export function formatTimelineEntry(entry: TimelineEntry): string {
  const subject = entry.number === undefined ? '' : ` ${who(entry.number, entry.name)}`;
  const detail = entry.detail ? `: ${entry.detail}` : '';
  return `${when(entry.at)} round ${entry.round + 1} step ${entry.step + 1} ${entry.event}${subject}${detail}`;
}

/** `acknowledged by +6591234567 (Alice) via keypress, 42s after the page` */
export function formatAcknowledgement(ack: Acknowledgement): string {
  const after = formatSeconds(ack.secondsToAcknowledge);
  return `acknowledged by ${who(ack.by, ack.name)} via ${ack.via}${after ? `, ${after} after the page` : ''}`;
}

/** `escalation status <incident>`: where it stands, then the whole timeline. */
export function formatEscalationStatus(status: EscalationStatus): string {
  const ack = status.acknowledged ? ` | ${formatAcknowledgement(status.acknowledged)}` : '';
  return [
    `incident ${status.incident.id} "${status.incident.title}" | ${status.phase} | round ${status.round + 1} step ${status.step + 1}${ack}`,
    ...status.timeline.map(formatTimelineEntry),
  ].join('\n');
}

/** `SGD 0.140, USD 1.000`, or `0` when nothing was billed; currencies in alphabetical order. */
export function formatCostRecord(cost: Record<string, string>): string {
  const entries = Object.entries(cost).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '0' : entries.map(([currency, debit]) => `${currency} ${debit}`).join(', ');
}

function legTable(legs: EscalationLeg[], cost: Record<string, string>): string {
  const rows = table(
    ['#', 'txn_ref', 'kind', 'number', 'status', 'minutes', 'rate', 'debit', 'currency'],
    ['right', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'left'],
  );
  legs.forEach((leg, index) => {
    rows.push([
      index + 1,
      leg.txnRef,
      leg.kind,
      leg.number,
      leg.status,
      leg.minutes,
      dash(leg.rate),
      dash(leg.debit),
      dash(leg.currency),
    ]);
  });
  for (const [currency, debit] of Object.entries(cost).sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([{ content: `total ${currency}`, colSpan: 7 }, debit, currency]);
  }
  return rows.toString();
}

/** The result of `page --wait`: outcome, who acknowledged and how fast, why it ended, the legs, the cost. */
export function formatEscalationResult(result: EscalationResult): string {
  const span = formatSeconds((result.endedAt - result.startedAt) / 1000);
  const lines = [
    `incident ${result.incident.id} "${result.incident.title}" | ${result.outcome} | ` +
      `${when(result.startedAt)} -> ${when(result.endedAt)}${span ? ` (${span})` : ''}`,
    result.acknowledged ? formatAcknowledgement(result.acknowledged) : 'nobody acknowledged',
  ];
  if (result.reason) lines.push(`reason: ${result.reason}`);
  lines.push(result.legs.length === 0 ? 'legs: none' : legTable(result.legs, result.cost));
  lines.push(`cost: ${formatCostRecord(result.cost)}`);
  return lines.join('\n');
}

/** `escalate`'s answer. */
export function formatEscalated(incidentId: string, result: EscalateResult): string {
  if (result.step === undefined) return `incident ${incidentId}: no step left to escalate to; paging has stopped`;
  const round = result.round === undefined ? '' : ` of round ${result.round + 1}`;
  return `incident ${incidentId}: escalated, now ringing step ${result.step + 1}${round}`;
}

function formatRepeat(policy: EscalationPolicy): string {
  if (policy.repeat === 0) return 'no repeat';
  const from = policy.repeatFrom === 0 ? '' : ` from step ${policy.repeatFrom + 1}`;
  return policy.repeat === 'until-acknowledged'
    ? `repeat until acknowledged${from}`
    : `repeat ${policy.repeat} time${policy.repeat === 1 ? '' : 's'}${from}`;
}

/**
 * `policy check`'s line for a good file:
 * `ok policies/db.yaml: 3 steps (5 responders), repeat 2 times from step 2, at most 60 min, at most 5.000, room db`.
 */
export function formatPolicySummary(path: string, file: PolicyFile): string {
  const { policy } = file;
  const responders = policy.steps.reduce((sum, step) => sum + step.notify.length, 0);
  const parts = [
    `${policy.steps.length} step${policy.steps.length === 1 ? '' : 's'} (${responders} responder${responders === 1 ? '' : 's'})`,
    formatRepeat(policy),
  ];
  if (policy.maxMinutes !== undefined) parts.push(`at most ${policy.maxMinutes} min`);
  if (policy.maxCost !== undefined) parts.push(`at most ${policy.maxCost} in cost`);
  parts.push(`ack ${policy.ackDigit}, decline ${policy.declineDigit}`);
  parts.push(file.bridge?.room ? `room ${file.bridge.room}` : 'room from the incident id');
  return `ok ${path}: ${parts.join(', ')}`;
}

/** `policy check`'s lines for a bad file: the file, then each problem (path, bad value, rule) on its own line. */
export function formatPolicyProblems(path: string, problems: string[]): string {
  return [`bad ${path}:`, ...problems.map((problem) => `  ${problem}`)].join('\n');
}
