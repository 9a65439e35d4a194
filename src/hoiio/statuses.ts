/**
 * Every `status` the Hoiio API is known to answer (docs/hoiio-api.md), in one table that says what a caller should do
 * about each. Pure data, read by the client (typed errors), the activities (Temporal failures), the workflows (what a
 * failed dial means) and the simulator (what it answers).
 */
export type HoiioErrorCategory = 'auth' | 'input' | 'limit' | 'credit' | 'server' | 'unknown';

/**
 * What a refusal is about: one `number` of the request (the others may go through on their own), the `request` as a
 * whole, or the `account` (every request of the application would be refused alike).
 */
export type StatusScope = 'number' | 'request' | 'account';

export interface StatusInfo {
  category: HoiioErrorCategory;
  /** Worth sending again later unchanged: the cause is a limit or a fault on Hoiio's side. */
  retryable: boolean;
  /** The request may have been carried out all the same: a dial must be looked up by tag before it is sent again. */
  ambiguous: boolean;
  scope: StatusScope;
}

/**
 * Where a status is listed: every endpoint, conference/call's complete list, the IVR API's (not split per endpoint),
 * or assumed from the SDKs' enums.
 */
type Listing = 'generic' | 'conference' | 'ivr' | 'assumed';

export const SUCCESS = 'success_ok';

const refusal = (listing: Listing, category: HoiioErrorCategory, scope: StatusScope) =>
  ({ listing, category, scope, retryable: false, ambiguous: false }) as const;

/**
 * One row per status. The assumed ones are not on the documented pages (see the README's assumptions table).
 * `error_<param>_param_missing` is matched by pattern instead.
 */
const STATUS_TABLE = {
  error_invalid_http_method: refusal('generic', 'input', 'request'),
  error_malformed_params: refusal('generic', 'input', 'request'),
  error_invalid_access_token: refusal('generic', 'auth', 'account'),
  error_invalid_app_id: refusal('generic', 'auth', 'account'),
  // Hoiio counts requests per application.
  error_rate_limit_exceeded: { ...refusal('generic', 'limit', 'account'), retryable: true },
  // A fault on Hoiio's side, part way through the request for all we know.
  error_internal_server_error: { ...refusal('generic', 'server', 'request'), retryable: true, ambiguous: true },
  error_tag_invalid_length: refusal('conference', 'input', 'request'),
  error_dest_invalid: refusal('conference', 'input', 'number'),
  error_dest_not_supported: refusal('conference', 'input', 'number'),
  // A trial account may dial only its verified numbers. A top-up lifts it, but not within the life of a request.
  error_not_allowed_for_trial: refusal('conference', 'credit', 'number'),
  error_invalid_room: refusal('conference', 'input', 'request'),
  error_invalid_notify_url: refusal('conference', 'input', 'request'),
  error_unable_to_resolve_notify_url: refusal('conference', 'input', 'request'),
  error_insufficient_credit: refusal('conference', 'credit', 'account'),
  error_concurrent_call_limit_reached: { ...refusal('conference', 'limit', 'account'), retryable: true },
  // The IVR API (docs/hoiio-api.md, "IVR errors"). A session that ended stays ended: the call is gone.
  error_invalid_session: refusal('ivr', 'input', 'request'),
  error_session_access_denied: refusal('ivr', 'auth', 'request'),
  error_session_ended: refusal('ivr', 'input', 'request'),
  // Mid-message, or while a block runs: the same block goes through once the call is ready for it.
  error_session_not_ready: { ...refusal('ivr', 'input', 'request'), retryable: true },
  error_session_not_on_hold: refusal('ivr', 'input', 'request'),
  error_monitor_in_progress: refusal('ivr', 'input', 'request'),
  error_on_failure_invalid: refusal('ivr', 'input', 'request'),
  error_invalid_max_digits: refusal('ivr', 'input', 'request'),
  error_invalid_timeout: refusal('ivr', 'input', 'request'),
  error_invalid_attempts: refusal('ivr', 'input', 'request'),
  error_invalid_max_duration: refusal('ivr', 'input', 'request'),
  error_max_duration_invalid: refusal('ivr', 'input', 'request'),
  error_caller_id_invalid: refusal('ivr', 'input', 'request'),
  error_msg_invalid_length: refusal('ivr', 'input', 'request'),
  error_msg_cannot_convert_text: refusal('ivr', 'input', 'request'),
  error_msg_invalid_language: refusal('ivr', 'input', 'request'),
  error_msg_invalid_gender: refusal('ivr', 'input', 'request'),
  error_msg_invalid_xml: refusal('ivr', 'input', 'request'),
  error_msg_download_failed: refusal('ivr', 'input', 'request'),
  error_msg_invalid_file_format: refusal('ivr', 'input', 'request'),
  error_msg_invalid_file_size: refusal('ivr', 'input', 'request'),
  error_msg_invalid_url: refusal('ivr', 'input', 'request'),
  error_invalid_txn_ref: refusal('assumed', 'input', 'request'),
  error_invalid_action: refusal('assumed', 'input', 'request'),
  error_from_invalid: refusal('assumed', 'input', 'request'),
  error_to_invalid: refusal('assumed', 'input', 'request'),
  error_to_before_from: refusal('assumed', 'input', 'request'),
  error_page_invalid: refusal('assumed', 'input', 'request'),
  error_page_size_invalid: refusal('assumed', 'input', 'request'),
  error_dest1_invalid: refusal('assumed', 'input', 'number'),
  error_dest2_invalid: refusal('assumed', 'input', 'number'),
  error_dest1_not_supported: refusal('assumed', 'input', 'number'),
  error_dest2_not_supported: refusal('assumed', 'input', 'number'),
} as const;

export type KnownStatus = keyof typeof STATUS_TABLE;

/** Every status in the table, in its order. */
export const KNOWN_STATUSES = Object.keys(STATUS_TABLE) as KnownStatus[];

/** The status of a request about a leg Hoiio does not know (anymore): it has ended long ago, or it never was. */
export const UNKNOWN_LEG: KnownStatus = 'error_invalid_txn_ref';

const listed = (listing: Listing): KnownStatus[] =>
  KNOWN_STATUSES.filter((status) => STATUS_TABLE[status].listing === listing);

/** Statuses every endpoint can answer, besides `error_<param>_param_missing`. */
export const GENERIC_ERRORS: readonly KnownStatus[] = listed('generic');
/** The complete list for conference/call besides the generic ones. */
export const CONFERENCE_CALL_ERRORS: readonly KnownStatus[] = listed('conference');
/** The IVR API's own statuses, besides the generic and conference ones it shares (one list for all its endpoints). */
export const IVR_ERRORS: readonly KnownStatus[] = listed('ivr');
/** Answered by the other endpoints, named after the SDK enums. */
export const ASSUMED_ERRORS: readonly KnownStatus[] = listed('assumed');

const PARAM_MISSING = /^error_[a-z0-9_]+_param_missing$/;
const PARAM_MISSING_INFO: StatusInfo = { category: 'input', retryable: false, ambiguous: false, scope: 'request' };
/**
 * Not retried: resending a dial we do not understand risks a double call. Ambiguous: it could mean anything,
 * including "dialed", so a dial is looked up before anything is decided.
 */
const UNKNOWN_INFO: StatusInfo = { category: 'unknown', retryable: false, ambiguous: true, scope: 'request' };

export function isKnownStatus(status: string): status is KnownStatus {
  return Object.hasOwn(STATUS_TABLE, status);
}

/** What to do about a status. */
export function classifyStatus(status: string): StatusInfo {
  if (isKnownStatus(status)) {
    const { category, retryable, ambiguous, scope } = STATUS_TABLE[status];
    return { category, retryable, ambiguous, scope };
  }
  return PARAM_MISSING.test(status) ? { ...PARAM_MISSING_INFO } : { ...UNKNOWN_INFO };
}

export function paramMissingStatus(param: string): string {
  return `error_${param}_param_missing`;
}
