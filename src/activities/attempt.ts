import { Context } from '@temporalio/activity';

/**
 * Every request of one attempt is abandoned this long after the attempt started. It is shorter than the workflow's
 * heartbeatTimeout (30 s) and startToCloseTimeout (2 min): whichever way the server gives up on an attempt, the
 * attempt has stopped dialing by then, so the next one can never reconcile while an old request is still on its way
 * (docs/design.md, invariant 2). The settle wait of a history lookup counts against it too.
 */
export const ATTEMPT_DEADLINE_MS = 25_000;
/** Well inside the workflow's heartbeatTimeout, so a live attempt is never taken for a dead one. */
const HEARTBEAT_EVERY_MS = 5_000;

/** Heartbeat details: what earlier attempts did, so that the final result can report all of it. */
export interface Progress {
  conferenceCallRequests: number;
  historyLookups: number;
  retryReasons: string[];
}

export function noProgress(): Progress {
  return { conferenceCallRequests: 0, historyLookups: 0, retryReasons: [] };
}

/** Heartbeats on a clock while the attempt waits on Hoiio, so a dead worker is noticed within the heartbeatTimeout. */
export function keepHeartbeating(progress: Progress): { stop(): void } {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(progress), HEARTBEAT_EVERY_MS);
  return { stop: () => clearInterval(timer) };
}

/** Ends when the attempt's deadline passes or Temporal cancels the activity, whichever comes first. */
export function attemptSignal(): AbortSignal {
  return AbortSignal.any([AbortSignal.timeout(ATTEMPT_DEADLINE_MS), Context.current().cancellationSignal]);
}
