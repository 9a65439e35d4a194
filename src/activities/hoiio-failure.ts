import { ApplicationFailure, Context } from '@temporalio/activity';
import { HoiioApiError, HoiioConfigError, HoiioInputError, HoiioTransportError } from '../hoiio/errors';
import { UNKNOWN_LEG } from '../hoiio/statuses';
import type { Progress } from './attempt';

/**
 * Hoiio's answer as a Temporal failure whose type is Hoiio's status, so workflows and retry policies can act on it
 * (the workflow reads what a status means from the same table, `src/hoiio/statuses.ts`). Retryable failures are
 * recorded in the heartbeat first, so the attempt that finally succeeds can report them.
 */
export function toFailure(error: unknown, progress?: Progress, signal?: AbortSignal): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof HoiioApiError) {
    if (error.retryable) return retryable(error.message, error.status, progress);
    return ApplicationFailure.nonRetryable(error.message, error.status);
  }
  if (error instanceof HoiioTransportError) {
    const context = Context.current();
    // A deploy stops the worker under a running attempt: the work is not cancelled, only this worker's part of it.
    // Another worker retries, and looks in the history first, since the request may have gone through.
    if (context.cancellationDetails?.workerShutdown) return retryable(error.message, 'worker_shutdown', progress);
    const cancelled = context.cancellationSignal.aborted;
    // Our own deadline, or an answer we could not read: Hoiio may have acted, so try again, reconciling first.
    if (error.retryable || (error.ambiguous && !cancelled)) {
      const reason = error.reason === 'aborted' && signal?.aborted ? 'timeout' : error.reason;
      return retryable(error.message, `transport_${reason}`, progress);
    }
    return ApplicationFailure.nonRetryable(error.message, `transport_${error.reason}`);
  }
  if (error instanceof HoiioInputError || error instanceof HoiioConfigError) {
    return ApplicationFailure.nonRetryable(error.message, error.name);
  }
  return retryable(error instanceof Error ? error.message : String(error), 'unexpected', progress);
}

export function retryable(message: string, type: string, progress: Progress | undefined): ApplicationFailure {
  if (progress) {
    progress.retryReasons.push(type);
    Context.current().heartbeat(progress);
  }
  return ApplicationFailure.retryable(message, type);
}

/** Hoiio does not know the leg (anymore): it has ended, or it never was. */
export function isUnknownLeg(error: unknown): boolean {
  return error instanceof HoiioApiError && error.status === UNKNOWN_LEG;
}
