/**
 * The priority of a call permit request, and the order in which the call budget serves waiting requests
 * (docs/design.md, "callBudget"). Pure: shared by the budget, the holders and their tests.
 *
 * It follows Temporal's own task priority convention: an integer from 1 to 5, lower served first, 3 when none is
 * given (holders written before priorities existed send none). Priority only orders the queue: the budget never takes
 * a permit back from a live call to serve a more urgent request.
 */

/** The most urgent priority. */
export const HIGHEST_PRIORITY = 1;
/** The least urgent priority. */
export const LOWEST_PRIORITY = 5;
/** What a request without a priority gets: conference sessions, and every holder older than priorities. */
export const ROUTINE_PRIORITY = 3;
/** An escalation's pages: served before every routine request still waiting. */
export const PAGE_PRIORITY = HIGHEST_PRIORITY;

export const PRIORITY_RULE = `must be an integer from ${HIGHEST_PRIORITY} (served first) to ${LOWEST_PRIORITY}`;

export function isPriority(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= HIGHEST_PRIORITY && value <= LOWEST_PRIORITY;
}

/** A request's priority as the budget serves it: its own, or {@link ROUTINE_PRIORITY} when it has none. */
export function effectivePriority(priority: number | undefined): number {
  return isPriority(priority) ? priority : ROUTINE_PRIORITY;
}

/** What the queue orders by: the priority, then when the budget learned of the request. */
export interface Queued {
  priority: number;
  requestedAt: number;
}

/** Negative when `a` is served before `b`: lower priority number first, then earlier `requestedAt`. */
export function compareQueued(a: Queued, b: Queued): number {
  return a.priority - b.priority || a.requestedAt - b.requestedAt;
}

/**
 * Where `entry` goes in `queue` (already in serving order): after every entry served before it or at the same time,
 * so requests of one priority stay first in, first out even when their `requestedAt` is equal.
 */
export function queuePosition(queue: readonly Queued[], entry: Queued): number {
  let index = queue.length;
  while (index > 0 && compareQueued(queue[index - 1]!, entry) > 0) index--;
  return index;
}
