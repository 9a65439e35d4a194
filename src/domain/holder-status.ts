/** A holder workflow's state as the budget needs it: running (keeps its permits) or gone (they come back). */
export type HolderStatus =
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TERMINATED'
  | 'CONTINUED_AS_NEW'
  | 'TIMED_OUT'
  | 'NOT_FOUND'
  | 'UNKNOWN';

/**
 * Whether a holder in this status will never release its permits: it closed, or there is no such workflow. A run
 * that continued-as-new has a successor holding the same permits, and a status that could not be read says nothing.
 */
export function holderGone(status: HolderStatus): boolean {
  return status !== 'RUNNING' && status !== 'CONTINUED_AS_NEW' && status !== 'UNKNOWN';
}
