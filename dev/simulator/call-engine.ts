import { debitFor, type Thousandths } from '../../src/domain/money';
import { type AccountStore, debit } from './accounts';
import { type Outcome } from './config-schema';
import { type LegPlan, type OutcomePlanner } from './outcomes';
import { type Random } from './random';
import { type Settings } from './settings';
import { type SimClock } from './sim-clock';
import { type Stats } from './stats';
import { type TimerHandle, type TimerSet } from './timers';

export type LegState = 'ringing' | 'answered' | 'ended';
/**
 * completed: the call ran its course; kick, hangup: conference/moderate, voice/hangup; the rest end IVR calls only:
 * the callee hung up, no block came in time, max_duration passed, an ivr/end/hangup block, a failed transfer;
 * restart: the call was up when the simulator stopped, and was ended as it started again (docs/simulator.md).
 */
export type EndReason =
  'completed' | 'kick' | 'hangup' | 'callee' | 'idle' | 'max_duration' | 'ivr_hangup' | 'transfer_failed' | 'restart';
export type LegKind = 'conference' | 'ivr';

/**
 * Where an IVR call is: ringing, speaking the dial's msg, waiting for a block, running one, or past its End block
 * (speaking the hangup's or transfer's msg, ringing a transfer's number, in the room or on with that number).
 */
export type IvrPhase =
  | 'ringing'
  | 'dial-message'
  | 'idle'
  | 'gather'
  | 'hangup-message'
  | 'transfer-message'
  | 'transfer-ringing'
  | 'transferred'
  | 'ended';

export type IvrBlockName = 'dial' | 'gather' | 'transfer' | 'hangup';

export interface IvrBlock {
  name: IvrBlockName;
  tag: string | undefined;
  notifyUrl: string | undefined;
}

/** What an IVR call has besides a leg's fields. */
export interface IvrCall {
  session: string;
  phase: IvrPhase;
  dialMsg: boolean;
  maxDurationSeconds: number | undefined;
  /** The dial block, and the latest block issued: the `ended` notification goes to its notify_url, else the dial's. */
  dial: IvrBlock;
  latest: IvrBlock;
  /** Blocks that finished, in order. */
  blocksDone: IvrBlockName[];
  /** What each Gather block collected, in order ('' when nothing was pressed). */
  digits: string[];
  transferDest: string | undefined;
  transferStatus: Outcome | undefined;
  /** A transfer to a number: that leg's rate and answer time, billed on top of the call. */
  transferRate: Thousandths | undefined;
  transferAnsweredSim: number | undefined;
  /**
   * Simulated seconds at which the current phase began, as planned rather than as the timer fired: a timer late by
   * a loaded machine's few ms must not bill an extra minute at a high time scale.
   */
  cursor: number;
}

/** The notification an IVR block's completion sends: to whom, with which call_state and which extra fields. */
export interface IvrNotice {
  url: string | undefined;
  callState: 'ongoing' | 'ended';
  tag: string | undefined;
  dialStatus?: Outcome;
  digits?: string;
  transferStatus?: Outcome;
}

/** One participant's call leg: what Hoiio calls a transaction, identified by its txn_ref. */
export interface Leg {
  txnRef: string;
  kind: LegKind;
  appId: string;
  dest: string;
  /** The conference room; for an IVR call '' until a transfer puts it in one. */
  room: string;
  tag: string | undefined;
  callerId: string | undefined;
  notifyUrl: string | undefined;
  /** Which path placed it (conference/call or its legacy alias). */
  endpoint: string;
  currency: string;
  rate: Thousandths;
  plan: LegPlan;
  state: LegState;
  /** Final Hoiio call status; undefined while ongoing. */
  callStatus: Outcome | undefined;
  muted: boolean;
  /** Real epoch milliseconds. */
  dialedAt: number;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  /** Simulated seconds at answer, to bill a leg cut short by kick or hangup. */
  answeredSim: number | undefined;
  minutes: number | undefined;
  debit: Thousandths | undefined;
  endedBy: EndReason | undefined;
  /** Set for an IVR call (ivr/start/dial). */
  ivr: IvrCall | undefined;
}

export interface IvrDialRequest {
  appId: string;
  currency: string;
  dest: string;
  rate: Thousandths;
  tag: string | undefined;
  callerId: string | undefined;
  notifyUrl: string | undefined;
  hasMsg: boolean;
  maxDurationSeconds: number | undefined;
}

export interface GatherBlock {
  tag: string | undefined;
  notifyUrl: string;
  hasMsg: boolean;
  /** 0: the input ends only with # or the timeout. */
  maxDigits: number;
  timeoutSeconds: number;
  attempts: number;
}

export type TransferTarget = { room: string } | { number: string; rate: Thousandths };

export interface TransferBlock {
  tag: string | undefined;
  notifyUrl: string | undefined;
  hasMsg: boolean;
  target: TransferTarget;
  onFailure: 'hangup' | 'continue';
}

export interface HangupBlock {
  tag: string | undefined;
  notifyUrl: string | undefined;
  hasMsg: boolean;
  force: boolean;
}

export interface DialRequest {
  appId: string;
  currency: string;
  room: string;
  tag: string | undefined;
  callerId: string | undefined;
  notifyUrl: string | undefined;
  endpoint: string;
  dests: { dest: string; rate: Thousandths }[];
}

export interface CallEngineDeps {
  settings: Settings;
  accounts: AccountStore;
  clock: SimClock;
  timers: TimerSet;
  stats: Stats;
  planner: OutcomePlanner;
  rng: () => Random;
  onEnded: (leg: Leg) => void;
  /** An IVR call's notification (a block finished, or the call ended). */
  onIvrNotice: (leg: Leg, notice: IvrNotice) => void;
}

/** What a restart carries over of the engine: every leg, and the counters that keep ids from repeating. */
export interface EngineSnapshot {
  txnSeq: number;
  roomSeq: number;
  sessionSeq: number;
  legs: Leg[];
}

/** Whole-minute blocks from answer; a leg that was answered at all pays for its first block. */
export function billedMinutes(talkSeconds: number): number {
  return Math.max(1, Math.ceil(talkSeconds / 60 - 1e-9));
}

/**
 * Owns every leg and its life: ringing → answered → ended, or ringing → ended. Validation happens before dial();
 * the engine only keeps the counts the limits are checked against, and bills and reports each leg as it ends.
 */
export class CallEngine {
  private readonly legs: Leg[] = [];
  private readonly byRef = new Map<string, Leg>();
  private readonly legTimers = new Map<string, TimerHandle | undefined>();
  /** An IVR call's timers that run beside its phases: the callee's hang-up, max_duration. */
  private readonly sideTimers = new Map<string, (TimerHandle | undefined)[]>();
  private readonly bySession = new Map<string, Leg>();
  private readonly activeByApp = new Map<string, number>();
  private readonly activeByRoom = new Map<string, number>();
  private readonly knownRooms = new Set<string>();
  // Never reset: a receiver may still hold txn_refs from before a /_sim/reset, and they must not be reused.
  private txnSeq = 141_146;
  private roomSeq = 1_000;
  private sessionSeq = 4_000;

  constructor(private readonly deps: CallEngineDeps) {}

  activeCalls(appId: string): number {
    return this.activeByApp.get(appId) ?? 0;
  }

  roomParticipants(appId: string, room: string): number {
    return this.activeByRoom.get(roomKey(appId, room)) ?? 0;
  }

  /** A room id nobody in this application has used, in the documented charset. */
  newRoomId(appId: string): string {
    let id: string;
    do {
      this.roomSeq += 1;
      id = `R${this.roomSeq}`;
    } while (this.knownRooms.has(roomKey(appId, id)));
    return id;
  }

  dial(request: DialRequest): Leg[] {
    const { settings, clock, timers, planner, rng } = this.deps;
    const now = Date.now();
    const placed = request.dests.map(({ dest, rate }, index) => {
      this.txnSeq += 1;
      const plan = planner.plan(dest, settings.scripts, settings.timing, settings.outcomeWeights, rng());
      const leg: Leg = {
        txnRef: `AA-C-${this.txnSeq}`,
        kind: 'conference',
        appId: request.appId,
        dest,
        room: request.room,
        tag: request.tag,
        callerId: request.callerId,
        notifyUrl: request.notifyUrl,
        endpoint: request.endpoint,
        currency: request.currency,
        rate,
        plan,
        state: 'ringing',
        callStatus: undefined,
        muted: false,
        dialedAt: now,
        answeredAt: undefined,
        endedAt: undefined,
        answeredSim: undefined,
        minutes: undefined,
        debit: undefined,
        endedBy: undefined,
        ivr: undefined,
      };
      this.legs.push(leg);
      this.byRef.set(leg.txnRef, leg);
      // Numbers are dialed one after another, so the n-th leg starts ringing n dial gaps later.
      const untilRingEnds = plan.ringSeconds + index * settings.timing.dialGapSeconds;
      this.legTimers.set(
        leg.txnRef,
        timers.set(() => this.ringEnded(leg), clock.realMs(untilRingEnds)),
      );
      return leg;
    });

    this.knownRooms.add(roomKey(request.appId, request.room));
    this.adjust(request.appId, request.room, placed.length);
    return placed;
  }

  /** ivr/start/dial: one call, in the same store, txn_ref sequence and call count as conference legs. */
  dialIvr(request: IvrDialRequest): Leg {
    const { settings, clock, planner, rng } = this.deps;
    this.txnSeq += 1;
    this.sessionSeq += 1;
    const plan = planner.plan(request.dest, settings.scripts, settings.timing, settings.outcomeWeights, rng());
    const dial: IvrBlock = { name: 'dial', tag: request.tag, notifyUrl: request.notifyUrl };
    const leg: Leg = {
      txnRef: `AA-C-${this.txnSeq}`,
      kind: 'ivr',
      appId: request.appId,
      dest: request.dest,
      room: '',
      tag: request.tag,
      callerId: request.callerId,
      notifyUrl: request.notifyUrl,
      endpoint: 'ivr/start/dial',
      currency: request.currency,
      rate: request.rate,
      plan,
      state: 'ringing',
      callStatus: undefined,
      muted: false,
      dialedAt: Date.now(),
      answeredAt: undefined,
      endedAt: undefined,
      answeredSim: undefined,
      minutes: undefined,
      debit: undefined,
      endedBy: undefined,
      ivr: {
        session: `S${this.sessionSeq}`,
        phase: 'ringing',
        dialMsg: request.hasMsg,
        maxDurationSeconds: request.maxDurationSeconds,
        dial,
        latest: dial,
        blocksDone: [],
        digits: [],
        transferDest: undefined,
        transferStatus: undefined,
        transferRate: undefined,
        transferAnsweredSim: undefined,
        cursor: clock.nowSeconds(),
      },
    };
    this.legs.push(leg);
    this.byRef.set(leg.txnRef, leg);
    this.bySession.set(leg.ivr!.session, leg);
    this.adjust(request.appId, '', 1);
    this.phaseTimer(leg, plan.ringSeconds, () => this.ivrRingEnded(leg));
    return leg;
  }

  /** The IVR call a session id names, whichever application it belongs to (the endpoint tells them apart). */
  findSession(session: string): Leg | undefined {
    return this.bySession.get(session);
  }

  /**
   * Why a block cannot run on this call now, or undefined. An End block done (or under way) ends the session for
   * every later block; a forced hangup is the one block that may interrupt a ringing call, a message or a block.
   */
  blockRefusal(leg: Leg, forcedHangup = false): string | undefined {
    const phase = leg.ivr?.phase ?? 'ended';
    switch (phase) {
      case 'ended':
      case 'transfer-message':
      case 'transferred':
        return 'error_session_ended';
      case 'hangup-message':
        return forcedHangup ? undefined : 'error_session_ended';
      case 'idle':
        return undefined;
      default:
        return forcedHangup ? undefined : 'error_session_not_ready';
    }
  }

  /**
   * ivr/middle/gather. The keys come at the script's keyAfterSeconds if that falls within timeout × attempts; they
   * end the input at once when they hold a # or reach max_digits, else at the end of that attempt's timeout. No keys
   * (or keys too late): empty digits once every attempt has timed out.
   */
  gather(leg: Leg, block: GatherBlock): void {
    const ivr = this.beginBlock(leg, { name: 'gather', tag: block.tag, notifyUrl: block.notifyUrl }, 'gather');
    const window = block.timeoutSeconds * block.attempts;
    const { keys, keyAfterSeconds } = leg.plan;
    let digits = '';
    let after = window;
    if (keys !== '' && keyAfterSeconds <= window) {
      const hash = keys.indexOf('#');
      const typed = hash >= 0 ? keys.slice(0, hash) : keys;
      digits = block.maxDigits > 0 ? typed.slice(0, block.maxDigits) : typed;
      const ended = hash >= 0 || (block.maxDigits > 0 && typed.length >= block.maxDigits);
      after = ended
        ? keyAfterSeconds
        : Math.min(window, (Math.floor(keyAfterSeconds / block.timeoutSeconds) + 1) * block.timeoutSeconds);
    }
    this.phaseTimer(leg, after, () => {
      ivr.blocksDone.push('gather');
      ivr.digits.push(digits);
      this.deps.onIvrNotice(leg, { url: block.notifyUrl, callState: 'ongoing', tag: block.tag, digits });
      this.waitForBlock(leg);
    });
  }

  /** ivr/end/transfer, once the endpoint has checked the target (a room's seat is taken here, at once). */
  transfer(leg: Leg, block: TransferBlock): void {
    const ivr = this.beginBlock(
      leg,
      { name: 'transfer', tag: block.tag, notifyUrl: block.notifyUrl },
      'transfer-message',
    );
    const { target } = block;
    if ('room' in target) {
      leg.room = target.room;
      ivr.transferDest = `room:${target.room}`;
      this.knownRooms.add(roomKey(leg.appId, target.room));
      this.adjustRoom(leg.appId, target.room, 1);
    } else {
      ivr.transferDest = target.number;
    }
    const messageSeconds = block.hasMsg ? this.deps.settings.timing.ivrMessageSeconds : 0;
    this.phaseTimer(leg, messageSeconds, () => {
      if ('room' in target) {
        this.connected(leg, leg.plan.talkSeconds);
        return;
      }
      // The transfer's number rings like any call; its script (or the generator) decides how.
      const { settings, planner, rng } = this.deps;
      const plan = planner.plan(target.number, settings.scripts, settings.timing, settings.outcomeWeights, rng());
      ivr.phase = 'transfer-ringing';
      this.phaseTimer(leg, plan.ringSeconds, () => {
        if (plan.outcome === 'answered') {
          ivr.transferRate = target.rate;
          ivr.transferAnsweredSim = ivr.cursor;
          this.connected(leg, plan.talkSeconds);
          return;
        }
        ivr.transferStatus = plan.outcome;
        if (block.onFailure === 'hangup') {
          this.finishIvr(leg, 'transfer_failed');
          return;
        }
        this.deps.onIvrNotice(leg, {
          url: block.notifyUrl ?? ivr.dial.notifyUrl,
          callState: 'ongoing',
          tag: block.tag,
          transferStatus: plan.outcome,
        });
        this.waitForBlock(leg);
      });
    });
  }

  /** ivr/end/hangup: forced, now; else once its msg has been spoken (at once without one). */
  hangupBlock(leg: Leg, block: HangupBlock): void {
    const ivr = leg.ivr!;
    ivr.latest = { name: 'hangup', tag: block.tag, notifyUrl: block.notifyUrl };
    if (block.force || !block.hasMsg) {
      ivr.cursor = Math.max(ivr.cursor, this.deps.clock.nowSeconds());
      if (leg.state === 'ringing') this.finish(leg, 'unanswered', 0, 'ivr_hangup');
      else this.finishIvr(leg, 'ivr_hangup');
      return;
    }
    this.beginBlock(leg, ivr.latest, 'hangup-message');
    this.phaseTimer(leg, this.deps.settings.timing.ivrMessageSeconds, () => this.finishIvr(leg, 'ivr_hangup'));
  }

  find(appId: string, txnRef: string): Leg | undefined {
    const leg = this.byRef.get(txnRef);
    return leg && leg.appId === appId ? leg : undefined;
  }

  all(): readonly Leg[] {
    return this.legs;
  }

  /** Ends a leg now (kick, hangup). A leg still ringing ends unanswered and is not billed. */
  end(leg: Leg, reason: EndReason): void {
    if (leg.state === 'ended') return;
    if (leg.ivr && leg.state === 'answered') {
      leg.ivr.cursor = Math.max(leg.ivr.cursor, this.deps.clock.nowSeconds());
      this.finishIvr(leg, reason);
    } else if (leg.state === 'answered') {
      const talked = Math.min(leg.plan.talkSeconds, this.deps.clock.nowSeconds() - (leg.answeredSim ?? 0));
      this.finish(leg, 'answered', talked, reason);
    } else {
      this.finish(leg, 'unanswered', 0, reason);
    }
  }

  snapshot(): EngineSnapshot {
    return { txnSeq: this.txnSeq, roomSeq: this.roomSeq, sessionSeq: this.sessionSeq, legs: this.legs };
  }

  /**
   * Takes over the legs of a simulator that stopped (its state file). Legs that were still up count as active until
   * `endDropped` ends them; they get no timers, since their plans belonged to the stopped process.
   */
  restore(snapshot: EngineSnapshot): void {
    this.txnSeq = Math.max(this.txnSeq, snapshot.txnSeq);
    this.roomSeq = Math.max(this.roomSeq, snapshot.roomSeq);
    this.sessionSeq = Math.max(this.sessionSeq, snapshot.sessionSeq);
    for (const leg of snapshot.legs) {
      this.legs.push(leg);
      this.byRef.set(leg.txnRef, leg);
      if (leg.ivr) this.bySession.set(leg.ivr.session, leg);
      if (leg.room !== '') this.knownRooms.add(roomKey(leg.appId, leg.room));
      if (leg.state !== 'ended') {
        this.activeByApp.set(leg.appId, this.activeCalls(leg.appId) + 1);
        if (leg.room !== '')
          this.activeByRoom.set(roomKey(leg.appId, leg.room), this.roomParticipants(leg.appId, leg.room) + 1);
      }
    }
  }

  /**
   * A leg that was up when the simulator stopped ends now, as a carrier reports a call its switch dropped: answered
   * legs are billed up to the stop (`stoppedSim`, simulated seconds of the stopped process's clock), ringing ones
   * end failed and unbilled. Its end notification goes out as for any other end.
   */
  endDropped(leg: Leg, stoppedSim: number, stoppedAt: number): void {
    if (leg.state === 'ended') return;
    if (leg.state === 'ringing') {
      this.finish(leg, 'failed', 0, 'restart', stoppedAt);
      return;
    }
    if (leg.ivr) {
      leg.ivr.cursor = Math.max(leg.ivr.cursor, stoppedSim);
      this.finish(leg, 'answered', Math.max(0, leg.ivr.cursor - (leg.answeredSim ?? 0)), 'restart', stoppedAt);
      return;
    }
    const talked = Math.min(leg.plan.talkSeconds, Math.max(0, stoppedSim - (leg.answeredSim ?? 0)));
    this.finish(leg, 'answered', talked, 'restart', stoppedAt);
  }

  /** Forgets every leg without ending it (no bills, no notifications): for /_sim/reset. */
  reset(): void {
    for (const handle of this.legTimers.values()) this.deps.timers.clear(handle);
    this.legTimers.clear();
    for (const handles of this.sideTimers.values()) handles.forEach((handle) => this.deps.timers.clear(handle));
    this.sideTimers.clear();
    this.bySession.clear();
    this.legs.length = 0;
    this.byRef.clear();
    this.activeByApp.clear();
    this.activeByRoom.clear();
    this.knownRooms.clear();
  }

  private ringEnded(leg: Leg): void {
    if (leg.state !== 'ringing') return;
    if (leg.plan.outcome !== 'answered') {
      this.finish(leg, leg.plan.outcome, 0, 'completed');
      return;
    }
    leg.state = 'answered';
    leg.answeredAt = Date.now();
    leg.answeredSim = this.deps.clock.nowSeconds();
    this.legTimers.set(
      leg.txnRef,
      this.deps.timers.set(
        () => this.finish(leg, 'answered', leg.plan.talkSeconds, 'completed'),
        this.deps.clock.realMs(leg.plan.talkSeconds),
      ),
    );
  }

  private finish(leg: Leg, status: Outcome, talkSeconds: number, reason: EndReason, at = Date.now()): void {
    if (leg.state === 'ended') return;
    this.deps.timers.clear(this.legTimers.get(leg.txnRef));
    this.legTimers.delete(leg.txnRef);
    for (const handle of this.sideTimers.get(leg.txnRef) ?? []) this.deps.timers.clear(handle);
    this.sideTimers.delete(leg.txnRef);
    leg.state = 'ended';
    leg.callStatus = status;
    leg.endedAt = at;
    leg.endedBy = reason;
    leg.minutes = status === 'answered' ? billedMinutes(talkSeconds) : 0;
    leg.debit = debitFor(leg.rate, leg.minutes);
    const ivr = leg.ivr;
    if (ivr?.transferRate !== undefined && ivr.transferAnsweredSim !== undefined) {
      // A transfer to a number is a second outgoing call, billed at its own rate from its answer.
      leg.debit += debitFor(ivr.transferRate, billedMinutes(ivr.cursor - ivr.transferAnsweredSim));
    }
    const account = this.deps.accounts.get(leg.appId);
    if (account && leg.debit > 0) debit(account, leg.debit);
    this.adjust(leg.appId, leg.room, -1);
    if (ivr) {
      ivr.phase = 'ended';
      this.deps.onIvrNotice(leg, {
        url: ivr.latest.notifyUrl ?? ivr.dial.notifyUrl,
        callState: 'ended',
        tag: ivr.latest.tag,
        // The dial's outcome, repeated on the end: answered once it was, else how the ringing ended.
        dialStatus: leg.answeredSim !== undefined ? 'answered' : status,
        ...(ivr.transferStatus === undefined ? {} : { transferStatus: ivr.transferStatus }),
      });
    }
    this.deps.onEnded(leg);
  }

  /** An answered IVR call ends at its cursor: billed from answer to then. */
  private finishIvr(leg: Leg, reason: EndReason): void {
    const talked = (leg.ivr?.cursor ?? 0) - (leg.answeredSim ?? 0);
    this.finish(leg, 'answered', Math.max(0, talked), reason);
  }

  private ivrRingEnded(leg: Leg): void {
    const ivr = leg.ivr!;
    if (leg.plan.outcome !== 'answered') {
      this.finish(leg, leg.plan.outcome, 0, 'completed');
      return;
    }
    leg.state = 'answered';
    leg.answeredAt = Date.now();
    leg.answeredSim = ivr.cursor;
    const side: (TimerHandle | undefined)[] = [];
    const endAt = (seconds: number, reason: EndReason): void => {
      const due = ivr.cursor + seconds;
      side.push(
        this.deps.timers.set(
          () => {
            ivr.cursor = due;
            this.finishIvr(leg, reason);
          },
          this.deps.clock.realMs(Math.max(0, due - this.deps.clock.nowSeconds())),
        ),
      );
    };
    if (leg.plan.hangUpAfterSeconds !== undefined) endAt(leg.plan.hangUpAfterSeconds, 'callee');
    if (ivr.maxDurationSeconds !== undefined) endAt(ivr.maxDurationSeconds, 'max_duration');
    this.sideTimers.set(leg.txnRef, side);
    ivr.phase = 'dial-message';
    this.phaseTimer(leg, ivr.dialMsg ? this.deps.settings.timing.ivrMessageSeconds : 0, () => {
      ivr.blocksDone.push('dial');
      // Without a notify_url Hoiio hangs up once the msg has been spoken, and tells no one.
      if (ivr.dial.notifyUrl === undefined) {
        this.finishIvr(leg, 'completed');
        return;
      }
      this.deps.onIvrNotice(leg, {
        url: ivr.dial.notifyUrl,
        callState: 'ongoing',
        tag: ivr.dial.tag,
        dialStatus: 'answered',
      });
      this.waitForBlock(leg);
    });
  }

  /** Between blocks: hung up by the simulator if no block comes within ivrIdleSeconds. */
  private waitForBlock(leg: Leg): void {
    leg.ivr!.phase = 'idle';
    this.phaseTimer(leg, this.deps.settings.timing.ivrIdleSeconds, () => this.finishIvr(leg, 'idle'));
  }

  /** A block accepted now: the call's clock catches up with real time, the idle timer stops. */
  private beginBlock(leg: Leg, block: IvrBlock, phase: IvrPhase): IvrCall {
    const ivr = leg.ivr!;
    this.deps.timers.clear(this.legTimers.get(leg.txnRef));
    ivr.cursor = Math.max(ivr.cursor, this.deps.clock.nowSeconds());
    ivr.latest = block;
    ivr.phase = phase;
    return ivr;
  }

  /** A transfer went through: the call stays for `seconds`, then ends with transfer_status answered. */
  private connected(leg: Leg, seconds: number): void {
    const ivr = leg.ivr!;
    ivr.phase = 'transferred';
    ivr.transferStatus = 'answered';
    ivr.blocksDone.push('transfer');
    this.phaseTimer(leg, seconds, () => this.finishIvr(leg, 'completed'));
  }

  /** Runs `fn` `seconds` of simulated time after the call's cursor, and moves the cursor there when it does. */
  private phaseTimer(leg: Leg, seconds: number, fn: () => void): void {
    const ivr = leg.ivr!;
    const due = ivr.cursor + seconds;
    this.deps.timers.clear(this.legTimers.get(leg.txnRef));
    this.legTimers.set(
      leg.txnRef,
      this.deps.timers.set(
        () => {
          ivr.cursor = due;
          fn();
        },
        this.deps.clock.realMs(Math.max(0, due - this.deps.clock.nowSeconds())),
      ),
    );
  }

  private adjust(appId: string, room: string, delta: number): void {
    const active = this.activeCalls(appId) + delta;
    this.activeByApp.set(appId, active);
    this.deps.stats.observeConcurrent(appId, active);
    // An IVR call is in no room until a transfer puts it in one.
    if (room !== '') this.adjustRoom(appId, room, delta);
  }

  private adjustRoom(appId: string, room: string, delta: number): void {
    const key = roomKey(appId, room);
    const inRoom = (this.activeByRoom.get(key) ?? 0) + delta;
    this.activeByRoom.set(key, inRoom);
    this.deps.stats.observeRoom(room, inRoom);
  }
}

function roomKey(appId: string, room: string): string {
  return `${appId}\u0000${room}`;
}
