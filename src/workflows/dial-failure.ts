import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { classifyStatus } from '../hoiio/statuses';

/** Failure types that name no number but one of the numbers in the request: dial the batch's numbers alone. */
const NUMBER_SPECIFIC = new Set(['error_dest_not_supported', 'error_not_allowed_for_trial', 'error_dest_invalid']);
/** Failures raised before a request leaves the worker: nothing was dialed, and retrying cannot help. */
const NOT_SENT = new Set(['HoiioInputError', 'HoiioConfigError']);

export type DialFailure =
  /** Hoiio refused one of the numbers, without saying which. */
  | { kind: 'number'; type: string }
  /** Hoiio refused for a reason that applies to every request of the session (token, credit, room, notify_url). */
  | { kind: 'session'; type: string }
  /** The request never left the worker. */
  | { kind: 'not-sent'; type: string }
  /** Anything else: retries ran out, or an attempt died mid-request. The request may have been placed. */
  | { kind: 'ambiguous'; type: string };

/**
 * Only a final answer from Hoiio is a refusal: a status the one status table calls non-retryable, on an attempt that
 * failed as non-retryable. A retryable status whose retries ran out (a long rate limit), a timeout, a worker that
 * stopped mid-request: all of these may have dialed, and are reconciled by tag before anything else.
 */
export function classifyDialFailure(error: unknown): DialFailure {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : 'unknown';
  const final = cause instanceof ApplicationFailure && cause.nonRetryable;
  if (final && NOT_SENT.has(type)) return { kind: 'not-sent', type };
  const status = classifyStatus(type);
  if (!final || status.retryable || status.category === 'unknown') return { kind: 'ambiguous', type };
  return NUMBER_SPECIFIC.has(type) ? { kind: 'number', type } : { kind: 'session', type };
}
