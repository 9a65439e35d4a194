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
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConferenceActivities, PlaceCallRequest, PlaceCallResult } from '../activities/conference';
import { callEndedSchema, describeCallEndedIssues } from '../domain/call-ended';
import {
  DEFAULT_ACCOUNT,
  MAX_PARTICIPANTS,
  formatProblems,
  participantNumber,
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
  type EndRequest,
  type ModerateRequest,
} from './messages';
import { classifyDialFailure } from './dial-failure';
import { PermitPool, type PermitPoolState } from './permits';

export const DEFAULT_GRACE_SECONDS = 120;
/** Longest `end` reason kept: it is copied into every participant still waiting, and carried over continue-as-new. */
export const MAX_END_REASON_LENGTH = 200;
/** Permit leases are renewed at a third of their length, so one missed renewal costs nothing. */
const PERMIT_LEASE_MS = 15 * 60_000;
const RENEW_EVERY_MS = PERMIT_LEASE_MS / 3;
const MAX_POLL_INTERVAL_MS = 10 * 60_000;
/** Polls in a row answering "no such transaction" before a leg is settled as failed. */
const UNKNOWN_LEG_POLLS = 3;
/** The server caps signals per run at 10,000; hand over well before. */
const DEFAULT_MESSAGES_PER_RUN = 2_000;

/** Carried over continue-as-new; absent on the first run. */
export interface SessionResume {
  state: SessionSnapshot;
  pool: PermitPoolState;
  /** The call budget's key (the account's Hoiio application id); absent in resumes of older runs. */
  budgetKey?: string;
  phase: SessionPhase;
  endedBy?: SessionSummary['endedBy'];
  endReason?: string;
}

const placement = proxyActivities<ConferenceActivities>({
  // The activity bounds its own request well inside this, so a timed-out attempt can never dial behind a retry.
  startToCloseTimeout: '2 minutes',
  // The activity heartbeats every 5 s while it waits on Hoiio: a crashed worker's attempt is retried (and reconciled)
  // after this, not after the whole start-to-close. It exceeds the activity's own 25 s attempt deadline, so an
  // attempt the server gives up on has always stopped dialing.
  heartbeatTimeout: '30 seconds',
  // On cancel, wait for the dial's outcome (at most one bounded attempt): its legs must be known to be hung up.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // Limits (rate, concurrent calls) and server faults clear with time; everything else fails at once. Bounded by
  // attempts (about 35 minutes of backoff), not by a schedule-to-close timeout, which could cut an attempt off while
  // its request is still on its way.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 40 },
});

/**
 * Reconciling a dial that gave up: its legs may be live, so it is retried for as long as it takes rather than guessed.
 * The session waits; its permits stay held, as they should while those legs may be up.
 */
const reconciliation = proxyActivities<ConferenceActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The cancellation path's look at what an interrupted dial placed: a few minutes at most. */
const lastLook = proxyActivities<ConferenceActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  scheduleToCloseTimeout: '5 minutes',
});

const accounts = proxyActivities<ConferenceActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const legControl = proxyActivities<ConferenceActivities>({
  startToCloseTimeout: '2 minutes',
  // These endpoints allow 60 requests a minute: back off up to a full window.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '10 minutes',
});

export async function conferenceSession(rawInput: SessionInput, resume?: SessionResume): Promise<SessionSummary> {
  const checked = validateSessionInput(rawInput);
  if (!checked.ok && !resume) {
    throw ApplicationFailure.nonRetryable(
      `Invalid conferenceSession input: ${formatProblems(checked.problems)}`,
      'InvalidSessionInput',
      { problems: checked.problems },
    );
  }
  // A running session was valid when it started: a stricter schema in a later release must not fail it mid-way.
  if (!checked.ok) log.warn('Input no longer passes validation; continuing as started', { problems: checked.problems });
  const input = checked.ok ? checked.value : rawInput;
  const account = input.account ?? DEFAULT_ACCOUNT;
  const graceMs = (input.notificationGraceSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;

  let snapshot = resume?.state;
  if (!snapshot) {
    const sessionKey = uuid4().replace(/-/g, '').slice(0, 12);
    snapshot = SessionState.start({ room: input.room ?? `bk_${sessionKey}`, sessionKey, now: Date.now() });
  }
  const state = new SessionState(snapshot, {
    redial: input.redial ?? {},
    graceMs,
    maxPollIntervalMs: MAX_POLL_INTERVAL_MS,
  });
  if (!resume) state.add(input.participants);

  /** Set once the account is resolved and the pool exists; handlers may run before. */
  let poolReady = false;
  /** Permits of the dial in flight: not yet tied to legs, and not to be released under it. */
  const dialPermits = new Set<string>();
  /** The dial in flight, so a cancellation can look up and hang up what it placed. */
  let dialInFlight: PlaceCallRequest | undefined;
  let phase: SessionPhase = resume?.phase ?? 'running';
  let endedBy = resume?.endedBy;
  let endReason = resume?.endReason ?? 'session ended';
  let messagesThisRun = 0;
  /** Set by every message, so the main loop re-plans at once. */
  let changed = false;
  const deadlineAt = input.deadlineSeconds ? state.startedAt + input.deadlineSeconds * 1000 : undefined;

  const onMessage = () => {
    messagesThisRun += 1;
    changed = true;
  };

  // ---- side effects that must not sink the session ------------------------------------------------------------

  /** A failed hangup is logged, not thrown: the leg's notification, or a poll, still tells how it ended. */
  const hangup = async (txnRef: string) => {
    state.counters.hangups += 1;
    try {
      await legControl.hangupLeg({ account, txnRef });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('Hangup failed; the leg will be polled', { txnRef, error: String(error) });
    }
  };

  /** A failed poll is tried again later, waiting longer each time. */
  const pollDueLegs = async () => {
    await Promise.all(
      state.legsDueForPoll(Date.now()).map(async (leg) => {
        state.counters.statusPolls += 1;
        try {
          const result = await legControl.pollLeg({ account, txnRef: leg.txnRef });
          if ('unknown' in result) {
            if (state.legUnknown(leg.txnRef, Date.now(), UNKNOWN_LEG_POLLS)) {
              log.error('Hoiio does not know this leg; settled as failed', { txnRef: leg.txnRef });
            }
          } else if (result.ongoing) state.pollAgainLater(leg.txnRef, Date.now());
          else state.recordEnd(result.end, 'poll', Date.now());
          changed = true;
        } catch (error) {
          if (isCancellation(error)) throw error;
          log.warn('Status poll failed; trying again later', { txnRef: leg.txnRef, error: String(error) });
          state.pollAgainLater(leg.txnRef, Date.now());
        }
      }),
    );
  };

  /** Permits taken for legs that have ended, or for numbers a dial did not place. */
  const releasable = (): string[] => {
    if (taken.size === 0) return [];
    const needed = new Set(state.permitsOfActiveLegs());
    return [...taken].filter((id) => !dialPermits.has(id) && !needed.has(id));
  };
  const releaseFinished = async () => {
    const ids = releasable();
    for (const id of ids) taken.delete(id);
    await pool.release(ids);
  };

  // ---- messages ----------------------------------------------------------------------------------------------

  setHandler(callEndedSignal, (payload: unknown) => {
    onMessage();
    const parsed = callEndedSchema.safeParse(payload);
    if (!parsed.success) {
      state.countMalformedMessage();
      log.warn('Malformed callEnded signal dropped', { problems: describeCallEndedIssues(parsed.error) });
      return;
    }
    const outcome = state.recordEnd(parsed.data, 'notification', Date.now());
    if (outcome === 'duplicate') log.info('Duplicate notification ignored', { txnRef: parsed.data.txnRef });
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
        const list = validateParticipants((request as Partial<AddParticipantsRequest> | undefined)?.participants);
        if (!list.ok) throw new Error(`Invalid participants: ${formatProblems(list.problems)}`);
        const fresh = new Set(list.value.map(participantNumber).filter((number) => !state.has(number)));
        if (state.size + fresh.size > MAX_PARTICIPANTS) {
          throw new Error(`A session has at most ${MAX_PARTICIPANTS} participants; it has ${state.size}`);
        }
      },
    },
  );

  const moderation = (action: 'kick' | 'mute' | 'unmute') => ({
    handler: async ({ number }: ModerateRequest) => {
      onMessage();
      const leg = state.activeLegOf(number);
      if (!leg) return; // ended between validation and now: nothing to moderate
      // Before the request: the leg may end (and be reported) before the activity returns.
      if (action === 'kick') state.endedByUs(number, 'kicked');
      state.counters.moderations += 1;
      await legControl.moderateLeg({ account, txnRef: leg.txnRef, action });
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
    const { handler, validator } = moderation(action);
    setHandler(definition, handler, { validator });
  }

  /** Dials no more, hangs up every active leg, and lets the legs' ends finish the session. */
  const endSession = async (why: NonNullable<typeof endedBy>, reason: string) => {
    if (phase !== 'running') return { hungUp: 0, cancelled: 0 };
    phase = 'ending';
    endedBy = why;
    endReason = reason;
    changed = true;
    const cancelled = state.abandonWaiting('cancelled', reason);
    const active = state.activeLegs();
    for (const leg of active) state.endedByUs(leg.number);
    await Promise.all([...(poolReady ? [pool.cancelPending()] : []), ...active.map((leg) => hangup(leg.txnRef))]);
    return { hungUp: active.length, cancelled };
  };

  setHandler(
    endUpdate,
    async (request) => {
      onMessage();
      return await endSession('end-request', request?.reason ? `ended: ${request.reason}` : 'ended before dialing');
    },
    {
      validator: (request: EndRequest) => {
        if (phase !== 'running') throw new Error(`The session is already ${phase}`);
        const reason: unknown = (request as Partial<EndRequest> | undefined)?.reason;
        if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_END_REASON_LENGTH)) {
          throw new Error(`reason must be a string of at most ${MAX_END_REASON_LENGTH} characters`);
        }
      },
    },
  );

  // ---- the account's call budget ------------------------------------------------------------------------------

  // Handlers are registered first, so a status query or a notification right after the start is answered.
  // Then, before any budget is touched: an unknown account fails the session at once, non-retryable.
  const budgetKey = resume?.budgetKey ?? (await accounts.resolveAccount({ account })).budgetKey;
  const pool = new PermitPool({ account, budgetKey, leaseMs: PERMIT_LEASE_MS, state: resume?.pool });
  poolReady = true;
  /** Permits handed out by the pool for dials, until given back: whatever is taken and no longer needed is released. */
  const taken = new Set(pool.held.filter((id) => !(resume?.pool.available ?? []).includes(id)));

  // The budget and Hoiio are kept up to date on their own clocks, never behind the main loop, which can spend minutes
  // in one dial's retries: a freed line goes back to the account the moment its leg is known to have ended, however
  // that became known (notification or poll), and leases are renewed while a dial waits.
  const background = [
    inBackground(async (stopping) => {
      for (;;) {
        await condition(() => stopping() || releasable().length > 0);
        if (stopping()) return;
        await releaseFinished();
      }
    }),
    inBackground(async (stopping) => {
      for (;;) {
        const armedFor = state.nextPollAt();
        const sooner = () => (state.nextPollAt() ?? Infinity) < (armedFor ?? Infinity);
        await waitFor(() => stopping() || sooner(), armedFor);
        if (stopping()) return;
        if (state.legsDueForPoll(Date.now()).length > 0) await pollDueLegs();
      }
    }),
    inBackground(async (stopping) => {
      for (;;) {
        await waitFor(stopping, Date.now() + RENEW_EVERY_MS);
        if (stopping()) return;
        await pool.renewAll();
      }
    }),
  ];
  const stopBackground = async () => {
    await Promise.all(background.map((task) => task.stop()));
  };

  // ---- dialing -----------------------------------------------------------------------------------------------

  /** Ties each placed leg to one of the dial's permits; permits left over go back on the loop's next pass. */
  const adopt = async (legs: PlaceCallResult['legs'], permits: string[]) => {
    const now = Date.now();
    const unused = [...permits];
    for (const leg of legs) {
      const permitId = unused.shift();
      state.legPlaced(leg.number, leg.txnRef, permitId, now);
      // The budget learns which leg each permit covers, so it can hang up a holder's legs if the holder is gone.
      if (permitId) pool.bind(permitId, leg.txnRef);
    }
    if (phase !== 'running') {
      // The session ended while this dial was in flight: these legs go too.
      for (const leg of legs) state.endedByUs(leg.number);
      await Promise.all(legs.map((leg) => hangup(leg.txnRef)));
    }
  };

  const dialBatch = async (numbers: string[]) => {
    const permits = pool.takeNow(numbers.length);
    for (const id of permits) {
      taken.add(id);
      dialPermits.add(id);
    }
    const batch = state.beginDial(numbers);
    const request: PlaceCallRequest = {
      account,
      room: state.room,
      numbers,
      callerId: input.callerId,
      tag: `${input.tag ? `${input.tag}:` : ''}bk-${state.sessionKey}-${batch}`,
      begunAt: Date.now(),
    };
    dialInFlight = request;
    try {
      await dialAndAdopt(request, permits);
      dialInFlight = undefined;
    } catch (error) {
      // A cancelled dial stays in flight for the cancellation path, which finds what it placed.
      if (!isCancellation(error)) dialInFlight = undefined;
      throw error;
    } finally {
      for (const id of permits) dialPermits.delete(id);
    }
  };

  const dialAndAdopt = async (request: PlaceCallRequest, permits: string[]) => {
    const { numbers } = request;
    let result: PlaceCallResult;
    try {
      result = await placement.placeConferenceCall(request);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failure = classifyDialFailure(error);
      if (failure.kind === 'number') {
        if (numbers.length > 1) state.dialNotPlaced(numbers, { solo: true });
        else state.dialFailed(numbers, failure.type);
      } else if (failure.kind === 'session') {
        // Hoiio refused for a reason of the account's (token, credit, room, notify_url): nobody can be reached.
        state.dialFailed(numbers, failure.type);
        state.abandonWaiting('failed', failure.type);
        log.error('Dialing failed for a reason that affects the whole session', { type: failure.type });
      } else if (failure.kind === 'not-sent') {
        state.dialFailed(numbers, failure.type);
      } else {
        // Retries ran out, or the last attempt died mid-request: the request may have been placed. Look before
        // deciding, and never dial these numbers again unseen (invariant 2); what is proven unplaced waits its turn.
        log.error('Dialing gave up; reconciling by tag', { tag: request.tag, type: failure.type });
        const found = await reconcileOrGiveUp(request);
        state.counters.historyLookups += 1;
        await adopt(found.legs, permits);
        settleUnplaced(found);
      }
      return;
    }
    state.counters.conferenceCall += result.conferenceCallRequests;
    state.counters.historyLookups += result.historyLookups;
    state.countRetries(result.attempts, result.retryReasons);
    await adopt(result.legs, permits);
    settleUnplaced(result);
  };

  /**
   * Numbers a reconciled batch did not show. When nothing of the batch was found the request was never placed, and
   * they wait for a new batch; when part of it was found the request was placed, and the rest may only be missing
   * from the history for now, so they are never dialed again unseen (invariant 2).
   */
  const settleUnplaced = (found: { legs: unknown[]; notPlaced: string[] }) => {
    if (found.notPlaced.length === 0) return;
    if (found.legs.length === 0) state.dialNotPlaced(found.notPlaced, { solo: false });
    else state.dialFailed(found.notPlaced, 'dial_outcome_unknown');
  };

  /** A reconcile Hoiio refuses for good (say, a revoked token) leaves the batch's outcome unknown: never redialed. */
  const reconcileOrGiveUp = async (request: PlaceCallRequest) => {
    try {
      return await reconciliation.reconcileBatch(request);
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.error('Reconciling gave up; the batch is not dialed again', { tag: request.tag, error: String(error) });
      state.dialFailed(request.numbers, 'dial_outcome_unknown');
      return { legs: [], notPlaced: [] };
    }
  };

  // ---- main loop ---------------------------------------------------------------------------------------------

  const run = async (): Promise<SessionSummary> => {
    for (;;) {
      // Cleared before the state is read, never after: a message that lands while this pass awaits something must
      // wake the next wait at once, or it is lost until a timer fires.
      changed = false;
      const now = Date.now();
      if (phase === 'running' && deadlineAt !== undefined && now >= deadlineAt) {
        await endSession('deadline', 'deadline reached');
      }
      // Whoever a late redial or an in-flight dial put back in line after the end is not dialed either.
      if (phase !== 'running') state.abandonWaiting('cancelled', endReason);

      if (state.settled()) break;
      // Checked before dialing, not only when idle: a session that always has someone to dial must still hand over
      // once its history is long (every later task of a long history costs more).
      if (
        workflowInfo().continueAsNewSuggested ||
        messagesThisRun >= (input.messagesPerRun ?? DEFAULT_MESSAGES_PER_RUN)
      ) {
        // Handlers first, while leases are still renewed and ends still released; then the background work stops
        // (its activities done), so the state handed over is the whole truth.
        await condition(allHandlersFinished);
        await stopBackground();
        // An update accepted while the background stopped (an end, a kick) must finish here, not be cut off.
        await condition(allHandlersFinished);
        await releaseFinished();
        await continueAsNew<typeof conferenceSession>(input, {
          state: state.snapshot(),
          pool: pool.state(),
          budgetKey,
          phase,
          endedBy,
          endReason,
        });
      }

      // What the loop owes the budget goes out together, in one workflow task.
      const work: Promise<unknown>[] = [];
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

      const wakeAt = earliest(state.nextRedialAt(), phase === 'running' ? deadlineAt : undefined);
      const permitsWorthTaking = () => phase === 'running' && pool.available > 0 && state.ready(Date.now()).length > 0;
      const wake = () => changed || permitsWorthTaking();
      if (wakeAt === undefined) await condition(wake);
      else await condition(wake, Math.max(1, wakeAt - Date.now()));
    }

    phase = 'finished';
    await stopBackground();
    await pool.cancelPending();
    await pool.release(pool.held);
    await condition(allHandlersFinished);
    return state.summary({ endedAt: Date.now(), endedBy: endedBy ?? 'completed' });
  };

  /**
   * Called with the session no longer running: `adopt` hangs up whatever it is given. Bounded in time, unlike the
   * reconcile of a running session: leases are no longer renewed here.
   */
  const hangUpWhatWasPlaced = async (request: PlaceCallRequest) => {
    try {
      const found = await lastLook.reconcileBatch(request);
      state.counters.historyLookups += 1;
      await adopt(found.legs, []);
    } catch (error) {
      log.error('Could not look up what a cancelled dial placed', { tag: request.tag, error: String(error) });
    }
  };

  try {
    return await run();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled (e.g. `temporal workflow cancel`): leave nothing ringing and no permit held, then report the cancel.
    await CancellationScope.nonCancellable(async () => {
      phase = 'finished';
      const interrupted = dialInFlight;
      await Promise.all([
        ...state.activeLegs().map((leg) => hangup(leg.txnRef)),
        // The cancelled dial's request may have reached Hoiio before it was abandoned: find its legs and end them.
        ...(interrupted ? [hangUpWhatWasPlaced(interrupted)] : []),
      ]);
      if (!poolReady) return;
      await stopBackground();
      await pool.cancelPending();
      await pool.release(pool.held);
    });
    throw error;
  }
}

/** Resolves once `done()` holds or `deadline` (workflow clock) passes; waits on `done()` alone without a deadline. */
async function waitFor(done: () => boolean, deadline: number | undefined): Promise<void> {
  if (deadline === undefined) await condition(done);
  else await condition(done, Math.max(1, deadline - Date.now()));
}

/** A loop that runs beside the main loop until stopped; `stop()` resolves once the loop has returned. */
function inBackground(loop: (stopping: () => boolean) => Promise<void>): { stop(): Promise<void> } {
  let stopping = false;
  const done = loop(() => stopping).catch((error: unknown) => {
    // Cancelled with the workflow: the cancellation path gives every permit back and hangs up.
    if (!isCancellation(error)) throw error;
  });
  return {
    async stop() {
      stopping = true;
      await done;
    },
  };
}

function earliest(...times: (number | undefined)[]): number | undefined {
  const defined = times.filter((time): time is number => time !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
}
