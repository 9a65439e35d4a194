/**
 * Pure text formatting of a session's status and cost summary, shared by the CLI and `npm start`'s demo. No I/O and
 * no colours: the output goes to terminals, logs and tests alike, and ANSI codes would garble the last two.
 * Money is printed as the decimal strings the workflow computed; nothing here does arithmetic on it (docs/design.md,
 * invariant 4).
 */
import Table from 'cli-table3';
import { show } from '../domain/preflight';
import type {
  CurrencyTotal,
  LiveCall,
  MoneyAmount,
  ParticipantStatus,
  ParticipantSummary,
  ParticipantView,
  PreflightFigures,
  SessionStatus,
  SessionSummary,
  WaitReason,
} from '../domain/session-types';
import type { BudgetState } from '../workflows/messages';

/**
 * A stable order for counts, from waiting through talking to how it ended, so successive lines line up. A live call
 * is counted by what it is known to do (`dialing`, `ringing`) where the status says; `in-call` otherwise.
 */
const STATUS_ORDER: (ParticipantStatus | LiveCall['state'])[] = [
  'queued',
  'redial-wait',
  'dialing',
  'ringing',
  'in-call',
  'answered',
  'unanswered',
  'busy',
  'failed',
  'cancelled',
];

/** A table with no colours, for every report of the CLI (sessions, budgets, escalations). */
export function table(head: string[], align?: Table.HorizontalAlignment[]): Table.Table {
  // Empty style arrays turn cli-table3's default red headers and grey borders off.
  return new Table({ head, colAligns: align, style: { head: [], border: [] } });
}

export function dash(value: string | number | undefined): string {
  return value === undefined || value === '' ? '-' : String(value);
}

/** `SGD 0.140, USD 1.000`, or `0` when nothing has been billed yet. */
export function formatCost(totals: CurrencyTotal[]): string {
  return totals.length === 0 ? '0' : totals.map((total) => `${total.currency} ${total.debit}`).join(', ');
}

/** `3 in-call, 2 queued, 1 answered` in STATUS_ORDER, skipping zeros; unknown statuses go last rather than vanish. */
export function formatCounts(counts: Partial<Record<string, number>>): string {
  const known = STATUS_ORDER.filter((status) => (counts[status] ?? 0) > 0);
  const others = Object.keys(counts).filter(
    (key) => !STATUS_ORDER.includes(key as ParticipantStatus) && (counts[key] ?? 0) > 0,
  );
  const parts = [...known, ...others].map((status) => `${counts[status]} ${status}`);
  return parts.length === 0 ? 'no participants' : parts.join(', ');
}

/**
 * What the account's call budget says, for a session waiting for a line: `budget` from its `budgetState` query, and
 * `holder`, the session's workflow id (how its requests are named in the budget's queue).
 */
export interface LineWait {
  budget: BudgetState;
  holder: string;
}

/**
 * One line for a live progress display: phase, counts per status, active legs, cost so far, and why anyone waits
 * (with the holders of the account's lines when `lines` is given).
 */
export function formatStatusLine(status: SessionStatus, lines?: LineWait): string {
  const legs = `${status.activeLegs} active leg${status.activeLegs === 1 ? '' : 's'}`;
  const waits = formatWaits(status.participants, lines);
  return (
    `${status.phase} | ${formatCounts(liveCounts(status))} | ${legs} | cost ${formatCost(status.costSoFar)}` +
    (waits ? ` | waiting: ${waits}` : '')
  );
}

/** The counts, with `in-call` split by what each call is known to do (status of older workers: as they are). */
function liveCounts(status: SessionStatus): Partial<Record<string, number>> {
  const counts: Partial<Record<string, number>> = { ...status.counts };
  for (const { call } of status.participants) {
    if (!call) continue;
    counts['in-call'] = (counts['in-call'] ?? 0) - 1;
    counts[call.state] = (counts[call.state] ?? 0) + 1;
  }
  return counts;
}

/** `2 for a free line (8/8 lines held: s-1 x8; 1 request ahead); 1 for a place in the room (8 in the room)`. */
export function formatWaits(participants: readonly ParticipantView[], lines?: LineWait): string {
  const byKind = new Map<WaitReason['kind'], WaitReason[]>();
  for (const { waiting } of participants) {
    if (waiting) byKind.set(waiting.kind, [...(byKind.get(waiting.kind) ?? []), waiting]);
  }
  const parts: string[] = [];
  const noLine = byKind.get('no-line')?.length;
  if (noLine) parts.push(`${noLine} for a free line${lines ? ` (${formatLineHolders(lines)})` : ''}`);
  const roomFull = byKind.get('room-full') as Extract<WaitReason, { kind: 'room-full' }>[] | undefined;
  if (roomFull) parts.push(`${roomFull.length} for a place in the room (${roomFull[0]!.inRoom} in the room)`);
  const dialing = byKind.get('dial-in-progress')?.length;
  if (dialing) parts.push(`${dialing} behind the dial being sent`);
  const redials = (byKind.get('redial-delay') ?? []) as Extract<WaitReason, { kind: 'redial-delay' }>[];
  if (redials.length > 0) {
    const next = redials.reduce((soonest, wait) => (wait.until < soonest.until ? wait : soonest));
    parts.push(`${redials.length} for a redial (next: ${waitText(next)})`);
  }
  return parts.join('; ');
}

/** `8/8 lines held: session-a x5, session-b x3; 1 request ahead` (the requests served before this session's). */
export function formatLineHolders({ budget, holder }: LineWait): string {
  const holders = [...holdersOf(budget)].map(([id, row]) => `${id} x${row.count}`).join(', ');
  const mine = budget.waiting.findIndex((request) => request.holder === holder);
  const ahead = mine < 0 ? '' : `; ${mine} request${mine === 1 ? '' : 's'} ahead`;
  return `${budget.held.length}/${budget.capacity} lines held${holders ? `: ${holders}` : ''}${ahead}`;
}

/** Why one participant waits, in a few words. */
function waitText(wait: WaitReason): string {
  switch (wait.kind) {
    case 'no-line':
      return 'no free line';
    case 'room-full':
      return `room full (${wait.inRoom} in the room)`;
    case 'dial-in-progress':
      return 'behind the dial being sent';
    case 'redial-delay':
      return `attempt ${wait.attempt} at ${isoSeconds(wait.until)}`;
  }
}

/** An ISO time to the second: `2026-01-01T10:00:05Z`. */
function isoSeconds(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

function statusText(participant: Pick<ParticipantView, 'status' | 'reason' | 'waiting' | 'call'>): string {
  const { call } = participant;
  // Only a placed leg can be muted: a dial being sent has none yet.
  if (call) return call.state === 'dialing' ? call.state : `${call.state}, ${call.muted ? 'muted' : 'unmuted'}`;
  if (participant.waiting) return `${participant.status}: ${waitText(participant.waiting)}`;
  return participant.reason && participant.reason !== participant.status
    ? `${participant.status} (${participant.reason})`
    : participant.status;
}

/** The `status` command: a heading line, then one row per participant. */
export function formatStatus(status: SessionStatus, lines?: LineWait): string {
  return [
    `room ${status.room} | ${formatStatusLine(status, lines)}`,
    participantTable(status.participants).toString(),
  ].join('\n');
}

/** One row per participant, for `status` (live views) and the summary alike; only the summary has a rate column. */
function participantTable(participants: (ParticipantView | ParticipantSummary)[], withRate = false) {
  const rows = table(
    [
      '#',
      'number',
      'name',
      'status',
      'attempts',
      'minutes',
      ...(withRate ? ['rate'] : []),
      'debit',
      'currency',
      'txn_refs',
    ],
    [
      'right',
      'left',
      'left',
      'left',
      'right',
      'right',
      ...(withRate ? ['right' as const] : []),
      'right',
      'left',
      'left',
    ],
  );
  participants.forEach((p, index) => {
    rows.push([
      index + 1,
      p.number,
      dash(p.name),
      statusText(p),
      p.attempts,
      p.minutes,
      ...(withRate ? [dash('rate' in p ? p.rate : undefined)] : []),
      dash(p.debit),
      dash(p.currency),
      dash(p.txnRefs.join(', ')),
    ]);
  });
  return rows;
}

/** Whole seconds between two ISO timestamps as `1h 02m 03s`; empty if either is unreadable. */
export function formatDuration(startedAt: string, endedAt: string): string {
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '';
  return formatSeconds(ms / 1000);
}

/** A span of seconds as `1h 02m 03s`, `4m 05s` or `6s` (rounded to the second); empty if not a number >= 0. */
export function formatSeconds(span: number): string {
  if (!Number.isFinite(span) || span < 0) return '';
  const seconds = Math.round(span);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : m > 0 ? `${m}m ${pad(s)}s` : `${s}s`;
}

function formatReasons(reasons: Record<string, number>): string {
  const parts = Object.entries(reasons)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, count]) => `${reason} x${count}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/**
 * The cost summary: one row per participant, then one totals row per currency under the minutes and debit columns,
 * then outcomes, requests, retries and legs as plain lines.
 */
export function formatSummary(summary: SessionSummary): string {
  const rows = participantTable(summary.participants, true);
  for (const total of summary.totals) {
    rows.push([{ content: `total ${total.currency}`, colSpan: 5 }, total.minutes, '', total.debit, total.currency, '']);
  }
  const duration = formatDuration(summary.startedAt, summary.endedAt);
  const { requests, retries, legs } = summary;
  return [
    `room ${summary.room} | ${summary.endedBy}${summary.endReason ? `: ${summary.endReason}` : ''} | ${summary.startedAt} -> ${summary.endedAt}${duration ? ` (${duration})` : ''}`,
    rows.toString(),
    `totals: ${summary.totals.length === 0 ? 'nothing billed' : summary.totals.map((t) => `${t.currency} ${t.debit} for ${t.minutes} min`).join(', ')}`,
    `outcomes: ${formatCounts(summary.outcomes)}`,
    `requests: conference/call ${requests.conferenceCall}, get_history ${requests.historyLookups}, ` +
      `query_status ${requests.statusPolls}, hangup ${requests.hangups}, moderate ${requests.moderations}`,
    `retries: ${retries.total}${formatReasons(retries.reasons)}`,
    `legs: ${legs.total} (ended by notification ${legs.endedBy.notification}, by poll ${legs.endedBy.poll}; ` +
      `duplicate notifications ${legs.duplicateNotifications})`,
    ...(summary.preflight ? [formatPreflight(summary.preflight)] : []),
  ].join('\n');
}

/** `pre-flight: forecast SGD 0.700 (10 min each), balance SGD 54.650`, and what a partial run left out. */
export function formatPreflight(figures: PreflightFigures): string {
  const money = (amounts: MoneyAmount[]) => amounts.map(show).join(' + ');
  const { partial } = figures;
  return (
    `pre-flight: forecast ${money(figures.forecast)} (${figures.expectedMinutes} min each), ` +
    `balance ${money([figures.balance])}` +
    (partial ? `; partial run: ${partial.dialed} dialed (${money(partial.forecast)}), ${partial.notDialed} not` : '')
  );
}

/** ISO time of an epoch-ms instant, or `-`; the budget workflow keeps workflow-clock milliseconds. */
function when(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

/**
 * Who holds the budget's permits, in the order first seen: how many each, its oldest grant and next lease expiry. One
 * entry per holder: a session holding 5 permits reads better as one line than as five.
 */
export function holdersOf(state: BudgetState): Map<string, { count: number; oldest: number; expires: number }> {
  const byHolder = new Map<string, { count: number; oldest: number; expires: number }>();
  for (const permit of state.held) {
    const row = byHolder.get(permit.holder) ?? { count: 0, oldest: Infinity, expires: Infinity };
    row.count += 1;
    row.oldest = Math.min(row.oldest, permit.grantedAt);
    row.expires = Math.min(row.expires, permit.leaseExpiresAt);
    byHolder.set(permit.holder, row);
  }
  return byHolder;
}

/** The `budget` command: permits held out of capacity, who holds them, and who waits. */
export function formatBudget(state: BudgetState): string {
  const lines = [
    `account ${state.account}: ${state.held.length}/${state.capacity} permits held, ${state.waiting.length} waiting ` +
      `request${state.waiting.length === 1 ? '' : 's'} | granted ${state.granted}, reclaimed ${state.reclaimed}, ` +
      `undelivered ${state.undelivered}`,
  ];
  if (state.held.length > 0) {
    const held = table(['holder', 'permits', 'oldest grant', 'next lease expiry'], ['left', 'right', 'left', 'left']);
    for (const [holder, row] of holdersOf(state)) held.push([holder, row.count, when(row.oldest), when(row.expires)]);
    lines.push(held.toString());
  }
  if (state.waiting.length > 0) {
    // In the order the budget serves them: by priority (1 first), then first come, first served.
    const waiting = table(
      ['request', 'holder', 'priority', 'still owed', 'requested at'],
      ['left', 'left', 'right', 'right', 'left'],
    );
    for (const request of state.waiting) {
      waiting.push([request.requestId, request.holder, request.priority, request.remaining, when(request.requestedAt)]);
    }
    lines.push(waiting.toString());
  }
  return lines.join('\n');
}
