import { ApplicationFailure, Context } from '@temporalio/activity';
import { formatHoiioDate } from '../domain/hoiio-time';
import type { HoiioClient } from '../hoiio/client';
import type { Progress } from './attempt';
import { toFailure } from './hoiio-failure';
import type { PlaceCallRequest, PlacedLeg } from './place-call';

/**
 * How long a leg may take to appear in voice/get_history after the request that placed it, unless the worker is told
 * otherwise.
 */
export const DEFAULT_HISTORY_SETTLE_MS = 10_000;
/** The longest settle wait an attempt allows for, leaving it time to dial within its deadline. */
export const MAX_HISTORY_SETTLE_MS = 10_000;

const HISTORY_PAGE_SIZE = 100;
/** Clocks differ; look a little before the batch began. */
const HISTORY_SLACK_MS = 5 * 60_000;

/**
 * The batch's legs by tag, allowing for a history that lags behind the dial: when nothing is listed yet, look again
 * once `settleMs` has passed since this attempt was scheduled (every earlier attempt had ended by then, so any request
 * it sent had reached Hoiio). Only then is "nothing found" taken as "never placed".
 */
export async function findLegsSettled(
  client: HoiioClient,
  request: PlaceCallRequest,
  progress: Progress,
  signal: AbortSignal,
  settleMs: number,
): Promise<PlacedLeg[]> {
  // Timed on this worker's clock from when this attempt began (after every earlier one ended), never compared with
  // the server's clock: a skew could only make the wait longer, never skip it.
  const settledAt = Date.now() + Math.min(settleMs, MAX_HISTORY_SETTLE_MS);
  let found: PlacedLeg[];
  try {
    found = await findLegsByTag(client, request, progress, signal);
  } catch (error) {
    throw lookupFailure(error, progress, signal);
  }
  if (found.length > 0 || Date.now() >= settledAt) return found;
  await Context.current().sleep(settledAt - Date.now());
  try {
    return await findLegsByTag(client, request, progress, signal);
  } catch (error) {
    throw lookupFailure(error, progress, signal);
  }
}

async function findLegsByTag(
  client: HoiioClient,
  request: PlaceCallRequest,
  progress: Progress,
  signal: AbortSignal,
): Promise<PlacedLeg[]> {
  const wanted = new Set(request.numbers);
  const found = new Map<string, PlacedLeg>();
  const from = formatHoiioDate(request.begunAt - HISTORY_SLACK_MS);
  for (let page = 1; ; page += 1) {
    progress.historyLookups += 1;
    Context.current().heartbeat(progress);
    const history = await client.getHistory({ from, page }, { signal });
    for (const entry of history.entries) {
      if (entry.tag === request.tag && entry.dest && wanted.has(entry.dest) && !found.has(entry.dest)) {
        // An IVR call's session, where the history gives it; else the workflow learns it from the call's notification.
        found.set(entry.dest, {
          number: entry.dest,
          txnRef: entry.txnRef,
          ...(entry.session === undefined ? {} : { session: entry.session }),
        });
      }
    }
    if (history.entries.length < HISTORY_PAGE_SIZE || page * HISTORY_PAGE_SIZE >= history.totalEntriesCount) break;
  }
  return request.numbers.flatMap((number) => {
    const leg = found.get(number);
    return leg ? [leg] : [];
  });
}

/**
 * A lookup that failed for good (a rotated token, say) says nothing about the dial before it, which may have placed
 * legs: its failure is typed `history_<status>`, which the workflow takes as ambiguous, never as a refusal.
 */
function lookupFailure(error: unknown, progress: Progress, signal: AbortSignal): ApplicationFailure {
  const failure = toFailure(error, progress, signal);
  if (!failure.nonRetryable) return failure;
  return ApplicationFailure.nonRetryable(failure.message, `history_${failure.type ?? 'failed'}`);
}
