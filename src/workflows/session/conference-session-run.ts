/**
 * One run of a `conferenceSession`: its state, its rules, and the loop that dials participants as places and permits
 * allow until every leg has ended. Session policy lives here (who is dialed next, redials, what a refused dial means
 * for its participants, when the session ends); dialing, legs and permits are the {@link CallLegEngine}'s. Its
 * phase, and why it ended, change in {@link ConferenceSessionRun.enter} only.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { batchTag } from '../../domain/call-leg-rules';
import { maxCostReached } from '../../domain/cost-cap';
import { earliest } from '../../domain/earliest';
import {
  decidePreflight,
  DEFAULT_EXPECTED_MINUTES,
  SHORT_CREDIT_REASON,
  type PreflightReadings,
} from '../../domain/preflight';
import {
  DEFAULT_ACCOUNT,
  formatProblems,
  participantNumber,
  validateSessionInput,
  type SessionInput,
} from '../../domain/session-input';
import { SessionState, type SessionSnapshot } from '../../domain/session-state';
import type { PreflightFigures, SessionPhase, SessionStatus, SessionSummary } from '../../domain/session-types';
import { CallLegEngine, type DialOutcome } from '../call-legs/call-leg-engine';
import { preflight } from '../call-legs/hoiio-activities';
import type {
  AddParticipantsRequest,
  AddParticipantsResult,
  EndRequest,
  ModerateRequest,
  RedialRequest,
  RedialResult,
} from '../messages';
import type { PermitPoolState } from '../permits/permit-pool';
import {
  checkAddParticipants,
  checkEnd,
  checkModeration,
  checkRedial,
  redialRefusal,
  type ModerationAction,
} from './session-requests';

export const DEFAULT_GRACE_SECONDS = 120;
const MAX_POLL_INTERVAL_MS = 10 * 60_000;
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
  /** The reason given to `end`, for the summary; absent in resumes of older runs. */
  endRequestReason?: string;
  /** What the first run's pre-flight check found; absent when it ran none. */
  preflight?: PreflightFigures;
}

type EndedBy = NonNullable<SessionResume['endedBy']>;
/** Why the session ends: `reason` is what participants still waiting are marked with, `requested` the text of `end`. */
interface Ending {
  by: EndedBy;
  reason: string;
  requested?: string;
}

export class ConferenceSessionRun {
  private readonly input: SessionInput;
  private readonly state: SessionState;
  private readonly engine: CallLegEngine;
  private readonly deadlineAt: number | undefined;
  private phase: SessionPhase;
  private endedBy: EndedBy | undefined;
  private endReason: string;
  private endRequestReason: string | undefined;
  private preflightFigures: PreflightFigures | undefined;
  private messagesThisRun = 0;
  /** Set by every message, so the main loop re-plans at once. */
  private changed = false;

  /** Bad input fails the session at once, naming the problem (docs/design.md, invariant 7). */
  constructor(
    rawInput: SessionInput,
    private readonly resume: SessionResume | undefined,
  ) {
    const checked = validateSessionInput(rawInput);
    if (!checked.ok && !resume) {
      throw ApplicationFailure.nonRetryable(
        `Invalid conferenceSession input: ${formatProblems(checked.problems)}`,
        'InvalidSessionInput',
        { problems: checked.problems },
      );
    }
    // A running session was valid when it started: a stricter schema in a later release must not fail it mid-way.
    if (!checked.ok)
      log.warn('Input no longer passes validation; continuing as started', { problems: checked.problems });
    this.input = checked.ok ? checked.value : rawInput;
    this.state = new SessionState(resume?.state ?? this.firstSnapshot(), {
      redial: this.input.redial ?? {},
      graceMs: (this.input.notificationGraceSeconds ?? DEFAULT_GRACE_SECONDS) * 1000,
      maxPollIntervalMs: MAX_POLL_INTERVAL_MS,
    });
    if (!resume) this.state.add(this.input.participants);
    this.phase = resume?.phase ?? 'running';
    this.endedBy = resume?.endedBy;
    this.endReason = resume?.endReason ?? 'session ended';
    this.endRequestReason = resume?.endRequestReason;
    this.preflightFigures = resume?.preflight;
    const { deadlineSeconds } = this.input;
    this.deadlineAt = deadlineSeconds ? this.state.startedAt + deadlineSeconds * 1000 : undefined;
    this.engine = new CallLegEngine({
      account: this.input.account ?? DEFAULT_ACCOUNT,
      legs: this.state.legs,
      counters: this.state.counters,
      wantsLegs: () => this.phase === 'running',
      hangingUp: (number) => this.state.endedByUs(number),
      changed: () => {
        this.changed = true;
      },
      reuseWanted: () => (this.phase === 'running' ? this.dialableNow() - this.engine.permitsAvailable : 0),
    });
  }

  // ---- messages ----------------------------------------------------------------------------------------------

  status(): SessionStatus {
    const status = this.state.status(this.phase, { now: Date.now(), permits: this.engine.permitCounts() });
    return this.preflightFigures ? { ...status, preflight: this.preflightFigures } : status;
  }

  callEnded(payload: unknown): void {
    this.onMessage();
    this.engine.notified(payload);
  }

  addParticipants(request: AddParticipantsRequest): AddParticipantsResult {
    this.onMessage();
    const added = this.state.add(request.participants);
    // Numbers already in the session are skipped; those whose call has ended are named, so the caller can redial.
    const redialable = request.participants
      .map(participantNumber)
      .filter((number) => redialRefusal(number, this.phase, this.state) === undefined);
    return redialable.length > 0 ? { added, redialable } : { added };
  }

  validateAddParticipants(request: AddParticipantsRequest): void {
    checkAddParticipants(request, this.phase, this.state);
  }

  async moderate(action: ModerationAction, { number }: ModerateRequest): Promise<void> {
    this.onMessage();
    const leg = this.state.activeLegOf(number);
    if (!leg) return; // ended between validation and now: nothing to moderate
    // Before the request: the leg may end (and be reported) before the activity returns.
    if (action === 'kick') this.state.endedByUs(number, 'kicked');
    await this.engine.moderate(leg.txnRef, action);
    if (action !== 'kick') this.state.setMuted(leg.txnRef, action === 'mute');
  }

  validateModeration(action: ModerationAction, request: ModerateRequest): void {
    checkModeration(action, request, this.state);
  }

  redial({ number }: RedialRequest): RedialResult {
    this.onMessage();
    // The validator ran in this activation, so this holds; checked again rather than trusted.
    const refusal = redialRefusal(number, this.phase, this.state);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'RedialRefused');
    this.state.redial(number);
    return { queued: number };
  }

  validateRedial(request: RedialRequest): void {
    checkRedial(request, this.phase, this.state);
  }

  async end(request: EndRequest): Promise<{ hungUp: number; cancelled: number }> {
    this.onMessage();
    const reason = request?.reason;
    return await this.endSession('end-request', reason ? `ended: ${reason}` : 'ended before dialing', reason);
  }

  validateEnd(request: EndRequest): void {
    checkEnd(request, this.phase);
  }

  // ---- the run -----------------------------------------------------------------------------------------------

  async run(): Promise<SessionSummary> {
    // Handlers are registered first, so a status query or a notification right after the start is answered. Then,
    // before any budget is touched: an unknown account fails the session at once, non-retryable.
    await this.engine.connect(this.resume);
    try {
      // Before the first dial, once: a continued run carries what the first one found. Histories from before it replay
      // without it.
      if (!this.resume && patched('preflight')) await this.checkCredit();
      return await this.loop();
    } catch (error) {
      if (!isCancellation(error)) throw error;
      // Cancelled (e.g. `temporal workflow cancel`): leave nothing ringing and no permit held, then report the cancel.
      await CancellationScope.nonCancellable(async () => {
        this.enter('finished');
        await this.engine.abandon();
      });
      throw error;
    }
  }

  /** The only place the phase changes, and with it why the session ended. */
  private enter(phase: 'ending', ending: Ending): void;
  private enter(phase: 'finished'): void;
  private enter(phase: SessionPhase, ending?: Ending): void {
    this.phase = phase;
    if (ending) {
      this.endedBy = ending.by;
      this.endReason = ending.reason;
      this.endRequestReason = ending.requested;
    }
    this.changed = true;
  }

  /**
   * Forecasts the roster's cost and reads the balance (docs/sessions.md, "Pre-flight"). Too little credit fails the
   * session, non-retryable, before anything is dialed; a partial run leaves out the roster's tail. Participants added
   * later are not forecast: Hoiio's own credit check refuses their dial if the money is gone.
   */
  private async checkCredit(): Promise<void> {
    const numbers = this.input.participants.map(participantNumber);
    let readings: PreflightReadings;
    try {
      readings = await preflight.preflightCheck({ account: this.input.account ?? DEFAULT_ACCOUNT, numbers });
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Dialing unchecked is what the check is for not doing.
      throw ApplicationFailure.create({
        message: 'Pre-flight could not read the rates and the balance from Hoiio, so nobody was dialed',
        type: 'PreflightFailed',
        nonRetryable: true,
        cause: error instanceof Error ? error : undefined,
      });
    }
    const decision = decidePreflight(readings, {
      expectedMinutes: this.input.expectedMinutes ?? DEFAULT_EXPECTED_MINUTES,
      onShortCredit: this.input.onShortCredit ?? 'refuse',
    });
    this.preflightFigures = decision.figures;
    // Ended while the check ran: nobody will be dialed anyway, and the session finishes as ended.
    if (this.phase !== 'running') return;
    if (decision.dial === 'none') {
      throw ApplicationFailure.nonRetryable(decision.message, 'InsufficientCredit', decision.figures);
    }
    if (decision.dial === 'some') this.state.notDialed(decision.notDialed, SHORT_CREDIT_REASON);
  }

  /** Dials no more, hangs up every active leg, and lets the legs' ends finish the session. */
  private async endSession(
    by: EndedBy,
    reason: string,
    requested?: string,
  ): Promise<{ hungUp: number; cancelled: number }> {
    if (this.phase !== 'running') return { hungUp: 0, cancelled: 0 };
    this.enter('ending', { by, reason, requested });
    // A dial retrying (Hoiio down, a long rate limit) would hold the session for its half hour of retries.
    this.engine.stopDial();
    const cancelled = this.state.abandonWaiting('cancelled', reason);
    const hungUp = await this.engine.hangUpAll();
    return { hungUp, cancelled };
  }

  private async loop(): Promise<SessionSummary> {
    const { state, engine } = this;
    for (;;) {
      // Cleared before the state is read, never after: a message that lands while this pass awaits something must
      // wake the next wait at once, or it is lost until a timer fires.
      this.changed = false;
      const now = Date.now();
      if (this.phase === 'running' && this.deadlineAt !== undefined && now >= this.deadlineAt) {
        await this.endSession('deadline', 'deadline reached');
      }
      // Checked as legs end, since a leg's cost is known only then (docs/sessions.md, "maxCost").
      const capReached =
        this.phase === 'running' && this.input.maxCost && maxCostReached(this.input.maxCost, state.costSoFar());
      if (capReached && patched('max-cost')) await this.endSession('max-cost', capReached, capReached);
      // Whoever a late redial or an in-flight dial put back in line after the end is not dialed either.
      if (this.phase !== 'running') state.abandonWaiting('cancelled', this.endReason);

      if (state.settled()) break;
      // Checked before dialing, not only when idle: a session that always has someone to dial must still hand over
      // once its history is long (every later task of a long history costs more).
      if (workflowInfo().continueAsNewSuggested || this.messagesThisRun >= this.messagesPerRun()) {
        await this.continueAsNew();
      }

      const running = this.phase === 'running';
      await engine.keepPermitsFor(running ? this.dialableNow(now) : undefined);

      if (this.phase === 'running') {
        const batch = state.nextBatch(now, engine.permitsAvailable);
        if (batch.length > 0) {
          await this.dial(batch.map((p) => p.number));
          continue;
        }
      }

      const wakeAt = earliest(state.nextRedialAt(), this.phase === 'running' ? this.deadlineAt : undefined);
      const permitsWorthTaking = () =>
        this.phase === 'running' && engine.permitsAvailable > 0 && state.ready(Date.now()).length > 0;
      const wake = () => this.changed || permitsWorthTaking();
      if (wakeAt === undefined) await condition(wake);
      else await condition(wake, Math.max(1, wakeAt - Date.now()));
    }

    this.enter('finished');
    await engine.close();
    await condition(allHandlersFinished);
    const summary = state.summary({
      endedAt: Date.now(),
      endedBy: this.endedBy ?? 'completed',
      endReason: this.endRequestReason,
    });
    return this.preflightFigures ? { ...summary, preflight: this.preflightFigures } : summary;
  }

  private async dial(numbers: string[]): Promise<void> {
    const batch = this.state.beginDial(numbers);
    const outcome = await this.engine.dial({
      room: this.state.room,
      numbers,
      callerId: this.input.callerId,
      tag: batchTag(this.input.tag, this.state.sessionKey, batch),
    });
    this.settleDial(numbers, outcome);
  }

  /** What a dial's outcome means for its participants. */
  private settleDial(numbers: string[], outcome: DialOutcome): void {
    const { state } = this;
    if (outcome.kind === 'done') {
      if (outcome.notPlaced.length > 0) state.dialNotPlaced(outcome.notPlaced, { solo: false });
      // Placed or not, nobody knows: never dialed again unseen (docs/design.md, invariant 2).
      if (outcome.unknown.length > 0) state.dialFailed(outcome.unknown, 'dial_outcome_unknown');
      return;
    }
    if (outcome.scope === 'number' && numbers.length > 1) {
      // One of them is to blame, and which is not said: each is dialed alone, so one bad number sinks only itself.
      state.dialNotPlaced(numbers, { solo: true });
      return;
    }
    state.dialFailed(numbers, outcome.type);
    if (outcome.scope === 'account' || outcome.scope === 'request') {
      // Hoiio refused for a reason of the account's (token, credit) or of every request this session builds (room,
      // notify_url): nobody can be reached.
      state.abandonWaiting('failed', outcome.type);
      log.error('Dialing failed for a reason that affects the whole session', { type: outcome.type });
    }
  }

  /**
   * Handlers first, while leases are still renewed and ends still released; then the background work stops (its
   * activities done), so the state handed over is the whole truth.
   */
  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    await this.engine.pause();
    // An update accepted while the background stopped (an end, a kick) must finish here, not be cut off.
    await condition(allHandlersFinished);
    await this.engine.releaseForHandover();
    const { budgetKey, pool } = this.engine.carry();
    return await continueAsNew<(input: SessionInput, resume?: SessionResume) => Promise<SessionSummary>>(this.input, {
      state: this.state.snapshot(),
      pool,
      budgetKey,
      phase: this.phase,
      endedBy: this.endedBy,
      endReason: this.endReason,
      endRequestReason: this.endRequestReason,
      ...(this.preflightFigures ? { preflight: this.preflightFigures } : {}),
    });
  }

  /** How many participants could be dialed now: ready to dial, and with room for them. */
  private dialableNow(now = Date.now()): number {
    return Math.min(this.state.vacancies(), this.state.ready(now).length);
  }

  private messagesPerRun(): number {
    return this.input.messagesPerRun ?? DEFAULT_MESSAGES_PER_RUN;
  }

  private onMessage(): void {
    this.messagesThisRun += 1;
    this.changed = true;
  }

  private firstSnapshot(): SessionSnapshot {
    const sessionKey = uuid4().replace(/-/g, '').slice(0, 12);
    return SessionState.start({ room: this.input.room ?? `bk_${sessionKey}`, sessionKey, now: Date.now() });
  }
}
