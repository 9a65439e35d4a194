import { ApplicationFailure, Context } from '@temporalio/activity';
import type { HoiioClient } from '../hoiio/client';
import { selectHoiioAccount } from '../hoiio/config';
import { buildNotifyUrl, IVR_NOTIFY_PATH, NOTIFY_PATH, notifySecret } from '../notifications/notify-url';
import { attemptSignal, keepHeartbeating, noProgress, type Progress } from './attempt';
import type { ConferenceActivityDeps } from './conference';
import { DEFAULT_HISTORY_SETTLE_MS, findLegsSettled } from './history-lookup';
import { retryable, toFailure } from './hoiio-failure';

export interface PlaceCallRequest {
  account: string;
  room: string;
  numbers: string[];
  callerId?: string;
  /** Unique per batch and constant across retries: how a retry finds what an earlier attempt dialed. */
  tag: string;
  /** When the batch began (epoch ms): history is searched from a little before it. */
  begunAt: number;
  /**
   * Set for an IVR call (`placeIvrCall`): one number, called with ivr/start/dial rather than into `room`, speaking
   * `msg` once answered. Its blocks' notifications go to the receiver's IVR path.
   */
  ivr?: IvrDialOptions;
}

export interface IvrDialOptions {
  msg: string;
  /** Hoiio hangs the call up after this long, whatever happens: the escalation's bound on a forgotten call. */
  maxDurationSeconds?: number;
}

export interface PlacedLeg {
  number: string;
  txnRef: string;
  /** An IVR call's session id, when the dial's reply gave it (a leg found in the history has none yet). */
  session?: string;
}

export interface PlaceCallResult {
  legs: PlacedLeg[];
  /** Numbers of the batch that no earlier attempt dialed, when legs were adopted from history. */
  notPlaced: string[];
  adopted: boolean;
  /** Dial requests made over every attempt (conference/call, or ivr/start/dial for an IVR call). */
  conferenceCallRequests: number;
  historyLookups: number;
  /** Why earlier attempts failed, as far as their heartbeats reached the server (best effort). */
  retryReasons: string[];
  /** Attempts this dial took, from Temporal itself: attempts − 1 retries, exactly. */
  attempts: number;
}

type NotifyPath = typeof NOTIFY_PATH | typeof IVR_NOTIFY_PATH;
type Dial = (client: HoiioClient, notifyUrl: string, signal: AbortSignal) => Promise<PlacedLeg[]>;

/**
 * The notify_url for a request the running activity sends: the calling workflow's id, the account and its routing
 * token, on `path`. Built in the activity so the token never passes through workflow code (docs/design.md, invariant 5).
 */
export function activityNotifyUrl(deps: ConferenceActivityDeps, account: string, path: NotifyPath): string {
  const { info } = Context.current();
  return buildNotifyUrl({
    publicUrl: deps.publicUrl,
    account,
    workflowId: info.workflowExecution?.workflowId ?? info.activityId,
    secret: notifySecret(selectHoiioAccount(deps.hoiio, account).accessToken, deps.notifySecret),
    path,
  });
}

/** A reconcile that finds only part of a batch looks again this many times before dialing the rest. */
const PARTIAL_LOOKUPS = 4;

/**
 * Dialing a batch, and finding what an earlier attempt dialed by the batch's tag in voice/get_history: no participant
 * is dialed twice for one attempt (docs/design.md, invariant 2).
 */
export function createPlaceCallActivities(deps: ConferenceActivityDeps, clientFor: (account: string) => HoiioClient) {
  const settleMs = deps.historySettleMs ?? DEFAULT_HISTORY_SETTLE_MS;

  /**
   * One dial attempt, whatever the dial: on a retry, the legs an earlier attempt placed are looked up by tag first and
   * adopted; only when none are found is `dial` called, with the notify_url for `path`.
   */
  async function placeCall(request: PlaceCallRequest, path: NotifyPath, dial: Dial): Promise<PlaceCallResult> {
    const { info } = Context.current();
    const progress: Progress = (info.heartbeatDetails as Progress | undefined) ?? noProgress();
    const signal = attemptSignal();
    const heartbeating = keepHeartbeating(progress);
    try {
      const client = clientFor(request.account);
      // Every retry may follow a dial that went through: an attempt can die (a crash, a deploy, a timeout) after its
      // request left and before any heartbeat said so, so the heartbeat is never the only evidence. Look first.
      if (info.attempt > 1) {
        const found = await findLegsSettled(client, request, progress, signal, settleMs);
        if (found.length > 0) {
          const notPlaced = numbersNotAmong(request.numbers, found);
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
      const notifyUrl = activityNotifyUrl(deps, request.account, path);
      const legs = await dial(client, notifyUrl, signal);
      return { legs, notPlaced: [], adopted: false, ...progress, attempts: info.attempt };
    } catch (error) {
      throw toFailure(error, progress, signal);
    } finally {
      heartbeating.stop();
    }
  }

  return {
    placeConferenceCall(request: PlaceCallRequest): Promise<PlaceCallResult> {
      return placeCall(request, NOTIFY_PATH, async (client, notifyUrl, signal) => {
        const result = await client.conferenceCall(
          { dest: request.numbers, room: request.room, callerId: request.callerId, tag: request.tag, notifyUrl },
          { signal },
        );
        return request.numbers.map((number, index) => ({ number, txnRef: result.txnRefs[index]! }));
      });
    },

    /**
     * An IVR call (ivr/start/dial) to the request's one number, speaking `request.ivr.msg` once answered; its
     * notifications go to the receiver's IVR path. Retries reconcile by tag exactly as conference dials do, so the
     * responder is never called twice for one attempt (docs/design.md, invariant 2).
     */
    placeIvrCall(request: PlaceCallRequest): Promise<PlaceCallResult> {
      const { ivr } = request;
      const [number] = request.numbers;
      if (!ivr || number === undefined || request.numbers.length !== 1) {
        return Promise.reject(
          ApplicationFailure.nonRetryable(
            `placeIvrCall needs request.ivr and exactly one number, got ${request.numbers.length} number(s)${ivr ? '' : ' and no ivr'}`,
            'InvalidIvrRequest',
          ),
        );
      }
      return placeCall(request, IVR_NOTIFY_PATH, async (client, notifyUrl, signal) => {
        const result = await client.ivrDial(
          {
            dest: number,
            msg: ivr.msg,
            callerId: request.callerId,
            maxDuration: ivr.maxDurationSeconds,
            tag: request.tag,
            notifyUrl,
          },
          { signal },
        );
        return [{ number, txnRef: result.txnRef, session: result.session }];
      });
    },

    /**
     * The legs a batch's tag shows in the history, for a dial whose retries ran out: the workflow adopts what was
     * placed and never dials the rest again unseen.
     */
    async reconcileBatch(request: PlaceCallRequest): Promise<{ legs: PlacedLeg[]; notPlaced: string[] }> {
      const progress = noProgress();
      const signal = attemptSignal();
      const heartbeating = keepHeartbeating(progress);
      try {
        const legs = await findLegsSettled(clientFor(request.account), request, progress, signal, settleMs);
        return { legs, notPlaced: numbersNotAmong(request.numbers, legs) };
      } catch (error) {
        throw toFailure(error, undefined, signal);
      } finally {
        heartbeating.stop();
      }
    },
  };
}

function numbersNotAmong(numbers: string[], legs: PlacedLeg[]): string[] {
  const placed = new Set(legs.map((leg) => leg.number));
  return numbers.filter((number) => !placed.has(number));
}
