/**
 * Checks of the session's updates, run before an update is accepted: a rejected update leaves no trace in history.
 * Callers outside TypeScript (the temporal CLI) can send anything, so the shape is checked too (docs/design.md,
 * invariant 7).
 */
import { E164_PATTERN, E164_RULE } from '../../domain/hoiio-rules';
import { MAX_PARTICIPANTS, formatProblems, participantNumber, validateParticipants } from '../../domain/session-input';
import type { ParticipantStatus, SessionPhase } from '../../domain/session-types';
import type { AddParticipantsRequest, EndRequest, ModerateRequest, RedialRequest } from '../messages';

/** Longest `end` reason kept: it is copied into every participant still waiting, and carried over continue-as-new. */
export const MAX_END_REASON_LENGTH = 200;

export type ModerationAction = 'kick' | 'mute' | 'unmute';

/** What the checks read of the session. */
export interface SessionRoster {
  has(number: string): boolean;
  readonly size: number;
  activeLegOf(number: string): unknown;
  statusOf(number: string): ParticipantStatus | undefined;
}

const REDIAL_RULE = 'only a participant whose call has ended can be redialed';

export function checkAddParticipants(
  request: AddParticipantsRequest,
  phase: SessionPhase,
  roster: SessionRoster,
): void {
  if (phase !== 'running') throw new Error(`The session is ${phase}: no participants can be added`);
  const list = validateParticipants((request as Partial<AddParticipantsRequest> | undefined)?.participants);
  if (!list.ok) throw new Error(`Invalid participants: ${formatProblems(list.problems)}`);
  const fresh = new Set(list.value.map(participantNumber).filter((number) => !roster.has(number)));
  if (roster.size + fresh.size > MAX_PARTICIPANTS) {
    throw new Error(`A session has at most ${MAX_PARTICIPANTS} participants; it has ${roster.size}`);
  }
}

export function checkModeration(action: ModerationAction, request: ModerateRequest, roster: SessionRoster): void {
  if (!request || typeof request.number !== 'string') throw new Error('Expected { number: "<E.164>" }');
  if (!roster.has(request.number)) throw new Error(`${request.number} is not a participant of this session`);
  if (!roster.activeLegOf(request.number)) throw new Error(`${request.number} has no active call to ${action}`);
}

/**
 * Why `number` cannot be dialed again now, or undefined when it can: the session runs and the participant's call has
 * ended. The `redial` validator throws it; `addParticipants` uses it to point at `redial`.
 */
export function redialRefusal(number: string, phase: SessionPhase, roster: SessionRoster): string | undefined {
  if (phase !== 'running') return `The session is ${phase}: ${number} cannot be redialed`;
  const status = roster.statusOf(number);
  if (status === undefined) {
    return `${number} is not a participant of this session: use addParticipants to dial a new number`;
  }
  if (status === 'in-call' || roster.activeLegOf(number)) return `${number} still has a live call: ${REDIAL_RULE}`;
  if (status === 'queued') return `${number} is queued for dialing already: ${REDIAL_RULE}`;
  if (status === 'redial-wait') return `${number} is waiting for an automatic redial already: ${REDIAL_RULE}`;
  return undefined;
}

export function checkRedial(request: RedialRequest, phase: SessionPhase, roster: SessionRoster): void {
  const number: unknown = (request as Partial<RedialRequest> | undefined)?.number;
  if (typeof number !== 'string' || !E164_PATTERN.test(number)) {
    throw new Error(`number ${JSON.stringify(number)}: ${E164_RULE}`);
  }
  const refusal = redialRefusal(number, phase, roster);
  if (refusal) throw new Error(refusal);
}

export function checkEnd(request: EndRequest, phase: SessionPhase): void {
  if (phase !== 'running') throw new Error(`The session is already ${phase}`);
  const reason: unknown = (request as Partial<EndRequest> | undefined)?.reason;
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_END_REASON_LENGTH)) {
    throw new Error(`reason must be a string of at most ${MAX_END_REASON_LENGTH} characters`);
  }
}
