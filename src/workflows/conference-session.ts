/**
 * `conferenceSession`: dials a list of participants into one Hoiio conference room and follows every leg to its end
 * (docs/design.md, invariants 1 to 9).
 *
 * - At most 8 numbers per request and 8 active legs in the room; the rest wait in order and are dialed as legs end.
 * - One permit from the account's `callBudget` per leg, taken before dialing and given back when the leg has ended.
 * - A leg's end comes from its notification (the `callEnded` signal) or, when none has come after the grace period,
 *   from polling voice/query_status. Duplicates and ends that beat the dial's reply are settled by the leg book.
 * - Numbers that Hoiio rejects one by one (unsupported, trial) fail alone: a rejected batch is split and retried
 *   number by number, so one bad number does not sink the others.
 * - Finishes with an exact cost summary; continues-as-new with its whole state when history grows long.
 *
 * The rules live in {@link ConferenceSessionRun}; this function wires the messages to it. Deterministic only: no I/O,
 * no Node built-ins. The access token is never seen here: activities hold it.
 */
import { setHandler } from '@temporalio/workflow';
import type { SessionInput } from '../domain/session-input';
import type { SessionSummary } from '../domain/session-types';
import { ConferenceSessionRun, type SessionResume } from './session/conference-session-run';
import {
  addParticipantsUpdate,
  callEndedSignal,
  endUpdate,
  kickUpdate,
  muteUpdate,
  redialUpdate,
  statusQuery,
  unmuteUpdate,
  type AddParticipantsRequest,
  type EndRequest,
  type ModerateRequest,
  type RedialRequest,
} from './messages';

export { DEFAULT_GRACE_SECONDS, type SessionResume } from './session/conference-session-run';
export { MAX_END_REASON_LENGTH } from './session/session-requests';

export async function conferenceSession(input: SessionInput, resume?: SessionResume): Promise<SessionSummary> {
  const session = new ConferenceSessionRun(input, resume);
  setHandler(callEndedSignal, (payload: unknown) => session.callEnded(payload));
  setHandler(statusQuery, () => session.status());
  setHandler(addParticipantsUpdate, (request) => session.addParticipants(request), {
    validator: (request: AddParticipantsRequest) => session.validateAddParticipants(request),
  });
  for (const [update, action] of [
    [kickUpdate, 'kick'],
    [muteUpdate, 'mute'],
    [unmuteUpdate, 'unmute'],
  ] as const) {
    setHandler(update, (request: ModerateRequest) => session.moderate(action, request), {
      validator: (request: ModerateRequest) => session.validateModeration(action, request),
    });
  }
  setHandler(redialUpdate, (request) => session.redial(request), {
    validator: (request: RedialRequest) => session.validateRedial(request),
  });
  setHandler(endUpdate, (request) => session.end(request), {
    validator: (request: EndRequest) => session.validateEnd(request),
  });
  return await session.run();
}
