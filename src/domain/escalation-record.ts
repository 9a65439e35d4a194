/**
 * What an escalation has done so far, as a pure state machine: each responder's try (waiting, dialed, ringing,
 * answered, and how it ended), the timeline people read, and the acknowledgement. The workflow drives it and asks it
 * questions; it knows nothing of Temporal or Hoiio requests.
 */
import type { Acknowledgement, ResponderTry, TimelineEntry, TryState } from './escalation-types';
import type { Position, Responder } from './escalation-plan';

/** Enough for a day of paging; older entries are dropped (and counted) so the carried state stays small. */
export const MAX_TIMELINE = 2_000;

const FINAL: ReadonlySet<TryState> = new Set([
  'acknowledged',
  'declined',
  'no-key',
  'unanswered',
  'busy',
  'failed',
  'hung-up',
  'cancelled',
]);

export interface EscalationRecordSnapshot {
  nextTryId: number;
  /** Tries not yet over, and the acknowledger's. */
  tries: ResponderTry[];
  timeline: TimelineEntry[];
  timelineDropped: number;
  acknowledged?: Acknowledgement;
}

export class EscalationRecord {
  private nextTryId: number;
  private readonly tries = new Map<number, ResponderTry>();
  private readonly byTxn = new Map<string, ResponderTry>();
  private readonly timeline: TimelineEntry[];
  private timelineDropped: number;
  acknowledged: Acknowledgement | undefined;

  constructor(
    snapshot: EscalationRecordSnapshot | undefined,
    private readonly startedAt: number,
  ) {
    this.nextTryId = snapshot?.nextTryId ?? 1;
    this.timeline = [...(snapshot?.timeline ?? [])];
    this.timelineDropped = snapshot?.timelineDropped ?? 0;
    this.acknowledged = snapshot?.acknowledged;
    for (const attempt of snapshot?.tries ?? []) this.keep({ ...attempt });
  }

  snapshot(): EscalationRecordSnapshot {
    return {
      nextTryId: this.nextTryId,
      tries: [...this.tries.values()].filter((t) => !isOver(t) || t.state === 'acknowledged').map((t) => ({ ...t })),
      timeline: [...this.timeline],
      timelineDropped: this.timelineDropped,
      ...(this.acknowledged ? { acknowledged: this.acknowledged } : {}),
    };
  }

  note(entry: Omit<TimelineEntry, 'round' | 'step'>, position: Position): void {
    this.timeline.push({ ...entry, round: position.round, step: position.step });
    if (this.timeline.length > MAX_TIMELINE) {
      this.timeline.shift();
      this.timelineDropped += 1;
    }
  }

  timelineView(): { timeline: TimelineEntry[]; timelineDropped?: number } {
    return {
      timeline: [...this.timeline],
      ...(this.timelineDropped > 0 ? { timelineDropped: this.timelineDropped } : {}),
    };
  }

  newTry(responder: Responder, position: Position, now: number): ResponderTry {
    const attempt: ResponderTry = {
      id: this.nextTryId++,
      number: responder.number,
      ...(responder.name === undefined ? {} : { name: responder.name }),
      round: position.round,
      step: position.step,
      state: 'waiting',
      startedAt: now,
    };
    this.keep(attempt);
    return attempt;
  }

  get(id: number): ResponderTry | undefined {
    return this.tries.get(id);
  }

  byTxnRef(txnRef: string): ResponderTry | undefined {
    return this.byTxn.get(txnRef);
  }

  placed(attempt: ResponderTry, txnRef: string, now: number): void {
    attempt.txnRef = txnRef;
    this.byTxn.set(txnRef, attempt);
    if (attempt.state === 'dialing') attempt.state = 'ringing';
    this.note({ at: now, event: 'rang', ...who(attempt) }, attempt);
  }

  /** Moves a try on; a try that is over stays as it ended (a late or repeated event changes nothing). */
  move(attempt: ResponderTry, state: TryState, now: number, detail?: string): boolean {
    if (isOver(attempt)) return false;
    attempt.state = state;
    if (FINAL.has(state)) {
      attempt.endedAt = now;
      if (detail !== undefined) attempt.detail = detail;
    }
    return true;
  }

  acknowledge(ack: Omit<Acknowledgement, 'secondsToAcknowledge'>): Acknowledgement | undefined {
    if (this.acknowledged) return undefined;
    this.acknowledged = { ...ack, secondsToAcknowledge: Math.round((ack.at - this.startedAt) / 1000) };
    return this.acknowledged;
  }

  /** The try whose keypress acknowledged, if one did. */
  acknowledger(): ResponderTry | undefined {
    return [...this.tries.values()].find((attempt) => attempt.state === 'acknowledged');
  }

  /** The tries of one position, in the order they were made. */
  triesAt(position: Position): ResponderTry[] {
    return [...this.tries.values()].filter((t) => t.round === position.round && t.step === position.step);
  }

  /** Tries that may still have a call up, or may yet be dialed. */
  live(): ResponderTry[] {
    return [...this.tries.values()].filter((t) => !isOver(t));
  }

  /** Forgets tries that are over, except the acknowledger's: the status shows the current step only. */
  forgetFinished(keep: (attempt: ResponderTry) => boolean): void {
    for (const attempt of [...this.tries.values()]) {
      if (!isOver(attempt) || attempt.state === 'acknowledged' || keep(attempt)) continue;
      this.tries.delete(attempt.id);
      if (attempt.txnRef) this.byTxn.delete(attempt.txnRef);
    }
  }

  all(): ResponderTry[] {
    return [...this.tries.values()].map((t) => ({ ...t }));
  }

  private keep(attempt: ResponderTry): void {
    this.tries.set(attempt.id, attempt);
    if (attempt.txnRef) this.byTxn.set(attempt.txnRef, attempt);
  }
}

export function isOver(attempt: Pick<ResponderTry, 'state'>): boolean {
  return FINAL.has(attempt.state);
}

export function who(attempt: Pick<ResponderTry, 'number' | 'name'>): { number: string; name?: string } {
  return attempt.name === undefined ? { number: attempt.number } : { number: attempt.number, name: attempt.name };
}
