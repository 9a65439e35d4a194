/**
 * Why each waiting participant waits, and what each live call is doing, read from the session's state alone (no I/O,
 * so a status query can compute it without touching history). The order of the checks is the main loop's: nothing
 * is dialed while a dial is being sent, then a batch needs a place in the room, then a permit for each number.
 */
import type { LegRecord } from './leg-book';
import type { ParticipantRecord } from './session-plan';
import type { LiveCall, WaitReason } from './session-types';

export interface WaitContext {
  now: number;
  /** Participants whose turn has come, in queue order. */
  ready: readonly ParticipantRecord[];
  /** Every participant. */
  participants: readonly ParticipantRecord[];
  activeLegOf(number: string): LegRecord | undefined;
  activeLegs: number;
  /** Places left in the room. */
  vacancies: number;
  /** Permits on hand for dials. */
  permitsAvailable: number;
}

export interface LiveViews {
  waiting: Map<string, WaitReason>;
  calls: Map<string, LiveCall>;
}

export function liveViews(context: WaitContext): LiveViews {
  const calls = new Map<string, LiveCall>();
  for (const p of context.participants) {
    if (p.status !== 'in-call') continue;
    const leg = context.activeLegOf(p.number);
    calls.set(p.number, leg ? { state: 'ringing', muted: leg.muted === true } : { state: 'dialing', muted: false });
  }
  const waiting = new Map<string, WaitReason>();
  for (const p of context.participants) {
    if (p.status === 'redial-wait' && p.redialAt !== undefined && p.redialAt > context.now) {
      waiting.set(p.number, {
        kind: 'redial-delay',
        until: new Date(p.redialAt).toISOString(),
        attempt: p.attempts + 1,
      });
    }
  }
  const dialing = [...calls.values()].some((call) => call.state === 'dialing');
  context.ready.forEach((p, index) => {
    // The first `permitsAvailable` of those with a place are about to be dialed: no reason to give.
    const reason: WaitReason | undefined = dialing
      ? { kind: 'dial-in-progress' }
      : index >= context.vacancies
        ? { kind: 'room-full', inRoom: context.activeLegs }
        : index >= context.permitsAvailable
          ? { kind: 'no-line' }
          : undefined;
    if (reason) waiting.set(p.number, reason);
  });
  return { waiting, calls };
}
