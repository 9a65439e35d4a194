import { createHoiioClient, type HoiioClient } from '../hoiio/client';
import { selectHoiioAccount, type HoiioConfig } from '../hoiio/config';
import { createIvrActivities } from './ivr';
import { createLegControlActivities } from './leg-control';
import { createPlaceCallActivities } from './place-call';
import { createPreflightActivities } from './preflight';

export { ATTEMPT_DEADLINE_MS } from './attempt';
export { DEFAULT_HISTORY_SETTLE_MS, MAX_HISTORY_SETTLE_MS } from './history-lookup';
export type { PollResult, ResolvedAccount } from './leg-control';
export type { PlaceCallRequest, PlaceCallResult, PlacedLeg, IvrDialOptions } from './place-call';
export type { PreflightRequest } from './preflight';
export type {
  GatherRequest,
  IvrActivities,
  IvrBlockRequest,
  IvrHangupRequest,
  TransferRequest,
  TransferResult,
} from './ivr';

export interface ConferenceActivityDeps {
  hoiio: HoiioConfig;
  /** Base URL at which Hoiio reaches our notification receiver. */
  publicUrl: string;
  /** BRIDGEKEEPER_NOTIFY_SECRET, if configured (else derived from each account's token). */
  notifySecret?: string;
  /**
   * How long a leg may take to appear in voice/get_history after the request that placed it (default
   * `DEFAULT_HISTORY_SETTLE_MS`). A reconcile that finds nothing looks again once this has passed since the
   * earlier attempt ended, before it concludes the request was never placed.
   */
  historySettleMs?: number;
}

/**
 * The side effects of sessions and escalations on the Hoiio API: conference and IVR dials, the IVR blocks, polls,
 * hang-ups, moderation, and a session's pre-flight reads of rates and balance. Each call is one activity so that Temporal's retry policy applies:
 * limits and server faults are retried with backoff, everything else fails at once with Hoiio's status as the type.
 */
export function createConferenceActivities(deps: ConferenceActivityDeps) {
  const clientFor = hoiioClients(deps.hoiio);
  return {
    ...createLegControlActivities(deps.hoiio, clientFor),
    ...createPlaceCallActivities(deps, clientFor),
    ...createIvrActivities(deps, clientFor),
    ...createPreflightActivities(clientFor),
  };
}

export type ConferenceActivities = ReturnType<typeof createConferenceActivities>;

/** One client (one connection pool) per account name, made on first use. */
function hoiioClients(hoiio: HoiioConfig): (account: string) => HoiioClient {
  const clients = new Map<string, HoiioClient>();
  return (account) => {
    let client = clients.get(account);
    if (!client) {
      client = createHoiioClient(selectHoiioAccount(hoiio, account));
      clients.set(account, client);
    }
    return client;
  };
}
