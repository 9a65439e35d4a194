/**
 * Every `status` the Hoiio API is known to answer (hoiio/API.md), with what a caller should do about it.
 * Pure data: the simulator answers with these, the client maps them to typed errors, workflows read the category.
 */
export type HoiioErrorCategory = 'auth' | 'input' | 'limit' | 'credit' | 'server' | 'unknown';

export interface StatusInfo {
  category: HoiioErrorCategory;
  /** Worth sending again later unchanged: the cause is a limit or a fault on Hoiio's side. */
  retryable: boolean;
}

export const SUCCESS = 'success_ok';

/** Statuses every endpoint can answer; `error_<param>_param_missing` is matched by pattern. */
export const GENERIC_ERRORS = [
  'error_invalid_http_method',
  'error_malformed_params',
  'error_invalid_access_token',
  'error_invalid_app_id',
  'error_rate_limit_exceeded',
  'error_internal_server_error',
] as const;

/** The complete list for conference/call besides the generic ones. */
export const CONFERENCE_CALL_ERRORS = [
  'error_tag_invalid_length',
  'error_dest_invalid',
  'error_dest_not_supported',
  'error_not_allowed_for_trial',
  'error_invalid_room',
  'error_invalid_notify_url',
  'error_unable_to_resolve_notify_url',
  'error_insufficient_credit',
  'error_concurrent_call_limit_reached',
] as const;

/** Not on the documented pages; named after the SDK enums (see the README's assumptions table). */
export const ASSUMED_ERRORS = [
  'error_invalid_txn_ref',
  'error_invalid_action',
  'error_from_invalid',
  'error_to_invalid',
  'error_to_before_from',
  'error_page_invalid',
  'error_page_size_invalid',
  'error_dest1_invalid',
  'error_dest2_invalid',
  'error_dest1_not_supported',
  'error_dest2_not_supported',
] as const;

const KNOWN: Record<string, StatusInfo> = {
  error_invalid_http_method: { category: 'input', retryable: false },
  error_malformed_params: { category: 'input', retryable: false },
  error_invalid_access_token: { category: 'auth', retryable: false },
  error_invalid_app_id: { category: 'auth', retryable: false },
  error_rate_limit_exceeded: { category: 'limit', retryable: true },
  error_internal_server_error: { category: 'server', retryable: true },
  error_tag_invalid_length: { category: 'input', retryable: false },
  error_dest_invalid: { category: 'input', retryable: false },
  error_dest_not_supported: { category: 'input', retryable: false },
  // A top-up lifts it, but not within the life of a request: treat as an account matter, not a limit.
  error_not_allowed_for_trial: { category: 'credit', retryable: false },
  error_invalid_room: { category: 'input', retryable: false },
  error_invalid_notify_url: { category: 'input', retryable: false },
  error_unable_to_resolve_notify_url: { category: 'input', retryable: false },
  error_insufficient_credit: { category: 'credit', retryable: false },
  error_concurrent_call_limit_reached: { category: 'limit', retryable: true },
  error_invalid_txn_ref: { category: 'input', retryable: false },
  error_invalid_action: { category: 'input', retryable: false },
  error_from_invalid: { category: 'input', retryable: false },
  error_to_invalid: { category: 'input', retryable: false },
  error_to_before_from: { category: 'input', retryable: false },
  error_page_invalid: { category: 'input', retryable: false },
  error_page_size_invalid: { category: 'input', retryable: false },
  error_dest1_invalid: { category: 'input', retryable: false },
  error_dest2_invalid: { category: 'input', retryable: false },
  error_dest1_not_supported: { category: 'input', retryable: false },
  error_dest2_not_supported: { category: 'input', retryable: false },
};

const PARAM_MISSING = /^error_[a-z0-9_]+_param_missing$/;

/** What to do about a status. Unknown statuses are not retried: resending a dial we do not understand risks a double call. */
export function classifyStatus(status: string): StatusInfo {
  const known = KNOWN[status];
  if (known) return known;
  if (PARAM_MISSING.test(status)) return { category: 'input', retryable: false };
  return { category: 'unknown', retryable: false };
}

export function paramMissingStatus(param: string): string {
  return `error_${param}_param_missing`;
}
