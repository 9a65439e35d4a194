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
export type EndReason = 'completed' | 'kick' | 'hangup';

/** One participant's call leg: what Hoiio calls a transaction, identified by its txn_ref. */
export interface Leg {
  txnRef: string;
  appId: string;
  dest: string;
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
  private readonly activeByApp = new Map<string, number>();
  private readonly activeByRoom = new Map<string, number>();
  private readonly knownRooms = new Set<string>();
  // Never reset: a receiver may still hold txn_refs from before a /_sim/reset, and they must not be reused.
  private txnSeq = 141_146;
  private roomSeq = 1_000;

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
    if (leg.state === 'answered') {
      const talked = Math.min(leg.plan.talkSeconds, this.deps.clock.nowSeconds() - (leg.answeredSim ?? 0));
      this.finish(leg, 'answered', talked, reason);
    } else {
      this.finish(leg, 'unanswered', 0, reason);
    }
  }

  /** Forgets every leg without ending it (no bills, no notifications): for /_sim/reset. */
  reset(): void {
    for (const handle of this.legTimers.values()) this.deps.timers.clear(handle);
    this.legTimers.clear();
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

  private finish(leg: Leg, status: Outcome, talkSeconds: number, reason: EndReason): void {
    if (leg.state === 'ended') return;
    this.deps.timers.clear(this.legTimers.get(leg.txnRef));
    this.legTimers.delete(leg.txnRef);
    leg.state = 'ended';
    leg.callStatus = status;
    leg.endedAt = Date.now();
    leg.endedBy = reason;
    leg.minutes = status === 'answered' ? billedMinutes(talkSeconds) : 0;
    leg.debit = debitFor(leg.rate, leg.minutes);
    const account = this.deps.accounts.get(leg.appId);
    if (account && leg.debit > 0) debit(account, leg.debit);
    this.adjust(leg.appId, leg.room, -1);
    this.deps.onEnded(leg);
  }

  private adjust(appId: string, room: string, delta: number): void {
    const active = this.activeCalls(appId) + delta;
    this.activeByApp.set(appId, active);
    const key = roomKey(appId, room);
    const inRoom = (this.activeByRoom.get(key) ?? 0) + delta;
    this.activeByRoom.set(key, inRoom);
    this.deps.stats.observeConcurrent(appId, active);
    this.deps.stats.observeRoom(room, inRoom);
  }
}

function roomKey(appId: string, room: string): string {
  return `${appId}\u0000${room}`;
}
