import { ApplicationFailure, Context } from '@temporalio/activity';
import { formatHoiioDate } from '../domain/hoiio-time';
import { formatMoney } from '../domain/money';
import { createHoiioClient, type HoiioClient } from '../hoiio/client';
import { selectHoiioAccount, type HoiioConfig } from '../hoiio/config';
import { HoiioApiError, HoiioConfigError, HoiioInputError, HoiioTransportError } from '../hoiio/errors';
import type { HoiioCallRecord } from '../hoiio/replies';
import { buildNotifyUrl, notifySecret } from '../notifications/notify-url';
import type { EndReport } from '../domain/session-state';

export interface ConferenceActivityDeps {
  hoiio: HoiioConfig;
  /** Base URL at which Hoiio reaches our notification receiver. */
  publicUrl: string;
  /** BRIDGEKEEPER_NOTIFY_SECRET, if configured (else derived from each account's token). */
  notifySecret?: string;
  /**
   * How long a leg may take to appear in voice/get_history after the request that placed it (default
   * {@link DEFAULT_HISTORY_SETTLE_MS}). A reconcile that finds nothing looks again once this has passed since the
   * earlier attempt ended, before it concludes the request was never placed.
   */
  historySettleMs?: number;
}

export const DEFAULT_HISTORY_SETTLE_MS = 10_000;

export interface PlaceCallRequest {
  account: string;
  room: string;
  numbers: string[];
  callerId?: string;
  /** Unique per batch and constant across retries: how a retry finds what an earlier attempt dialed. */
  tag: string;
  /** When the batch began (epoch ms): history is searched from a little before it. */
  begunAt: number;
}

export interface PlacedLeg {
  number: string;
  txnRef: string;
}

export interface PlaceCallResult {
  legs: PlacedLeg[];
  /** Numbers of the batch that no earlier attempt dialed, when legs were adopted from history. */
  notPlaced: string[];
  adopted: boolean;
  /** Requests made over every attempt, and why attempts failed. */
  conferenceCallRequests: number;
  historyLookups: number;
  /** Why earlier attempts failed, as far as their heartbeats reached the server (best effort). */
  retryReasons: string[];
  /** Attempts this dial took, from Temporal itself: attempts − 1 retries, exactly. */
  attempts: number;
}

export type PollResult = { ongoing: true } | { ongoing: false; end: EndReport } | { unknown: true };

/** The account a session's input names, as far as the workflow needs it: which call budget it shares. */
export interface ResolvedAccount {
  account: string;
  /**
   * The Hoiio application id: Hoiio's 8-call limit is per application, so every account name that points at the same
   * application shares one budget. Not a secret (the access token is).
   */
  budgetKey: string;
}

/** Heartbeat details: what earlier attempts did, so that the final result can report all of it. */
interface Progress {
  conferenceCallRequests: number;
  historyLookups: number;
  retryReasons: string[];
}

const HISTORY_PAGE_SIZE = 100;
/** Clocks differ; look a little before the batch began. */
const HISTORY_SLACK_MS = 5 * 60_000;
/**
 * Every request of one attempt is abandoned this long after the attempt started. It is shorter than the workflow's
 * heartbeatTimeout (30 s) and startToCloseTimeout (2 min): whichever way the server gives up on an attempt, the
 * attempt has stopped dialing by then, so the next one can never reconcile while an old request is still on its way
 * (invariant 2). The settle wait below counts against it too.
 */
export const ATTEMPT_DEADLINE_MS = 25_000;
/** The longest settle wait an attempt allows for, leaving it time to dial within its deadline. */
export const MAX_HISTORY_SETTLE_MS = 10_000;
/** A reconcile that finds only part of a batch looks again this many times before dialing the rest. */
const PARTIAL_LOOKUPS = 4;
/** Well inside the workflow's heartbeatTimeout, so a live attempt is never taken for a dead one. */
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * The session's side effects on the Hoiio API. Each call is one activity so that Temporal's retry policy applies:
 * limits and server faults are retried with backoff, everything else fails at once with Hoiio's status as the type.
 */
export function createConferenceActivities(deps: ConferenceActivityDeps) {
  const settleMs = deps.historySettleMs ?? DEFAULT_HISTORY_SETTLE_MS;
  const clients = new Map<string, HoiioClient>();
  const clientFor = (account: string): HoiioClient => {
    let client = clients.get(account);
    if (!client) {
      client = createHoiioClient(selectHoiioAccount(deps.hoiio, account));
      clients.set(account, client);
    }
    return client;
  };

  return {
    /**
     * Resolves the account a session names, so the workflow can fail at once on an unknown name (a retry cannot help)
     * and share one budget per Hoiio application.
     */
    resolveAccount(request: { account: string }): Promise<ResolvedAccount> {
      try {
        const { appId } = selectHoiioAccount(deps.hoiio, request.account);
        return Promise.resolve({ account: request.account, budgetKey: appId });
      } catch (error) {
        return Promise.reject(toFailure(error));
      }
    },

    async placeConferenceCall(request: PlaceCallRequest): Promise<PlaceCallResult> {
      const { info } = Context.current();
      const progress: Progress = (info.heartbeatDetails as Progress | undefined) ?? {
        conferenceCallRequests: 0,
        historyLookups: 0,
        retryReasons: [],
      };
      const signal = attemptSignal();
      const heartbeating = keepHeartbeating(progress);
      try {
        const client = clientFor(request.account);
        // Every retry may follow a dial that went through: an attempt can die (a crash, a deploy, a timeout) after its
        // request left and before any heartbeat said so, so the heartbeat is never the only evidence. Look first.
        if (info.attempt > 1) {
          const found = await findLegsSettled(client, request, progress, signal, settleMs);
          if (found.length > 0) {
            const placed = new Set(found.map((leg) => leg.number));
            const notPlaced = request.numbers.filter((number) => !placed.has(number));
            // Hoiio dials a request's numbers one after another: the rest may simply not be listed yet.
            if (notPlaced.length > 0 && info.attempt <= PARTIAL_LOOKUPS) {
              throw retryable(
                `found ${found.length} of ${request.numbers.length} legs by tag`,
                'reconcile_partial',
                progress,
              );
            }
            return { legs: found, notPlaced, adopted: true, ...progress, attempts: info.attempt };
          }
        }
        progress.conferenceCallRequests += 1;
        Context.current().heartbeat(progress);
        const account = selectHoiioAccount(deps.hoiio, request.account);
        const notifyUrl = buildNotifyUrl({
          publicUrl: deps.publicUrl,
          account: request.account,
          workflowId: info.workflowExecution?.workflowId ?? info.activityId,
          secret: notifySecret(account.accessToken, deps.notifySecret),
        });
        const result = await client.conferenceCall(
          { dest: request.numbers, room: request.room, callerId: request.callerId, tag: request.tag, notifyUrl },
          { signal },
        );
        const legs = request.numbers.map((number, index) => ({ number, txnRef: result.txnRefs[index]! }));
        return { legs, notPlaced: [], adopted: false, ...progress, attempts: info.attempt };
      } catch (error) {
        throw toFailure(error, progress, signal);
      } finally {
        heartbeating.stop();
      }
    },

    /**
     * The legs a batch's tag shows in the history, for a dial whose retries ran out: the workflow adopts what was
     * placed and never dials the rest again unseen.
     */
    async reconcileBatch(request: PlaceCallRequest): Promise<{ legs: PlacedLeg[]; notPlaced: string[] }> {
      const progress: Progress = { conferenceCallRequests: 0, historyLookups: 0, retryReasons: [] };
      const signal = attemptSignal();
      const heartbeating = keepHeartbeating(progress);
      try {
        const legs = await findLegsSettled(clientFor(request.account), request, progress, signal, settleMs);
        const placed = new Set(legs.map((leg) => leg.number));
        return { legs, notPlaced: request.numbers.filter((number) => !placed.has(number)) };
      } catch (error) {
        throw toFailure(error, undefined, signal);
      } finally {
        heartbeating.stop();
      }
    },

    async pollLeg(request: { account: string; txnRef: string }): Promise<PollResult> {
      const signal = attemptSignal();
      try {
        return toPollResult(await clientFor(request.account).queryStatus(request.txnRef, { signal }));
      } catch (error) {
        // Left to the workflow, which settles a leg Hoiio keeps not knowing instead of polling it forever.
        if (error instanceof HoiioApiError && error.status === 'error_invalid_txn_ref') return { unknown: true };
        throw toFailure(error, undefined, signal);
      }
    },

    async hangupLeg(request: { account: string; txnRef: string }): Promise<void> {
      const signal = attemptSignal();
      try {
        await clientFor(request.account).hangup(request.txnRef, { signal });
      } catch (error) {
        // The leg ended on its own meanwhile: what we wanted has happened.
        if (error instanceof HoiioApiError && error.status === 'error_invalid_txn_ref') return;
        throw toFailure(error, undefined, signal);
      }
    },

    async moderateLeg(request: { account: string; txnRef: string; action: 'kick' | 'mute' | 'unmute' }): Promise<void> {
      const signal = attemptSignal();
      try {
        await clientFor(request.account).moderate({ txnRef: request.txnRef, action: request.action }, { signal });
      } catch (error) {
        throw toFailure(error, undefined, signal);
      }
    },
  };
}

export type ConferenceActivities = ReturnType<typeof createConferenceActivities>;

async function findLegsByTag(
  client: HoiioClient,
  request: PlaceCallRequest,
  progress: Progress,
  signal: AbortSignal,
): Promise<PlacedLeg[]> {
  const wanted = new Set(request.numbers);
  const found = new Map<string, string>();
  const from = formatHoiioDate(request.begunAt - HISTORY_SLACK_MS);
  for (let page = 1; ; page += 1) {
    progress.historyLookups += 1;
    Context.current().heartbeat(progress);
    const history = await client.getHistory({ from, page }, { signal });
    for (const entry of history.entries) {
      if (entry.tag === request.tag && entry.dest && wanted.has(entry.dest) && !found.has(entry.dest)) {
        found.set(entry.dest, entry.txnRef);
      }
    }
    if (history.entries.length < HISTORY_PAGE_SIZE || page * HISTORY_PAGE_SIZE >= history.totalEntriesCount) break;
  }
  return request.numbers.flatMap((number) => (found.has(number) ? [{ number, txnRef: found.get(number)! }] : []));
}

/**
 * The batch's legs by tag, allowing for a history that lags behind the dial: when nothing is listed yet, look again
 * once `settleMs` has passed since this attempt was scheduled (every earlier attempt had ended by then, so any request
 * it sent had reached Hoiio). Only then is "nothing found" taken as "never placed".
 */
async function findLegsSettled(
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

/**
 * A lookup that failed for good (a rotated token, say) says nothing about the dial before it, which may have placed
 * legs: its failure is typed `history_<status>`, which the workflow takes as ambiguous, never as a refusal.
 */
function lookupFailure(error: unknown, progress: Progress, signal: AbortSignal): ApplicationFailure {
  const failure = toFailure(error, progress, signal);
  if (!failure.nonRetryable) return failure;
  return ApplicationFailure.nonRetryable(failure.message, `history_${failure.type ?? 'failed'}`);
}

/** Heartbeats on a clock while the attempt waits on Hoiio, so a dead worker is noticed within the heartbeatTimeout. */
function keepHeartbeating(progress: Progress): { stop(): void } {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(progress), HEARTBEAT_EVERY_MS);
  return { stop: () => clearInterval(timer) };
}

/** Ends when the attempt's deadline passes or Temporal cancels the activity, whichever comes first. */
function attemptSignal(): AbortSignal {
  return AbortSignal.any([AbortSignal.timeout(ATTEMPT_DEADLINE_MS), Context.current().cancellationSignal]);
}

/**
 * Any final status but `ongoing` means the leg has ended. A reply without a debit says nothing of the cost (it is not
 * 0): the end is marked provisional, frees the line, and a later notification still corrects the leg's cost.
 */
function toPollResult(record: HoiioCallRecord): PollResult {
  if (record.callStatus === 'ongoing') return { ongoing: true };
  const billed = record.debit !== undefined && record.currency !== undefined;
  return {
    ongoing: false,
    end: {
      txnRef: record.txnRef,
      callStatus: record.callStatus,
      durationMinutes: record.durationMinutes ?? 0,
      currency: record.currency ?? '',
      rate: formatMoney(record.rate ?? 0),
      debit: formatMoney(record.debit ?? 0),
      ...(billed ? {} : { provisional: true }),
    },
  };
}

/**
 * Hoiio's answer as a Temporal failure whose type is Hoiio's status, so workflows and retry policies can act on it.
 * Retryable failures are recorded in the heartbeat first, so the attempt that finally succeeds can report them.
 */
function toFailure(error: unknown, progress?: Progress, signal?: AbortSignal): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof HoiioApiError) {
    if (error.retryable) return retryable(error.message, error.status, progress);
    return ApplicationFailure.create({
      message: error.message,
      type: error.status,
      nonRetryable: true,
      details: [{ category: error.category }],
    });
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

function retryable(message: string, type: string, progress: Progress | undefined): ApplicationFailure {
  if (progress) {
    progress.retryReasons.push(type);
    Context.current().heartbeat(progress);
  }
  return ApplicationFailure.retryable(message, type);
}
