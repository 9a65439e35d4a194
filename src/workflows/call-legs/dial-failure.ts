import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { classifyStatus, type StatusScope } from '../../hoiio/statuses';

/** Failures raised before a request leaves the worker: nothing was dialed, and retrying cannot help. */
const NOT_SENT = new Set(['HoiioInputError', 'HoiioConfigError']);

export type DialFailure =
  /**
   * A final answer from Hoiio, and what it concerns (from the status table): one of the numbers, without saying which;
   * the request itself (room, notify_url, tag), so every request built the same way; or the account (token, credit).
   */
  | { kind: 'refused'; scope: StatusScope; type: string }
  /** The request never left the worker. */
  | { kind: 'not-sent'; type: string }
  /** Anything else: retries ran out, or an attempt died mid-request. The request may have been placed. */
  | { kind: 'ambiguous'; type: string };

/**
 * Only a final answer from Hoiio is a refusal: a status the one status table calls neither retryable nor ambiguous,
 * on an attempt that failed as non-retryable. A retryable status whose retries ran out (a long rate limit), a status
 * we do not know, a timeout, a worker that stopped mid-request: all of these may have dialed, and are reconciled by
 * tag before anything else (docs/design.md, invariant 2).
 */
export function classifyDialFailure(error: unknown): DialFailure {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : 'unknown';
  const final = cause instanceof ApplicationFailure && cause.nonRetryable;
  if (final && NOT_SENT.has(type)) return { kind: 'not-sent', type };
  const status = classifyStatus(type);
  if (!final || status.retryable || status.ambiguous) return { kind: 'ambiguous', type };
  return { kind: 'refused', scope: status.scope, type };
}
