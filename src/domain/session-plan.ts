/**
 * Planning, as a pure state machine: who is in the session, who waits to be dialed and in what order, who goes in
 * the next batch (docs/design.md, invariant 1), and what a leg's end means for its participant (answered, a redial
 * after a delay, or a final outcome). Legs themselves are tracked by the {@link LegBook}, which tells the plan as
 * legs are placed and end.
 */
import { earliest } from './earliest';
import { MAX_DESTINATIONS_PER_REQUEST, type FinalCallStatus } from './hoiio-rules';
import type { LegListener, LegRecord } from './leg-book';
import { participantNumber } from './session-input';
import type { ParticipantInput, ParticipantStatus, ParticipantView, RedialRules } from './session-types';

/** What the session keeps of a participant: the live view's identity fields, plus dialing bookkeeping. */
export interface ParticipantRecord extends Pick<
  ParticipantView,
  'number' | 'name' | 'status' | 'attempts' | 'txnRefs' | 'reason'
> {
  redialAt?: number;
  /** Dial alone: a request with this number failed for a reason that names no number. */
  solo?: boolean;
  /** Never redial: we ended the call ourselves (kick, end). */
  noRedial?: boolean;
}

/** The plan's part of a snapshot: plain JSON. */
export interface SessionPlanSnapshot {
  batchCounter: number;
  participants: ParticipantRecord[];
  /** Numbers waiting to be dialed, in dialing order. */
  queue: string[];
}

export const FINISHED: ReadonlySet<ParticipantStatus> = new Set([
  'answered',
  'unanswered',
  'busy',
  'failed',
  'cancelled',
]);
const UNKNOWN_LEG_REASON = 'unknown_txn_ref';

export class SessionPlan implements LegListener {
  private readonly participants = new Map<string, ParticipantRecord>();
  private queue: string[];
  private batchCounter: number;

  constructor(
    snapshot: SessionPlanSnapshot,
    private readonly redial: RedialRules,
    /** How a participant's last leg ended, if it has: an abandoned redial keeps that outcome. */
    private readonly endOfLeg: (txnRef: string) => FinalCallStatus | undefined,
  ) {
    this.batchCounter = snapshot.batchCounter;
    for (const participant of snapshot.participants) this.participants.set(participant.number, { ...participant });
    this.queue = [...snapshot.queue];
  }

  snapshot(): SessionPlanSnapshot {
    return {
      batchCounter: this.batchCounter,
      participants: this.list().map((p) => ({ ...p, txnRefs: [...p.txnRefs] })),
      queue: [...this.queue],
    };
  }

  /** Every participant, in the order they joined (read-only: changed only through the plan's methods). */
  list(): readonly ParticipantRecord[] {
    return [...this.participants.values()];
  }

  get(number: string): ParticipantRecord | undefined {
    return this.participants.get(number);
  }

  /** Queues new participants; numbers already in the session are skipped. Returns the numbers added. */
  add(entries: readonly ParticipantInput[]): string[] {
    const added: string[] = [];
    for (const entry of entries) {
      const number = participantNumber(entry);
      if (this.participants.has(number)) continue;
      const name = typeof entry === 'string' ? undefined : entry.name;
      this.participants.set(number, { number, ...(name ? { name } : {}), status: 'queued', attempts: 0, txnRefs: [] });
      this.queue.push(number);
      added.push(number);
    }
    return added;
  }

  /**
   * A manual redial of a participant whose call has ended: it waits again at the back of the queue, and comes back
   * under the session's redial rules (a kick no longer holds). The cap of those rules counts every attempt, manual
   * ones too, so a redial by hand never resets it: a participant that used up its automatic redials is not redialed
   * automatically after a manual one either. Returns false, changing nothing, unless the participant's call has ended.
   */
  dialAgain(number: string): boolean {
    const participant = this.participants.get(number);
    if (!participant || !FINISHED.has(participant.status)) return false;
    participant.status = 'queued';
    delete participant.noRedial;
    delete participant.reason;
    this.queue.push(number);
    return true;
  }

  /** Participants whose turn has come, in queue order. */
  ready(now: number): ParticipantRecord[] {
    return this.queue
      .map((number) => this.participants.get(number)!)
      .filter((p) => p.status === 'queued' || (p.status === 'redial-wait' && (p.redialAt ?? 0) <= now));
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * The next request: up to `permits` ready participants, never more than 8 numbers per request and never more than
   * the `vacancies` of the room. A participant marked solo goes alone, so that a number-specific rejection can be
   * pinned on it.
   */
  nextBatch(now: number, permits: number, vacancies: number): ParticipantRecord[] {
    const max = Math.min(permits, MAX_DESTINATIONS_PER_REQUEST, vacancies);
    const ready = this.ready(now);
    if (ready.length === 0 || max < 1) return [];
    const first = ready[0]!;
    if (first.solo) return [first];
    return ready.filter((p) => !p.solo).slice(0, max);
  }

  /** Marks a batch as being dialed (one attempt each) and returns its unique batch number. */
  beginDial(numbers: readonly string[]): number {
    this.batchCounter += 1;
    for (const number of numbers) {
      const participant = this.participants.get(number)!;
      participant.status = 'in-call';
      participant.attempts += 1;
      delete participant.redialAt;
    }
    this.queue = this.queue.filter((number) => !numbers.includes(number));
    return this.batchCounter;
  }

  /** The request for these numbers was not placed: back to the front of the queue, the attempt not counted. */
  dialNotPlaced(numbers: readonly string[], options: { solo: boolean }): void {
    for (const number of numbers) {
      const participant = this.participants.get(number)!;
      participant.status = 'queued';
      participant.attempts = Math.max(0, participant.attempts - 1);
      if (options.solo) participant.solo = true;
    }
    this.queue = [...numbers, ...this.queue.filter((number) => !numbers.includes(number))];
  }

  /**
   * These participants cannot be dialed at all (the reason is Hoiio's status), or, `cancelled`, will not be (a partial
   * run leaves them out).
   */
  dialFailed(numbers: readonly string[], reason: string, status: 'failed' | 'cancelled' = 'failed'): void {
    for (const number of numbers) {
      const participant = this.participants.get(number)!;
      participant.status = status;
      participant.reason = reason;
      delete participant.solo;
    }
    this.queue = this.queue.filter((number) => !numbers.includes(number));
  }

  legPlaced(leg: LegRecord): void {
    const participant = this.participants.get(leg.number)!;
    if (!participant.txnRefs.includes(leg.txnRef)) participant.txnRefs.push(leg.txnRef);
  }

  /** Applies the redial rules, unless the participant is settled already (a late leg) or was ended by us. */
  legEnded(leg: LegRecord, now: number): void {
    const end = leg.end!;
    // A leg Hoiio never knew is not worth a redial: its number may be the reason.
    if (end.source === 'assumed') this.endedByUs(leg.number);
    this.applyEnd(this.participants.get(leg.number)!, end.status, now);
    if (end.source === 'assumed') {
      const participant = this.participants.get(leg.number);
      if (participant) participant.reason ??= UNKNOWN_LEG_REASON;
    }
  }

  /**
   * The participant takes the corrected leg's status if it was their last leg. Redial rules are not applied again:
   * the participant's turn has passed.
   */
  endCorrected(leg: LegRecord): void {
    const participant = this.participants.get(leg.number);
    if (!participant || participant.txnRefs.at(-1) !== leg.txnRef || !FINISHED.has(participant.status)) return;
    participant.status = leg.end!.status;
    if (participant.reason === UNKNOWN_LEG_REASON) delete participant.reason;
  }

  /** We are ending this participant's call ourselves (kick, end): its end is final, whatever the redial rules say. */
  endedByUs(number: string, reason?: string): void {
    const participant = this.participants.get(number);
    if (!participant) return;
    participant.noRedial = true;
    if (reason) participant.reason = reason;
  }

  /**
   * Everyone still waiting will not be dialed: never-dialed participants become `status` (cancelled when the session
   * ends, failed when the account cannot dial), and an abandoned redial keeps the outcome of its last leg. Returns
   * how many were waiting.
   */
  abandonWaiting(status: 'cancelled' | 'failed', reason: string): number {
    let abandoned = 0;
    for (const number of this.queue) {
      const participant = this.participants.get(number)!;
      if (participant.status === 'redial-wait') participant.status = this.lastLegStatus(participant) ?? status;
      else if (participant.status === 'queued') participant.status = status;
      else continue;
      participant.reason ??= reason;
      delete participant.redialAt;
      delete participant.solo;
      abandoned += 1;
    }
    this.queue = [];
    return abandoned;
  }

  /** When the next waiting redial is due, or undefined. */
  nextRedialAt(): number | undefined {
    let next: number | undefined;
    for (const number of this.queue) {
      const participant = this.participants.get(number)!;
      if (participant.status === 'redial-wait' && participant.redialAt !== undefined) {
        next = earliest(next, participant.redialAt);
      }
    }
    return next;
  }

  private applyEnd(participant: ParticipantRecord, status: FinalCallStatus, now: number): void {
    if (participant.status !== 'in-call') return; // e.g. a late leg of a participant already settled
    if (status === 'answered') {
      participant.status = 'answered';
      return;
    }
    const rule = this.redial[status];
    if (rule && !participant.noRedial && participant.attempts < 1 + rule.attempts) {
      participant.status = 'redial-wait';
      participant.redialAt = now + rule.delaySeconds * 1000;
      this.queue.push(participant.number);
    } else {
      participant.status = status;
    }
  }

  private lastLegStatus(participant: ParticipantRecord): FinalCallStatus | undefined {
    const txnRef = participant.txnRefs.at(-1);
    return txnRef ? this.endOfLeg(txnRef) : undefined;
  }
}
