/**
 * `conferenceSession`: dials a list of participants into one Hoiio conference room and follows every leg to its end
 * (DESIGN.md, "What a session is", and its invariants).
 *
 * - At most 8 numbers per request and 8 active legs in the room; the rest wait in order and are dialed as legs end.
 * - One permit from the account's `callBudget` per leg, taken before dialing and given back when the leg has ended.
 * - A leg's end comes from its notification (the `callEnded` signal) or, when none has come after the grace period,
 *   from polling voice/query_status. Duplicates and ends that beat the dial's reply are handled by SessionState.
 * - Numbers that Hoiio rejects one by one (unsupported, trial) fail alone: a rejected batch is split and retried
 *   number by number, so one bad number does not sink the others.
 * - Finishes with an exact cost summary; continues-as-new with its whole state when history grows long.
 *
 * Deterministic only: no I/O, no Node built-ins. The access token is never seen here: activities hold it.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConferenceActivities, PlaceCallResult } from '../activities/conference';
import {
  formatProblems,
  validateParticipants,
  validateSessionInput,
  type SessionInput,
} from '../domain/session-input';
import { SessionState, type SessionSnapshot } from '../domain/session-state';
import type { SessionPhase, SessionSummary } from '../domain/session-types';
import {
  addParticipantsUpdate,
  callEndedSignal,
  endUpdate,
  kickUpdate,
  muteUpdate,
  statusQuery,
  unmuteUpdate,
  type AddParticipantsRequest,
  type CallEnded,
  type EndRequest,
  type ModerateRequest,
} from './messages';
import { PermitPool, type PermitPoolState } from './permits';

export const DEFAULT_ACCOUNT = 'default';
export const DEFAULT_GRACE_SECONDS = 120;
/** Failure types that name no number but one of the numbers in the request: dial the batch's numbers alone. */
const NUMBER_SPECIFIC = new Set(['error_dest_not_supported', 'error_not_allowed_for_trial', 'error_dest_invalid']);
/** Permit leases are renewed at a third of their length, so one missed renewal costs nothing. */
const PERMIT_LEASE_MS = 15 * 60_000;
const RENEW_EVERY_MS = PERMIT_LEASE_MS / 3;
const MAX_POLL_INTERVAL_MS = 10 * 60_000;
/** The server caps signals per run at 10,000; hand over well before. */
const DEFAULT_MESSAGES_PER_RUN = 2_000;

/** Carried over continue-as-new; absent on the first run. */
export interface SessionResume {
  state: SessionSnapshot;
  pool: PermitPoolState;
  phase: SessionPhase;
  endedBy?: SessionSummary['endedBy'];
  lastRenewAt: number;
}

const placement = proxyActivities<ConferenceActivities>({
  startToCloseTimeout: '1 minute',
  // Limits (rate, concurrent calls) and server faults clear with time; everything else fails at once.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '1 hour',
});

const legControl = proxyActivities<ConferenceActivities>({
  startToCloseTimeout: '30 seconds',
  // These endpoints allow 60 requests a minute: back off up to a full window.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '30 minutes',
});

export async function conferenceSession(rawInput: SessionInput, resume?: SessionResume): Promise<SessionSummary> {
  const checked = validateSessionInput(rawInput);
  if (!checked.ok) {
    throw ApplicationFailure.nonRetryable(`Invalid conferenceSession input: ${formatProblems(checked.problems)}`, 'InvalidSessionInput', {
      problems: checked.problems,
    });
  }
  const input = checked.value;
  const account = input.account ?? DEFAULT_ACCOUNT;
  const graceMs = (input.notificationGraceSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;

  let snapshot = resume?.state;
  if (!snapshot) {
    const sessionKey = uuid4().replace(/-/g, '').slice(0, 12);
    snapshot = SessionState.start({ room: input.room ?? `bk_${sessionKey}`, sessionKey, now: Date.now() });
  }
  const state = new SessionState(snapshot, { redial: input.redial ?? {}, graceMs, maxPollIntervalMs: MAX_POLL_INTERVAL_MS });
  if (!resume) state.add(input.participants);

  const pool = new PermitPool({ account, leaseMs: PERMIT_LEASE_MS, state: resume?.pool });
  let phase: SessionPhase = resume?.phase ?? 'running';
  let endedBy: SessionSummary['endedBy'] | undefined = resume?.endedBy;
  let lastRenewAt = resume?.lastRenewAt ?? Date.now();
  let messagesThisRun = 0;
  /** Set by every message, so the main loop re-plans at once. */
  let changed = false;
  const deadlineAt = input.deadlineSeconds ? state.startedAt + input.deadlineSeconds * 1000 : undefined;

  const onMessage = () => {
    messagesThisRun += 1;
    changed = true;
  };

  // ---- messages ----------------------------------------------------------------------------------------------

  setHandler(callEndedSignal, (ended: CallEnded) => {
    onMessage();
    const outcome = state.recordEnd(ended, 'notification', Date.now());
    if (outcome === 'duplicate') log.info('Duplicate notification ignored', { txnRef: ended.txnRef });
  });

  setHandler(statusQuery, () => state.status(phase));

  setHandler(
    addParticipantsUpdate,
    (request) => {
      onMessage();
      return { added: state.add(request.participants) };
    },
    {
      validator: (request: AddParticipantsRequest) => {
        if (phase !== 'running') throw new Error(`The session is ${phase}: no participants can be added`);
        // Callers outside TypeScript (the temporal CLI) can send anything: validate the shape too.
        const checkedList = validateParticipants((request as Partial<AddParticipantsRequest> | undefined)?.participants);
        if (!checkedList.ok) throw new Error(`Invalid participants: ${formatProblems(checkedList.problems)}`);
      },
    },
  );

  const moderate = (action: 'kick' | 'mute' | 'unmute') => ({
    handler: async ({ number }: ModerateRequest) => {
      onMessage();
      const leg = state.activeLegOf(number);
      if (!leg) return; // ended between validation and now: nothing to moderate
      state.counters.moderations += 1;
      await legControl.moderateLeg({ account, txnRef: leg.txnRef, action });
      if (action === 'kick') state.note(number, 'kicked');
    },
    validator: (request: ModerateRequest) => {
      if (!request || typeof request.number !== 'string') throw new Error('Expected { number: "<E.164>" }');
      if (!state.has(request.number)) throw new Error(`${request.number} is not a participant of this session`);
      if (!state.activeLegOf(request.number)) throw new Error(`${request.number} has no active call to ${action}`);
    },
  });
  for (const [definition, action] of [
    [kickUpdate, 'kick'],
    [muteUpdate, 'mute'],
    [unmuteUpdate, 'unmute'],
  ] as const) {
    const { handler, validator } = moderate(action);
    setHandler(definition, handler, { validator });
  }

  /** Dials no more, hangs up every active leg, and lets the legs' ends finish the session. */
  const endSession = async (why: NonNullable<typeof endedBy>, reason: string) => {
    if (phase !== 'running') return { hungUp: 0, cancelled: 0 };
    phase = 'ending';
    endedBy = why;
    changed = true;
    const cancelled = state.cancelWaiting(reason);
    await pool.cancelPending();
    const active = state.activeLegs();
    await Promise.all(active.map((leg) => hangup(leg.txnRef)));
    return { hungUp: active.length, cancelled };
  };

  const hangup = async (txnRef: string) => {
    state.counters.hangups += 1;
    await legControl.hangupLeg({ account, txnRef });
  };

  setHandler(
    endUpdate,
    async (request) => {
      onMessage();
      return await endSession('end-request', request?.reason ? `ended: ${request.reason}` : 'ended before dialing');
    },
    {
      validator: (_request: EndRequest) => {
        if (phase !== 'running') throw new Error(`The session is already ${phase}`);
      },
    },
  );

  // ---- dialing -----------------------------------------------------------------------------------------------

  /**
   * Permits taken from the pool for a dial, and not yet given back. Dials run one at a time from the main loop, so
   * whenever the loop looks, a taken permit is either an active leg's or free to go back.
   */
  const taken = new Set<string>(state.permitsOfActiveLegs());

  /** Gives back every taken permit that no active leg needs any more. */
  const releaseFinished = async () => {
    const needed = new Set(state.permitsOfActiveLegs());
    const done = [...taken].filter((id) => !needed.has(id));
    for (const id of done) taken.delete(id);
    await pool.release(done);
  };

  const dialBatch = async (numbers: string[]) => {
    const permits = pool.takeNow(numbers.length);
    for (const id of permits) taken.add(id);
    const batch = state.beginDial(numbers);
    const begunAt = Date.now();
    const tag = `${input.tag ? `${input.tag}:` : ''}bk-${state.sessionKey}-${batch}`;
    let result: PlaceCallResult;
    try {
      result = await placement.placeConferenceCall({
        account,
        room: state.room,
        numbers,
        callerId: input.callerId,
        tag,
        begunAt,
      });
    } catch (error) {
      const type = failureType(error);
      if (type && NUMBER_SPECIFIC.has(type)) {
        if (numbers.length > 1) state.dialNotPlaced(numbers, { solo: true });
        else state.dialFailed(numbers, type);
      } else {
        // The account itself cannot dial (token, credit, room, notify_url): nobody else can be reached either.
        state.dialFailed(numbers, type ?? 'dial_failed');
        const waiting = state.ready(Number.POSITIVE_INFINITY).map((p) => p.number);
        state.dialFailed(waiting, type ?? 'dial_failed');
        log.error('Dialing failed for a reason that affects the whole session', { type, error: String(error) });
      }
      return;
    }
    state.counters.conferenceCall += result.conferenceCallRequests;
    state.counters.historyLookups += result.historyLookups;
    state.countRetries(result.retryReasons);
    const unused = [...permits];
    const now = Date.now();
    for (const leg of result.legs) state.legPlaced(leg.number, leg.txnRef, unused.shift(), now);
    if (result.notPlaced.length > 0) state.dialNotPlaced(result.notPlaced, { solo: false });
    if (phase !== 'running') await Promise.all(result.legs.map((leg) => hangup(leg.txnRef)));
  };

  const pollDueLegs = async () => {
    const due = state.legsDueForPoll(Date.now());
    await Promise.all(
      due.map(async (leg) => {
        state.counters.statusPolls += 1;
        const result = await legControl.pollLeg({ account, txnRef: leg.txnRef });
        if (result.ongoing) state.pollAgainLater(leg.txnRef, Date.now());
        else state.recordEnd(result.end, 'poll', Date.now());
      }),
    );
  };

  // ---- main loop ---------------------------------------------------------------------------------------------

  for (;;) {
    // Cleared before the state is read, never after: a message that lands while this pass awaits something must
    // wake the next wait at once, or it is lost until a timer fires.
    changed = false;
    const now = Date.now();
    if (phase === 'running' && deadlineAt !== undefined && now >= deadlineAt) {
      await endSession('deadline', 'deadline reached');
    }

    // What the loop owes the budget and Hoiio goes out together, in one workflow task: a freed line is handed back,
    // and the next permit asked for, without waiting a round trip for each.
    const work: Promise<unknown>[] = [];
    // Permits of legs that have ended, and of numbers a failed or partial dial did not place.
    work.push(releaseFinished());
    if (state.legsDueForPoll(now).length > 0) work.push(pollDueLegs());
    if (pool.held.length > 0 && now - lastRenewAt >= RENEW_EVERY_MS) {
      work.push(pool.renewAll());
      lastRenewAt = now;
    }
    if (phase === 'running') {
      const wanted = Math.min(state.vacancies(), state.ready(now).length);
      const promised = pool.available + pool.pending;
      if (wanted > promised) work.push(pool.request(wanted - promised));
      else if (wanted === 0 && pool.pending > 0) work.push(pool.cancelPending());
      if (pool.available > wanted) work.push(pool.release(pool.takeNow(pool.available - wanted)));
    }
    await Promise.all(work);

    if (phase === 'running') {
      const batch = state.nextBatch(now, pool.available);
      if (batch.length > 0) {
        await dialBatch(batch.map((p) => p.number));
        continue;
      }
    }

    if (state.settled()) break;

    if (workflowInfo().continueAsNewSuggested || messagesThisRun >= (input.messagesPerRun ?? DEFAULT_MESSAGES_PER_RUN)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof conferenceSession>(input, {
        state: state.snapshot(),
        pool: pool.state(),
        phase,
        endedBy,
        lastRenewAt,
      });
    }

    const wakeAt = earliest(state.nextDueAt(), deadlineAt, pool.held.length > 0 ? lastRenewAt + RENEW_EVERY_MS : undefined);
    const permitsWorthTaking = () => phase === 'running' && pool.available > 0 && state.ready(Date.now()).length > 0;
    const wake = () => changed || permitsWorthTaking();
    if (wakeAt === undefined) await condition(wake);
    else await condition(wake, Math.max(1, wakeAt - Date.now()));
  }

  await pool.cancelPending();
  await pool.release(pool.held);
  phase = 'finished';
  await condition(allHandlersFinished);
  return state.summary({ endedAt: Date.now(), endedBy: endedBy ?? 'completed' });
}

function failureType(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

function earliest(...times: (number | undefined)[]): number | undefined {
  const defined = times.filter((time): time is number => time !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
}
