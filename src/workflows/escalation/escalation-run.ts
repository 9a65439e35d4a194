/**
 * One run of an `escalation`: rings the on-call tree step by step until someone presses the acknowledge key (or an
 * `acknowledge` update comes), bridges them into the incident's conference room with whoever else is needed, and
 * follows every call to its end for an exact cost. Dialing, legs and permits are the {@link CallLegEngine}'s, the same
 * engine and call budget as sessions (docs/design.md, invariants 1 to 5); this class decides who is rung, when, and
 * what a keypress means. Every wait is a workflow timer or condition, so a restart of the worker or the server
 * changes nothing.
 *
 * An IVR call goes: dial (speaks the greeting) → `answered` event → gather one key → ack: transfer into the room;
 * decline or no key: hang up with a message. Events come as `ivrEvent` signals from the receiver; the call's end
 * (with its cost) comes as the last of them, or from status polls when it is lost.
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
import { ActivityFailure } from '@temporalio/common';
import { CallCounters, emptyCounters, type SessionCounters } from '../../domain/call-counters';
import { earliest } from '../../domain/earliest';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_MAX_MINUTES,
  formatProblems,
  validateEscalationInput,
  type EscalationInput,
  type EscalationPlan,
} from '../../domain/escalation-input';
import { nextPosition, pagingDeadline, slotsOf, asResponder, type Position } from '../../domain/escalation-plan';
import { EscalationRecord, isOver, who, type EscalationRecordSnapshot } from '../../domain/escalation-record';
import type {
  EscalationLeg,
  EscalationPhase,
  EscalationResult,
  EscalationStatus,
  ResponderTry,
  TryState,
} from '../../domain/escalation-types';
import { describePayloadIssues, formatProblem, parsePayload } from '../../domain/input-text';
import { ivrEventAsCallEnded, ivrEventSchema, type IvrEvent } from '../../domain/ivr-event';
import { LegBook, type LegBookSnapshot, type LegRecord } from '../../domain/leg-book';
import { formatMoney, parseMoney, sumMoney } from '../../domain/money';
import { validateParticipants } from '../../domain/session-input';
import { currencyTotals } from '../../domain/session-report';
import { CallLegEngine, PAGE_PRIORITY, type EngineCarry } from '../call-legs/call-leg-engine';
import { ivrBlocks } from '../call-legs/hoiio-activities';
import type {
  AcknowledgeRequest,
  AcknowledgeResult,
  AddRespondersRequest,
  AddRespondersResult,
  EscalateResult,
  ResolveRequest,
  ResolveResult,
} from '../messages';
import { callScripts, GATHER, type CallScripts } from './call-scripts';

const GRACE_MS = 2 * 60_000;
const MAX_POLL_INTERVAL_MS = 10 * 60_000;
/** Statuses that mean the IVR call is already gone: a block sent to it has nothing left to do. */
const CALL_GONE = new Set(['error_session_ended', 'error_invalid_session', 'error_session_access_denied']);
const MAX_BATCH = 8;
const MAX_EARLY_EVENTS = 50;
const MAX_REASON = 500;
/** How long the check against maxCost waits for the calls just let go to report their cost. */
const SETTLE_COST_MS = 60_000;

/** Carried over continue-as-new (between passes over the policy, when no call is up). */
export interface EscalationResume {
  key: string;
  startedAt: number;
  position: Position;
  record: EscalationRecordSnapshot;
  legs: LegBookSnapshot;
  bridgeLegs: string[];
  extras: Record<number, { number: string; name?: string }[]>;
  counters: SessionCounters;
  engine: EngineCarry;
  /** A resolve or escalate that came while the run was handing over. */
  resolved?: string;
  escalateRequested?: boolean;
}

export class EscalationRun {
  private readonly plan: EscalationPlan;
  private readonly scripts: CallScripts;
  private readonly key: string;
  private readonly startedAt: number;
  private readonly deadline: number | undefined;
  private readonly record: EscalationRecord;
  private readonly counters: CallCounters;
  private readonly legs: LegBook;
  private readonly engine: CallLegEngine;
  private readonly bridgeLegs: Set<string>;
  /** Responders added by `addResponders`, by step: rung on every later pass too. */
  private readonly extras: Map<number, { number: string; name?: string }[]>;
  private position: Position;
  private phase: EscalationPhase = 'paging';
  /** The tries of the slot now ringing: `addResponders` joins them. */
  private ringing: ResponderTry[] = [];
  private resolved: string | undefined;
  private gaveUp: string | undefined;
  private escalateRequested = false;
  /** Whether a slot is ringing now, which responders added to its step join at once. */
  private slotRunning = false;
  private changed = false;
  /** IVR events that came before the dial's reply named their call. */
  private readonly earlyEvents = new Map<string, IvrEvent[]>();
  /** Tries whose gather Hoiio is running: a hang-up with a message waits for a block to end, so these are forced. */
  private readonly gathering = new Set<number>();
  /** IVR blocks under way (gather, transfer, hang-up), started from event handlers. */
  private readonly blocks = new Set<Promise<void>>();

  constructor(
    rawInput: EscalationInput,
    private readonly resume: EscalationResume | undefined,
  ) {
    const checked = validateEscalationInput(rawInput);
    if (!checked.ok) {
      throw ApplicationFailure.nonRetryable(
        `Invalid escalation input: ${formatProblems(checked.problems)}`,
        'InvalidEscalationInput',
        { problems: checked.problems },
      );
    }
    this.plan = checked.value;
    this.scripts = callScripts(this.plan);
    this.key = resume?.key ?? uuid4().replace(/-/g, '').slice(0, 12);
    this.startedAt = resume?.startedAt ?? Date.now();
    this.deadline = pagingDeadline(this.plan.policy, this.startedAt, DEFAULT_MAX_MINUTES);
    this.position = resume?.position ?? { round: 0, step: 0 };
    this.resolved = resume?.resolved;
    this.escalateRequested = resume?.escalateRequested ?? false;
    this.record = new EscalationRecord(resume?.record, this.startedAt);
    this.counters = new CallCounters(resume?.counters ?? emptyCounters());
    this.bridgeLegs = new Set(resume?.bridgeLegs ?? []);
    this.extras = new Map(Object.entries(resume?.extras ?? {}).map(([step, list]) => [Number(step), list]));
    this.legs = new LegBook(
      resume?.legs ?? { legs: [], endedLegs: [], earlyEnds: [] },
      { graceMs: GRACE_MS, maxPollIntervalMs: MAX_POLL_INTERVAL_MS },
      this.counters,
      {
        legPlaced: () => undefined,
        legEnded: (leg, now) => this.legEnded(leg, now),
        endCorrected: () => undefined,
      },
    );
    this.engine = new CallLegEngine({
      account: this.plan.account ?? DEFAULT_ACCOUNT,
      legs: this.legs,
      counters: this.counters,
      // Pages outrank routine calls: the budget serves this escalation's requests before waiting sessions'.
      priority: PAGE_PRIORITY,
      wantsLegs: () => this.resolved === undefined,
      hangingUp: () => undefined,
      changed: () => this.wake(),
    });
  }

  // ---- messages ----------------------------------------------------------------------------------------------

  status(): EscalationStatus {
    return {
      incident: this.plan.incident,
      phase: this.phase,
      round: this.position.round,
      step: this.position.step,
      ...(this.record.acknowledged ? { acknowledged: this.record.acknowledged } : {}),
      tries: this.record.all(),
      ...this.record.timelineView(),
    };
  }

  /** A conference leg of the bridge ended. */
  callEnded(payload: unknown): void {
    this.engine.notified(payload);
    this.wake();
  }

  ivrEvent(payload: unknown): void {
    const parsed = parsePayload(ivrEventSchema, payload);
    if (!parsed.success) {
      this.counters.malformedMessage();
      log.warn('Malformed ivrEvent signal dropped', { problems: describePayloadIssues(parsed.error) });
      return;
    }
    const event = parsed.data;
    const attempt = this.record.byTxnRef(event.txnRef);
    if (!attempt) {
      // The dial's reply is not back yet: kept for when it is. An end is also the leg book's to keep. Bounded, since
      // anyone can signal: a real early event waits for one dial at a time.
      if (this.earlyEvents.size >= MAX_EARLY_EVENTS) this.earlyEvents.delete(this.earlyEvents.keys().next().value!);
      this.earlyEvents.set(event.txnRef, [...(this.earlyEvents.get(event.txnRef) ?? []), event].slice(-10));
      if (event.dest) this.endLeg(event, event.dest);
      return;
    }
    this.apply(attempt, event);
  }

  validateAcknowledge(request: AcknowledgeRequest): void {
    const by = request?.by;
    if (typeof by !== 'string' || by.trim() === '' || by.length > 100) {
      throw new Error(`acknowledge: ${formatProblem('by', by, 'must say who, in 1 to 100 characters')}`);
    }
    if (this.phase === 'ended' || this.resolved) throw new Error('acknowledge: the escalation has already ended');
    if (this.gaveUp) throw new Error(`acknowledge: paging has stopped (${this.gaveUp})`);
  }

  acknowledge(request: AcknowledgeRequest): AcknowledgeResult {
    const ack = this.record.acknowledge({ by: request.by.trim(), via: 'update', at: Date.now() });
    if (ack)
      this.record.note({ at: ack.at, event: 'acknowledged', detail: `acknowledged by ${ack.by}` }, this.position);
    this.wake();
    return { acknowledged: ack !== undefined };
  }

  validateResolve(request: ResolveRequest): void {
    const reason = request?.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON)) {
      throw new Error(`resolve: "reason" must be a string of at most ${MAX_REASON} characters`);
    }
    if (this.phase === 'ended' || this.resolved) throw new Error('resolve: the escalation has already ended');
  }

  async resolve(request: ResolveRequest): Promise<ResolveResult> {
    this.resolved = request?.reason?.trim() || 'resolved';
    this.record.note({ at: Date.now(), event: 'resolved', detail: this.resolved }, this.position);
    for (const attempt of this.record.live()) this.record.move(attempt, 'cancelled', Date.now(), 'resolved');
    this.wake();
    return { hungUp: await this.engine.hangUpAll() };
  }

  validateEscalate(): void {
    if (this.phase !== 'paging' || this.resolved || this.record.acknowledged || this.gaveUp) {
      throw new Error('escalate: the escalation is no longer paging');
    }
  }

  escalate(): EscalateResult {
    this.escalateRequested = true;
    this.wake();
    return nextPosition(this.plan.policy, this.position) ?? {};
  }

  validateAddResponders(request: AddRespondersRequest): void {
    const checked = validateParticipants(request?.responders);
    if (!checked.ok) throw new Error(`addResponders: ${formatProblems(checked.problems)}`);
    const step = request.step ?? this.position.step;
    if (!Number.isInteger(step) || step < 0 || step >= this.plan.policy.steps.length) {
      throw new Error(`addResponders: step = ${step}: must be 0 to ${this.plan.policy.steps.length - 1}`);
    }
    if (this.phase !== 'paging' || this.resolved || this.record.acknowledged || this.gaveUp) {
      throw new Error('addResponders: the escalation is no longer paging');
    }
    const listed = new Set(this.respondersOf(step).map((responder) => responder.number));
    const again = checked.value.map((entry) => asResponder(entry).number).filter((number) => listed.has(number));
    if (again.length > 0) {
      throw new Error(`addResponders: ${again.join(', ')} already in step ${step}: a responder is rung once a step`);
    }
  }

  private respondersOf(step: number): { number: string }[] {
    return [...this.plan.policy.steps[step]!.notify.map(asResponder), ...(this.extras.get(step) ?? [])];
  }

  addResponders(request: AddRespondersRequest): AddRespondersResult {
    const step = request.step ?? this.position.step;
    const checked = validateParticipants(request.responders);
    const added = (checked.ok ? checked.value : request.responders).map(asResponder);
    this.extras.set(step, [...(this.extras.get(step) ?? []), ...added]);
    // Between slots (or steps) they are rung with the next slot of their step instead.
    if (step === this.position.step && this.slotRunning && !this.stopped()) {
      for (const responder of added) this.ringing.push(this.record.newTry(responder, this.position, Date.now()));
    }
    this.wake();
    return { added: added.map((r) => r.number), step };
  }

  // ---- the run -----------------------------------------------------------------------------------------------

  async run(): Promise<EscalationResult> {
    await this.engine.connect(this.resume?.engine);
    try {
      return await this.loop();
    } catch (error) {
      if (!isCancellation(error)) throw error;
      await CancellationScope.nonCancellable(async () => {
        this.phase = 'ended';
        await this.engine.abandon();
      });
      throw error;
    }
  }

  private async loop(): Promise<EscalationResult> {
    if (!this.resume) this.record.note({ at: this.startedAt, event: 'step-started' }, this.position);
    else this.record.note({ at: Date.now(), event: 'step-started', detail: 'continued' }, this.position);
    while (!this.stopped()) {
      await this.runStep();
      if (this.stopped()) break;
      const next = nextPosition(this.plan.policy, this.position);
      const limit = await this.limitReached();
      if (this.stopped()) break;
      if (!next || limit) {
        this.gaveUp = limit ?? 'every step and repeat was rung';
        this.record.note({ at: Date.now(), event: 'gave-up', detail: this.gaveUp }, this.position);
        break;
      }
      const newRound = next.round !== this.position.round;
      this.position = next;
      if (newRound && (this.plan.policy.repeat === 'until-acknowledged' || workflowInfo().continueAsNewSuggested)) {
        await this.continueAsNew();
        if (this.stopped()) break;
      }
      this.record.note({ at: Date.now(), event: 'step-started' }, this.position);
    }
    if (this.record.acknowledged && !this.resolved) await this.bridge();
    else await this.stopTries(this.record.live(), this.resolved ? this.scripts.resolved : this.scripts.stepOver);

    // Every call followed to its end, for the cost; a resolve hangs up whatever is left.
    await condition(() => this.legs.activeLegs().length === 0 && this.blocks.size === 0);
    this.phase = 'ended';
    await this.engine.close();
    await condition(allHandlersFinished);
    return this.result();
  }

  private stopped(): boolean {
    return this.record.acknowledged !== undefined || this.resolved !== undefined || this.gaveUp !== undefined;
  }

  private async limitReached(): Promise<string | undefined> {
    if (this.deadline !== undefined && Date.now() >= this.deadline) return 'maxMinutes reached';
    const { maxCost } = this.plan.policy;
    if (maxCost === undefined) return undefined;
    // A call's cost is known once it has ended: the calls just let go end within moments, so wait for them (not for
    // ever: a lost notification is polled for minutes later) rather than ring again on an old sum.
    await condition(() => this.legs.activeLegs().length === 0 || this.stopped(), SETTLE_COST_MS);
    if (this.spent() >= parseMoney(maxCost)) return `maxCost ${maxCost} reached`;
    return undefined;
  }

  private spent(): number {
    return sumMoney(this.legs.all().flatMap((leg) => (leg.end ? [leg.end.debit] : [])));
  }

  /** Rings one step's slots in turn; returns when the step is over, or paging stopped. */
  private async runStep(): Promise<void> {
    const position = this.position;
    const step = this.plan.policy.steps[position.step]!;
    let stepEnds = Date.now() + step.waitSeconds * 1000;
    const slots = slotsOf(this.plan.policy, position, this.extras.get(position.step));
    for (const [index, slot] of slots.entries()) {
      const slotEnds = index === slots.length - 1 ? stepEnds : Math.min(stepEnds, Date.now() + slot.ms);
      this.ringing = slot.responders.map((responder) => this.record.newTry(responder, position, Date.now()));
      this.slotRunning = true;
      stepEnds += await this.ringUntil(slotEnds);
      this.slotRunning = false;
      await this.engine.keepPermitsFor(0);
      if (this.stopped()) return;
      await this.stopTries(this.ringing, this.scripts.stepOver);
      if (this.escalateRequested) {
        this.escalateRequested = false;
        this.record.note({ at: Date.now(), event: 'escalated' }, position);
        return;
      }
      if (this.deadline !== undefined && Date.now() >= this.deadline) return;
    }
  }

  /**
   * Dials the slot's tries as permits come, until all are over, the slot's time is up, or paging stops. Pages are
   * dialed one at a time, and Hoiio's retries or slow replies can hold one up for longer than a step: the time spent
   * dialing does not count against the slot (nor the step), so the tries after it still get their time to ring.
   * Returns that time. Histories recorded before counted it (`page-dial-pauses-step`). `maxMinutes` is not moved.
   */
  private async ringUntil(slotEnds: number): Promise<number> {
    let dialing = 0;
    for (;;) {
      this.changed = false;
      if (this.stopped() || this.escalateRequested) return dialing;
      const until = earliest(slotEnds + dialing, this.deadline)!;
      if (Date.now() >= until || this.ringing.every(isOver)) return dialing;
      const waiting = this.ringing.filter((attempt) => attempt.state === 'waiting');
      await this.engine.keepPermitsFor(waiting.length);
      if (waiting.length > 0 && this.engine.permitsAvailable > 0) {
        const began = Date.now();
        await this.dialTry(waiting[0]!);
        if (patched('page-dial-pauses-step')) dialing += Date.now() - began;
        continue;
      }
      const permitCame = () => waiting.length > 0 && this.engine.permitsAvailable > 0;
      await condition(() => this.changed || permitCame(), Math.max(1, until - Date.now()));
    }
  }

  private tag(attempt: ResponderTry): string {
    return `bk-esc-${this.key}-t${attempt.id}`;
  }

  private async dialTry(attempt: ResponderTry): Promise<void> {
    this.record.move(attempt, 'dialing', Date.now());
    const outcome = await this.engine.dial({
      room: this.plan.bridge.room,
      numbers: [attempt.number],
      tag: this.tag(attempt),
      callerId: this.plan.callerId,
      ivr: { msg: this.scripts.greeting },
    });
    const now = Date.now();
    if (outcome.kind === 'refused') {
      this.finish(attempt, 'failed', `refused: ${outcome.type}`);
      if (outcome.scope === 'account' || outcome.scope === 'request') {
        // Every later page would be refused the same way (token, credit, caller id): say so rather than ring on.
        this.gaveUp = `Hoiio refused the page: ${outcome.type}`;
        this.record.note({ at: now, event: 'gave-up', detail: this.gaveUp }, this.position);
      }
      return;
    }
    const leg = outcome.placed[0];
    if (!leg) {
      // Not placed, or placed for all anyone knows: never rung again unseen (docs/design.md, invariant 2).
      this.finish(attempt, 'failed', outcome.unknown.length > 0 ? 'dial outcome unknown' : 'not placed');
      return;
    }
    const unwanted = isOver(attempt);
    this.record.placed(attempt, leg.txnRef, now);
    if (leg.session) attempt.session = leg.session;
    for (const event of this.earlyEvents.get(leg.txnRef) ?? []) this.apply(attempt, event);
    this.earlyEvents.delete(leg.txnRef);
    const placed = this.legs.get(leg.txnRef);
    // Its end may have come before the dial's reply: the leg book applied it when the leg was adopted.
    if (placed?.end) this.legEnded(placed, now);
    // Acknowledged by someone else or the slot's time up while the dial was on its way (a resolve's dial is hung up
    // by the engine, which no longer wants legs).
    else if (unwanted && !this.resolved) this.background(this.engine.hangUp(leg.txnRef));
  }

  /** What one IVR event means for its try. */
  private apply(attempt: ResponderTry, event: IvrEvent): void {
    if (event.session) attempt.session = event.session;
    const now = Date.now();
    if (event.callState === 'ended') {
      this.endLeg(event, attempt.number);
      return;
    }
    if (event.digits !== undefined) {
      this.keyPressed(attempt, event.digits);
      return;
    }
    if (event.transferStatus !== undefined && event.transferStatus !== 'answered') {
      this.record.note({ at: now, event: 'hung-up', ...who(attempt), detail: 'transfer failed' }, attempt);
      this.block(attempt, 'hangup', { msg: this.scripts.noKey });
      return;
    }
    if (event.dialStatus === 'answered' && (attempt.state === 'ringing' || attempt.state === 'dialing')) {
      this.record.move(attempt, 'answered', now);
      this.record.note({ at: now, event: 'answered', ...who(attempt) }, attempt);
      if (this.stopped()) {
        // Over now, so that letting the others go does not send this call a second End block.
        this.finish(attempt, 'hung-up', 'answered after paging stopped');
        this.block(attempt, 'hangup', { msg: this.hangupMessage() });
      } else this.block(attempt, 'gather', {});
    }
    this.wake();
  }

  private keyPressed(attempt: ResponderTry, digits: string): void {
    const { ackDigit, declineDigit } = this.plan.policy;
    const key = digits.charAt(0);
    const now = Date.now();
    this.gathering.delete(attempt.id);
    if (attempt.state !== 'answered') return; // a repeated or late notification
    if (key === ackDigit) {
      this.record.note({ at: now, event: 'pressed', ...who(attempt), detail: `pressed ${key}` }, attempt);
      const ack = this.resolved
        ? undefined
        : this.record.acknowledge({ by: attempt.number, ...nameOf(attempt), via: 'keypress', at: now });
      if (ack) {
        this.record.move(attempt, 'acknowledged', now);
        this.record.note({ at: now, event: 'acknowledged', ...who(attempt) }, attempt);
        // At once, not when the main loop gets here (it may be waiting out another dial's retries): the person who
        // took the incident is on the line, and Hoiio hangs up a call left without a next block.
        this.background(this.transfer(attempt));
      } else {
        this.finish(attempt, 'hung-up', 'pressed after the incident was taken');
        this.block(attempt, 'hangup', { msg: this.hangupMessage() });
      }
    } else if (key === declineDigit) {
      this.finish(attempt, 'declined', `pressed ${key}`);
      this.block(attempt, 'hangup', { msg: this.scripts.declined });
    } else {
      this.finish(attempt, 'no-key', key ? `pressed ${key}, not an option` : 'pressed nothing');
      this.block(attempt, 'hangup', { msg: this.scripts.noKey });
    }
    this.wake();
  }

  /** An IVR call's end, with its cost, to the leg book; its listener settles the try. */
  private endLeg(event: IvrEvent, number: string): void {
    const end = ivrEventAsCallEnded(event, number);
    if (end) this.engine.notified(end);
    this.wake();
  }

  private legEnded(leg: LegRecord, now: number): void {
    this.wake();
    if (this.bridgeLegs.has(leg.txnRef)) {
      this.record.note({ at: now, event: 'ended', number: leg.number, detail: `left the bridge` }, this.position);
      return;
    }
    const attempt = this.record.byTxnRef(leg.txnRef);
    if (!attempt) return;
    if (attempt.state === 'acknowledged') {
      this.record.note({ at: now, event: 'ended', ...who(attempt), detail: 'left the bridge' }, attempt);
      return;
    }
    const status = leg.end?.status ?? 'failed';
    const state: TryState = status === 'answered' ? 'hung-up' : status;
    this.finish(attempt, state, status === 'answered' ? 'hung up before pressing a key' : status);
  }

  private finish(attempt: ResponderTry, state: TryState, detail: string): void {
    const now = Date.now();
    if (!this.record.move(attempt, state, now, detail)) return;
    const event =
      state === 'declined' ? 'declined' : state === 'no-key' ? 'no-key' : state === 'hung-up' ? 'hung-up' : 'no-answer';
    this.record.note({ at: now, event, ...who(attempt), detail }, attempt);
    this.wake();
  }

  /** Ends tries that are not over: a try not yet dialed is dropped, a live call hung up (with a message if answered). */
  private async stopTries(tries: ResponderTry[], message: string): Promise<void> {
    const now = Date.now();
    const work: Promise<void>[] = [];
    for (const attempt of tries) {
      if (isOver(attempt)) continue;
      const { state, txnRef, session } = attempt;
      this.record.move(attempt, state === 'waiting' ? 'cancelled' : 'hung-up', now, 'step over');
      if (state === 'waiting' || state === 'dialing' || !txnRef) continue; // a dial on its way is hung up on return
      this.record.note({ at: now, event: 'hung-up', ...who(attempt), detail: 'no acknowledgement in time' }, attempt);
      // Mid-gather, Hoiio takes only a forced hang-up (no message); otherwise the caller hears why.
      if (state === 'answered' && session) {
        work.push(this.ivrHangup(attempt, session, this.gathering.has(attempt.id) ? undefined : message));
      } else work.push(this.engine.hangUp(txnRef));
    }
    await Promise.all(work);
  }

  /** Someone acknowledged: the others are let go, the acknowledger joins the room, and alsoDial is dialed in. */
  private async bridge(): Promise<void> {
    this.phase = 'bridging';
    const ack = this.record.acknowledged!;
    const acknowledger = this.record.acknowledger();
    await this.stopTries(
      this.record.live().filter((attempt) => attempt !== acknowledger),
      this.scripts.taken(ack.name ?? ack.by),
    );
    await this.dialIntoBridge(this.plan.bridge.alsoDial.map((entry) => asResponder(entry).number));
  }

  private async transfer(attempt: ResponderTry): Promise<void> {
    const session = attempt.session!;
    try {
      const { room } = await ivrBlocks.ivrTransfer({
        account: this.account(),
        session,
        tag: `${this.tag(attempt)}:x`,
        room: this.plan.bridge.room,
        msg: this.scripts.joining,
      });
      this.record.note({ at: Date.now(), event: 'bridged', ...who(attempt), detail: `room ${room}` }, attempt);
    } catch (error) {
      this.record.note({ at: Date.now(), event: 'hung-up', ...who(attempt), detail: 'transfer failed' }, attempt);
      await this.blockFailed(attempt, 'transfer', error);
    }
  }

  /** Conference legs into the room, at most 8 a request, as permits come (sessions' rules). */
  private async dialIntoBridge(numbers: string[]): Promise<void> {
    const pending = [...numbers];
    let batch = 0;
    while (pending.length > 0 && !this.resolved) {
      await this.engine.keepPermitsFor(Math.min(pending.length, MAX_BATCH));
      await condition(() => this.engine.permitsAvailable > 0 || this.resolved !== undefined);
      if (this.resolved) break;
      const numbersNow = pending.splice(0, Math.min(this.engine.permitsAvailable, MAX_BATCH));
      batch += 1;
      const outcome = await this.engine.dial({
        room: this.plan.bridge.room,
        numbers: numbersNow,
        tag: `bk-esc-${this.key}-b${batch}`,
        callerId: this.plan.callerId,
      });
      const now = Date.now();
      if (outcome.kind === 'refused') {
        for (const number of numbersNow) {
          this.record.note({ at: now, event: 'ended', number, detail: `not dialed: ${outcome.type}` }, this.position);
        }
        continue;
      }
      for (const leg of outcome.placed) {
        this.bridgeLegs.add(leg.txnRef);
        this.record.note({ at: now, event: 'dialed-into-bridge', number: leg.number }, this.position);
      }
      for (const number of [...outcome.notPlaced, ...outcome.unknown]) {
        this.record.note({ at: now, event: 'ended', number, detail: 'not placed' }, this.position);
      }
    }
    await this.engine.keepPermitsFor(0);
  }

  // ---- IVR blocks --------------------------------------------------------------------------------------------

  private account(): string {
    return this.plan.account ?? DEFAULT_ACCOUNT;
  }

  private hangupMessage(): string {
    if (this.resolved) return this.scripts.resolved;
    const ack = this.record.acknowledged;
    return ack ? this.scripts.taken(ack.name ?? ack.by) : this.scripts.stepOver;
  }

  /** Starts a block from an event handler; the run waits for every block before it finishes. */
  private block(attempt: ResponderTry, kind: 'gather' | 'hangup', options: { msg?: string }): void {
    const session = attempt.session;
    if (!session) {
      if (attempt.txnRef) this.background(this.engine.hangUp(attempt.txnRef));
      return;
    }
    if (kind === 'hangup') {
      this.background(this.ivrHangup(attempt, session, options.msg));
      return;
    }
    this.gathering.add(attempt.id);
    this.background(
      ivrBlocks
        .ivrGather({
          account: this.account(),
          session,
          tag: `${this.tag(attempt)}:g`,
          msg: this.scripts.question,
          ...GATHER,
        })
        .catch((error: unknown) => this.blockFailed(attempt, 'gather', error)),
    );
  }

  private async ivrHangup(attempt: ResponderTry, session: string, msg: string | undefined): Promise<void> {
    try {
      await ivrBlocks.ivrHangup({
        account: this.account(),
        session,
        tag: `${this.tag(attempt)}:h`,
        ...(msg === undefined ? {} : { msg }),
      });
    } catch (error) {
      await this.blockFailed(attempt, 'hangup', error);
    }
  }

  /** A block on a call that is gone did nothing; any other failure leaves a call up, so it is hung up outright. */
  private async blockFailed(attempt: ResponderTry, kind: string, error: unknown): Promise<void> {
    if (isCancellation(error)) throw error;
    const type = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause.type : '';
    if (type && CALL_GONE.has(type)) return;
    log.warn(`IVR ${kind} failed; hanging the call up`, { txnRef: attempt.txnRef, error: String(error) });
    if (attempt.txnRef) await this.engine.hangUp(attempt.txnRef);
  }

  private background(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => {
        // Cancelled with the workflow: the cancellation path hangs up and gives back. Anything else is a bug.
        if (!isCancellation(error)) throw error;
      })
      .finally(() => {
        this.blocks.delete(tracked);
        this.wake();
      });
    this.blocks.add(tracked);
  }

  private wake(): void {
    this.changed = true;
  }

  // ---- hand-over and result ----------------------------------------------------------------------------------

  /** Between passes, once no call is up: the next run starts with the state, not the history. */
  private async continueAsNew(): Promise<void> {
    await condition(() => this.legs.activeLegs().length === 0 && this.blocks.size === 0 && allHandlersFinished());
    // Resolved or acknowledged while the last calls ended: finish here instead.
    if (this.stopped()) return;
    await this.engine.pause();
    await condition(allHandlersFinished);
    await this.engine.releaseForHandover();
    this.record.forgetFinished(() => false);
    const resume: EscalationResume = {
      key: this.key,
      startedAt: this.startedAt,
      position: this.position,
      record: this.record.snapshot(),
      legs: this.legs.snapshot(),
      bridgeLegs: [...this.bridgeLegs],
      extras: Object.fromEntries(this.extras),
      counters: this.counters.read(),
      engine: this.engine.carry(),
      // Accepted while handing over (after the check above): the next run acts on them.
      ...(this.resolved === undefined ? {} : { resolved: this.resolved }),
      ...(this.escalateRequested ? { escalateRequested: true } : {}),
    };
    await continueAsNew<(input: EscalationInput, resume?: EscalationResume) => Promise<EscalationResult>>(
      this.plan,
      resume,
    );
  }

  private result(): EscalationResult {
    const legs: EscalationLeg[] = this.legs.all().map((leg) => ({
      txnRef: leg.txnRef,
      number: leg.number,
      kind: this.bridgeLegs.has(leg.txnRef) ? 'bridge' : 'page',
      status: leg.end?.status ?? 'ongoing',
      minutes: leg.end?.minutes ?? 0,
      currency: leg.end?.currency ?? '',
      rate: formatMoney(leg.end?.rate ?? 0),
      debit: formatMoney(leg.end?.debit ?? 0),
    }));
    const ack = this.record.acknowledged;
    const outcome = this.resolved ? 'resolved' : ack ? 'acknowledged' : 'unacknowledged';
    return {
      incident: this.plan.incident,
      outcome,
      ...(ack ? { acknowledged: ack } : {}),
      ...(this.resolved ? { reason: this.resolved } : this.gaveUp && !ack ? { reason: this.gaveUp } : {}),
      startedAt: this.startedAt,
      endedAt: Date.now(),
      ...this.record.timelineView(),
      legs,
      cost: Object.fromEntries(currencyTotals(this.legs.all()).map((total) => [total.currency, total.debit])),
    };
  }
}

function nameOf(attempt: ResponderTry): { name?: string } {
  return attempt.name === undefined ? {} : { name: attempt.name };
}
