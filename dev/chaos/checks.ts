/**
 * The chaos suite's verdict, taken from the simulator's ledger (`/_sim/calls`, `/_sim/stats`), not from what
 * bridgekeeper believes: every violation names its invariant, the session, the number and what the ledger shows.
 * Peak concurrency is recomputed with the benchmark's own ledger code (dev/bench/ledger.ts), one piece for both.
 */
import type { EscalationResult } from '../../src/domain/escalation-types';
import { formatMoney, parseMoney, sumMoney } from '../../src/domain/money';
import type { SessionSummary } from '../../src/domain/session-types';
import type { BudgetState } from '../../src/workflows/messages';
import { APP_ID, LINES, peakFromLedger, type SimCall, type SimStats } from '../bench/ledger';
import { maxLegs, replayRedials, REDIAL_RULES, type EscalationChaosPlan, type SessionPlan } from './scenario';

export type Invariant =
  | 'double-dial'
  | 'overlapping-legs'
  | 'missed-redial'
  | 'wrong-outcome'
  | 'live-leg'
  | 'orphan-leg'
  | 'summary-mismatch'
  | 'peak-concurrent-calls'
  | 'room-over-capacity'
  | 'concurrent-limit-rejection'
  | 'budget-permit-held'
  | 'session-not-completed'
  | 'escalation-not-completed'
  | 'double-page'
  | 'ack-not-bridged'
  | 'also-dial-count'
  | 'result-mismatch'
  | 'stall'
  | 'process-crash'
  | 'process-left-behind'
  | 'chaos-incomplete';

export interface Violation {
  invariant: Invariant;
  session?: string;
  number?: string;
  detail: string;
}

export interface SessionOutcome {
  plan: SessionPlan;
  /** COMPLETED, FAILED, TERMINATED, RUNNING (still running at the timeout)... */
  status: string;
  summary?: SessionSummary;
  failure?: string;
}

export interface EscalationOutcomeView {
  plan: EscalationChaosPlan;
  /** COMPLETED, FAILED, TERMINATED, RUNNING (still running at the timeout)... */
  status: string;
  result?: EscalationResult;
  failure?: string;
}

/** One entry of the simulator's delivery log (`GET /_sim/notifications`). */
export interface SimDelivery {
  txn_ref: string;
  kind: 'conference' | 'ivr';
  call_state: string | null;
  copy: number;
  outcome: 'delivered' | 'failed' | 'dropped' | 'pending';
  at: string;
}

export interface BudgetView {
  workflowId: string;
  state?: BudgetState;
  error?: string;
}

export interface LedgerCounts {
  legs: number;
  doubles: number;
  orphans: number;
  liveLegs: number;
  peakConcurrent: number;
  peakConcurrentLedger: number;
  concurrentRejections: number;
  escalations: number;
  acknowledged: number;
  /** IVR calls of the escalations. */
  pages: number;
  /** Conference legs dialed into the escalations' bridge rooms. */
  bridgeLegs: number;
}

const legText = (call: SimCall): string =>
  `${call.txn_ref} ${call.call_status_dest} dialed ${call.dialed_at ?? '?'} ended ${call.ended_at ?? 'never'}` +
  ` tag ${call.tag ?? '-'}`;

const byDial = (a: SimCall, b: SimCall): number =>
  Date.parse(a.dialed_at ?? '') - Date.parse(b.dialed_at ?? '') || a.txn_ref.localeCompare(b.txn_ref);

/** Two legs of one participant overlap when one was dialed before the other had ended. */
function overlaps(legs: readonly SimCall[]): Array<[SimCall, SimCall]> {
  const pairs: Array<[SimCall, SimCall]> = [];
  for (let i = 0; i < legs.length; i += 1) {
    for (let j = i + 1; j < legs.length; j += 1) {
      const a = legs[i]!;
      const b = legs[j]!;
      const aEnd = a.ended_at === null ? Infinity : Date.parse(a.ended_at);
      const bEnd = b.ended_at === null ? Infinity : Date.parse(b.ended_at);
      if (Date.parse(b.dialed_at ?? '') < aEnd && Date.parse(a.dialed_at ?? '') < bEnd) pairs.push([a, b]);
    }
  }
  return pairs;
}

/**
 * Checks a summary against the ledger leg for leg, to the thousandth: the same comparison the session tests make
 * with expect (test/workflows), as a list of violations instead of a thrown assertion.
 */
export function compareSummaryWithLedger(workflowId: string, summary: SessionSummary, calls: readonly SimCall[]) {
  const violations: Violation[] = [];
  const mismatch = (number: string | undefined, detail: string) =>
    violations.push({ invariant: 'summary-mismatch', session: workflowId, number, detail });
  const byTxn = new Map(calls.map((call) => [call.txn_ref, call]));
  const roomCalls = calls.filter((call) => call.room === summary.room);
  for (const participant of summary.participants) {
    const ledgerLegs = roomCalls.filter((call) => call.dest === participant.number).sort(byDial);
    const ledgerTxns = ledgerLegs.map((call) => call.txn_ref);
    const missing = ledgerTxns.filter((txn) => !participant.txnRefs.includes(txn));
    const phantom = participant.txnRefs.filter((txn) => byTxn.get(txn)?.dest !== participant.number);
    if (missing.length > 0 || phantom.length > 0) {
      mismatch(
        participant.number,
        `txn_refs: summary [${participant.txnRefs.join(', ')}], ledger [${ledgerTxns.join(', ')}]` +
          (missing.length ? `; missing from the summary: ${missing.join(', ')}` : '') +
          (phantom.length ? `; not this number's legs in the ledger: ${phantom.join(', ')}` : ''),
      );
    }
    const debit = formatMoney(sumMoney(ledgerLegs.map((call) => parseMoney(call.debit ?? '0'))));
    if (participant.debit !== debit) {
      mismatch(participant.number, `debit: summary ${participant.debit}, ledger ${debit}`);
    }
    const minutes = ledgerLegs.reduce((total, call) => total + Number(call.duration ?? 0), 0);
    if (participant.minutes !== minutes) {
      mismatch(participant.number, `minutes: summary ${participant.minutes}, ledger ${minutes}`);
    }
    const last = ledgerLegs.at(-1);
    if (last && participant.status !== last.call_status_dest) {
      mismatch(participant.number, `status: summary ${participant.status}, ledger's last leg ${legText(last)}`);
    }
    if (participant.attempts !== ledgerLegs.length) {
      mismatch(participant.number, `attempts: summary ${participant.attempts}, ledger legs ${ledgerLegs.length}`);
    }
  }
  const listed = new Set(summary.participants.map((p) => p.number));
  for (const call of roomCalls.filter((c) => !listed.has(c.dest))) {
    mismatch(call.dest, `leg ${legText(call)} is in the room but its number is not in the summary`);
  }
  const currencies = new Set(roomCalls.map((call) => call.currency));
  const expectedTotals = [...currencies].sort().map((currency) => {
    const legs = roomCalls.filter((call) => call.currency === currency);
    return {
      currency,
      debit: formatMoney(sumMoney(legs.map((call) => parseMoney(call.debit ?? '0')))),
      minutes: legs.reduce((total, call) => total + Number(call.duration ?? 0), 0),
    };
  });
  const summaryTotals = [...summary.totals].sort((a, b) => a.currency.localeCompare(b.currency));
  // A currency with nothing billed may be listed with zeros or left out: compare what was billed.
  const billed = (totals: typeof expectedTotals) => totals.filter((t) => t.debit !== '0.000' || t.minutes !== 0);
  if (JSON.stringify(billed(summaryTotals)) !== JSON.stringify(billed(expectedTotals))) {
    mismatch(undefined, `totals: summary ${JSON.stringify(summaryTotals)}, ledger ${JSON.stringify(expectedTotals)}`);
  }
  return violations;
}

/** The numbers an escalation plan rings (IVR pages) and dials into its bridge (conference legs). */
function escalationNumbers(plan: EscalationChaosPlan): { responders: string[]; all: string[] } {
  const responders = [plan.unanswered, plan.busy, plan.acknowledger];
  return { responders, all: [...responders, plan.alsoDial] };
}

/** The ledger rows that are an escalation's: its numbers are its own (distinct per escalation, never a session's). */
export function escalationCalls(plan: EscalationChaosPlan, calls: readonly SimCall[]): SimCall[] {
  const numbers = new Set(escalationNumbers(plan).all);
  return calls.filter((call) => numbers.has(call.dest) && call.tag?.startsWith('bk-esc-'));
}

/**
 * Whether bridgekeeper was sent, in full, each `ongoing` notification of an IVR call (the answer, then each gather's
 * digits): for every such notification some copy was delivered (receiver answered 2xx). False when one was dropped,
 * or failed because the receiver or the server was down: Hoiio never resends, so the workflow could not learn it.
 */
function ongoingNotificationsDelivered(txnRef: string, deliveries: readonly SimDelivery[]): boolean {
  const logical: boolean[] = [];
  for (const record of deliveries.filter((d) => d.txn_ref === txnRef && d.call_state === 'ongoing')) {
    if (record.copy === 1 || logical.length === 0) logical.push(record.outcome === 'delivered');
    else if (record.outcome === 'delivered') logical[logical.length - 1] = true;
  }
  return logical.every(Boolean);
}

/**
 * An escalation judged on the ledger: it completed acknowledged (or unacknowledged only where the ledger shows the
 * key never reached it), no responder rung more than once a pass nor twice at once, the acknowledger transferred into
 * the bridge room, alsoDial dialed once, and the result equal to the ledger leg for leg and in total.
 */
export function checkEscalation(
  view: EscalationOutcomeView,
  calls: readonly SimCall[],
  deliveries: readonly SimDelivery[] | undefined,
): Violation[] {
  const violations: Violation[] = [];
  const { plan, result } = view;
  const id = plan.workflowId;
  const add = (invariant: Invariant, number: string | undefined, detail: string) =>
    violations.push({ invariant, session: id, ...(number ? { number } : {}), detail });
  const mine = escalationCalls(plan, calls);
  const pagesTo = (number: string) => mine.filter((c) => c.dest === number && c.kind === 'ivr').sort(byDial);
  const ackPages = pagesTo(plan.acknowledger);
  const ledgerText = (rows: readonly SimCall[]) =>
    rows.map((c) => `${legText(c)} digits [${c.digits.join(',')}] transfer ${c.transfer_dest ?? '-'}`).join(' | ') ||
    'no call';

  if (view.status !== 'COMPLETED' || !result) {
    add(
      view.status === 'RUNNING' ? 'stall' : 'escalation-not-completed',
      undefined,
      `workflow is ${view.status}${view.failure ? `: ${view.failure}` : ''}; ledger: ${ledgerText(mine)}`,
    );
  }

  const keyed = ackPages.filter((c) => c.digits.some((d) => d.startsWith(plan.ackDigit)));
  if (result?.outcome === 'acknowledged') {
    if (result.acknowledged?.by !== plan.acknowledger || result.acknowledged.via !== 'keypress') {
      add(
        'wrong-outcome',
        plan.acknowledger,
        `acknowledged by ${result.acknowledged?.by} via ${result.acknowledged?.via}, the script leads to ` +
          `${plan.acknowledger} via keypress; ledger: ${ledgerText(ackPages)}`,
      );
    }
  } else if (result?.outcome === 'unacknowledged') {
    // Excused only where the ledger shows the key never reached the workflow: no gather got it, or the notification
    // carrying it (or the answer before it) was lost on the way (docs/escalation.md: not asked for again).
    const proven = deliveries ? keyed.filter((c) => ongoingNotificationsDelivered(c.txn_ref, deliveries)) : keyed;
    if (proven.length > 0) {
      add(
        'wrong-outcome',
        plan.acknowledger,
        `unacknowledged (${result.reason ?? 'no reason'}), yet the gather received ${plan.ackDigit} and every ` +
          `notification of the call was delivered: ${ledgerText(proven)}`,
      );
    }
  } else if (result) {
    add('wrong-outcome', undefined, `outcome ${result.outcome} (${result.reason ?? 'no reason'}); nothing resolves it`);
  }

  for (const responder of escalationNumbers(plan).responders) {
    const pages = pagesTo(responder);
    if (pages.length > plan.passes) {
      add(
        'double-page',
        responder,
        `${pages.length} calls, the policy rings it at most once a pass (${plan.passes} passes): ${ledgerText(pages)}`,
      );
    }
    const pairs = overlaps(pages);
    if (pairs.length > 0) {
      add('overlapping-legs', responder, pairs.map(([a, b]) => `${legText(a)} overlaps ${legText(b)}`).join('; '));
    }
  }
  const acknowledged = result?.outcome === 'acknowledged';
  if (acknowledged) {
    const transferred = ackPages.filter((c) => c.transfer_dest === `room:${plan.room}`);
    const last = ackPages.at(-1);
    if (transferred.length !== 1 || transferred[0] !== last) {
      add(
        'ack-not-bridged',
        plan.acknowledger,
        `${transferred.length} of its calls transferred to room:${plan.room} (want exactly its last call): ` +
          ledgerText(ackPages),
      );
    }
  }
  const bridgeLegs = mine.filter((c) => c.dest === plan.alsoDial);
  const wanted = acknowledged ? 1 : 0;
  if (bridgeLegs.length !== wanted || bridgeLegs.some((c) => c.kind !== 'conference' || c.room !== plan.room)) {
    add(
      'also-dial-count',
      plan.alsoDial,
      `${bridgeLegs.length} calls (want ${wanted} conference leg in ${plan.room}, the escalation is ` +
        `${result?.outcome ?? view.status}): ${ledgerText(bridgeLegs)}`,
    );
  }
  for (const call of mine.filter((c) => c.dest !== plan.alsoDial && c.kind !== 'ivr')) {
    add('orphan-leg', call.dest, `a responder dialed as a conference leg, not paged: ${legText(call)}`);
  }

  if (result) {
    const mismatch = (number: string | undefined, detail: string) => add('result-mismatch', number, detail);
    const byTxn = new Map(mine.map((c) => [c.txn_ref, c]));
    const inResult = new Set(result.legs.map((leg) => leg.txnRef));
    const missing = mine.filter((c) => !inResult.has(c.txn_ref));
    for (const call of missing) mismatch(call.dest, `in the ledger, not in the result: ${legText(call)}`);
    for (const leg of result.legs) {
      const call = byTxn.get(leg.txnRef);
      if (!call) {
        mismatch(
          leg.number,
          `result leg ${leg.txnRef} (${leg.kind}, ${leg.status}) is none of this escalation's calls`,
        );
        continue;
      }
      const got = { number: leg.number, debit: leg.debit, minutes: String(leg.minutes), kind: leg.kind };
      const want = {
        number: call.dest,
        debit: call.debit,
        minutes: call.duration,
        kind: call.kind === 'ivr' ? 'page' : 'bridge',
      };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatch(leg.number, `${leg.txnRef}: result ${JSON.stringify(got)}, ledger ${JSON.stringify(want)}`);
      }
    }
    const currencies = [...new Set(mine.map((c) => c.currency))].sort();
    const ledgerCost = Object.fromEntries(
      currencies.map((currency) => [
        currency,
        formatMoney(sumMoney(mine.filter((c) => c.currency === currency).map((c) => parseMoney(c.debit ?? '0')))),
      ]),
    );
    const resultCost = Object.fromEntries(Object.entries(result.cost).sort(([a], [b]) => a.localeCompare(b)));
    if (JSON.stringify(resultCost) !== JSON.stringify(ledgerCost)) {
      mismatch(undefined, `cost: result ${JSON.stringify(resultCost)}, ledger ${JSON.stringify(ledgerCost)}`);
    }
  }
  return violations;
}

export function checkRun(input: {
  sessions: readonly SessionOutcome[];
  escalations?: readonly EscalationOutcomeView[];
  calls: readonly SimCall[];
  stats: SimStats;
  budgets: readonly BudgetView[];
  /** The simulator's delivery log: which IVR notifications were lost (an excuse for an unacknowledged page). */
  deliveries?: readonly SimDelivery[];
}): { violations: Violation[]; counts: LedgerCounts } {
  const violations: Violation[] = [];
  const { calls, stats } = input;
  const escalations = input.escalations ?? [];
  const rooms = new Map(input.sessions.map((s) => [s.plan.room, s]));
  // Every IVR call and bridge leg is judged by its escalation: its own numbers, a bk-esc- tag, no room or its room.
  const escalationOf = new Map<string, EscalationOutcomeView>();
  for (const view of escalations) {
    for (const call of escalationCalls(view.plan, calls)) escalationOf.set(call.txn_ref, view);
  }
  let doubles = 0;
  const orphanTxns = new Set<string>();

  for (const session of input.sessions) {
    const id = session.plan.workflowId;
    const summary = session.summary;
    const completed = summary?.endedBy === 'completed';
    if (session.status !== 'COMPLETED') {
      violations.push({
        invariant: session.status === 'RUNNING' ? 'stall' : 'session-not-completed',
        session: id,
        detail: `workflow is ${session.status}${session.failure ? `: ${session.failure}` : ''}`,
      });
    } else if (summary && summary.endedBy !== 'completed') {
      violations.push({
        invariant: summary.endedBy === 'deadline' ? 'stall' : 'session-not-completed',
        session: id,
        detail: `session ended by ${summary.endedBy}, not completed (outcomes ${JSON.stringify(summary.outcomes)})`,
      });
    }

    for (const participant of session.plan.participants) {
      const legs = calls
        .filter((call) => call.room === session.plan.room && call.dest === participant.number)
        .sort(byDial);
      const outcomes = legs.map((call) => call.call_status_dest);
      const { unjustified, redialOwed } = replayRedials(outcomes, REDIAL_RULES);
      const tooMany = legs.length > maxLegs(REDIAL_RULES);
      const pairs = overlaps(legs);
      if (unjustified.length > 0 || tooMany) {
        doubles += Math.max(unjustified.length, legs.length - maxLegs(REDIAL_RULES));
        violations.push({
          invariant: 'double-dial',
          session: id,
          number: participant.number,
          detail:
            `${legs.length} legs (rules allow at most ${maxLegs(REDIAL_RULES)}; script expects ` +
            `${participant.expectedLegs}); not due under the redial rules: ` +
            `${unjustified.map((i) => legs[i]!.txn_ref).join(', ') || '-'}; ledger: ${legs.map(legText).join(' | ')}`,
        });
      }
      if (pairs.length > 0) {
        violations.push({
          invariant: 'overlapping-legs',
          session: id,
          number: participant.number,
          detail: pairs.map(([a, b]) => `${legText(a)} overlaps ${legText(b)}`).join('; '),
        });
      }
      if (completed && redialOwed) {
        violations.push({
          invariant: 'missed-redial',
          session: id,
          number: participant.number,
          detail: `last leg ${legs.at(-1)?.call_status_dest} after ${legs.length} legs: the rules owe a redial`,
        });
      }
      const final = summary?.participants.find((p) => p.number === participant.number);
      if (completed && final && final.status !== participant.expectedStatus) {
        violations.push({
          invariant: 'wrong-outcome',
          session: id,
          number: participant.number,
          detail:
            `summary says ${final.status} (${final.reason ?? 'no reason'}), the script leads to ` +
            `${participant.expectedStatus} in ${participant.expectedLegs} legs; ledger: ${legs.map(legText).join(' | ') || 'no leg'}`,
        });
      }
    }

    if (summary) {
      violations.push(...compareSummaryWithLedger(id, summary, calls));
      const inSummary = new Set(summary.participants.flatMap((p) => p.txnRefs));
      for (const call of calls.filter((c) => c.room === session.plan.room && !inSummary.has(c.txn_ref))) {
        orphanTxns.add(call.txn_ref);
      }
    }
  }

  for (const call of calls) {
    const escalation = escalationOf.get(call.txn_ref);
    if (escalation) {
      const { room } = escalation.plan;
      const inPlace = call.kind === 'ivr' ? call.room === '' || call.room === room : call.room === room;
      if (!inPlace) {
        orphanTxns.add(call.txn_ref);
        violations.push({
          invariant: 'orphan-leg',
          session: escalation.plan.workflowId,
          number: call.dest,
          detail: `${call.kind} call of the escalation outside its bridge room ${room}: ${legText(call)}`,
        });
      } else if (escalation.result && !escalation.result.legs.some((leg) => leg.txnRef === call.txn_ref)) {
        orphanTxns.add(call.txn_ref);
      }
    } else if (!rooms.has(call.room)) {
      orphanTxns.add(call.txn_ref);
      violations.push({
        invariant: 'orphan-leg',
        number: call.dest,
        detail:
          call.kind === 'ivr' || call.tag?.startsWith('bk-esc-')
            ? `${call.kind} call of no escalation: ${legText(call)}`
            : `leg in no session's room: ${legText(call)}`,
      });
    }
  }
  // One escalation run, one tag key: calls under a second key were placed by some other run.
  for (const view of escalations) {
    const keys = new Set(escalationCalls(view.plan, calls).map((c) => /^bk-esc-([^-]+)-/.exec(c.tag ?? '')?.[1]));
    if (keys.size > 1) {
      violations.push({
        invariant: 'orphan-leg',
        session: view.plan.workflowId,
        detail: `calls under ${keys.size} escalation keys (${[...keys].join(', ')}): one run places them all`,
      });
    }
    violations.push(...checkEscalation(view, calls, input.deliveries));
  }
  const live = calls.filter((call) => call.ended_at === null || call.call_status_dest === 'ongoing');
  for (const call of live) {
    orphanTxns.add(call.txn_ref);
    violations.push({
      invariant: 'live-leg',
      session: rooms.get(call.room)?.plan.workflowId ?? escalationOf.get(call.txn_ref)?.plan.workflowId,
      number: call.dest,
      detail: `still ${call.state} after every session and escalation finished: ${legText(call)}`,
    });
  }
  const activeNow = stats.activeCalls[APP_ID] ?? 0;
  if (activeNow > 0 && live.length === 0) {
    violations.push({ invariant: 'live-leg', detail: `/_sim/stats counts ${activeNow} active calls for ${APP_ID}` });
  }

  const peakConcurrent = stats.peakConcurrentCalls[APP_ID] ?? 0;
  const peakConcurrentLedger = peakFromLedger(calls);
  if (peakConcurrent > LINES || peakConcurrentLedger > LINES) {
    violations.push({
      invariant: 'peak-concurrent-calls',
      detail: `peak concurrent calls ${peakConcurrent} (/_sim/stats), ${peakConcurrentLedger} (ledger timestamps) > ${LINES}`,
    });
  }
  for (const [room, peak] of Object.entries(stats.peakRoomParticipants)) {
    if (peak > LINES) {
      violations.push({
        invariant: 'room-over-capacity',
        session: rooms.get(room)?.plan.workflowId ?? escalations.find((e) => e.plan.room === room)?.plan.workflowId,
        detail: `room ${room} held ${peak} participants at once`,
      });
    }
  }
  const concurrentRejections = stats.rejections.error_concurrent_call_limit_reached ?? 0;
  if (concurrentRejections > 0) {
    // Every call on this account is ours, and no fault knob answers this status: each one was caused by us.
    violations.push({
      invariant: 'concurrent-limit-rejection',
      detail: `${concurrentRejections} conference/call requests rejected with error_concurrent_call_limit_reached`,
    });
  }

  for (const budget of input.budgets) {
    if (!budget.state) {
      violations.push({
        invariant: 'budget-permit-held',
        detail: `${budget.workflowId}: budgetState failed: ${budget.error}`,
      });
      continue;
    }
    const { held, waiting } = budget.state;
    if (held.length > 0 || waiting.length > 0) {
      const holders = [...new Set(held.map((permit) => permit.holder))];
      violations.push({
        invariant: 'budget-permit-held',
        detail:
          `${budget.workflowId} still holds ${held.length} permit(s) for ${holders.join(', ') || '-'} and has ` +
          `${waiting.length} waiting request(s) (${waiting.map((w) => `${w.holder}×${w.remaining}`).join(', ') || '-'}); ` +
          `reclaimed ${budget.state.reclaimed}, granted ${budget.state.granted}`,
      });
    }
  }
  if (input.budgets.length === 0 && calls.length > 0) {
    violations.push({ invariant: 'budget-permit-held', detail: 'no callBudget workflow was found to ask' });
  }

  return {
    violations,
    counts: {
      // Session legs; the escalations' calls are counted as pages and bridge legs.
      legs: calls.filter((call) => rooms.has(call.room) && !escalationOf.has(call.txn_ref)).length,
      doubles,
      orphans: orphanTxns.size,
      liveLegs: live.length,
      peakConcurrent,
      peakConcurrentLedger,
      concurrentRejections,
      escalations: escalations.length,
      acknowledged: escalations.filter((e) => e.result?.outcome === 'acknowledged').length,
      pages: calls.filter((call) => escalationOf.has(call.txn_ref) && call.kind === 'ivr').length,
      bridgeLegs: calls.filter((call) => escalationOf.has(call.txn_ref) && call.kind === 'conference').length,
    },
  };
}
