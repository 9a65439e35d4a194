/**
 * The documented limits and formats of the Hoiio API (docs/hoiio-api.md, "Endpoints" and "Limits"), as pure constants: the client
 * validates requests with them and workflow code validates session input with them.
 */
export const MAX_DESTINATIONS_PER_REQUEST = 8;
export const MAX_ROOM_PARTICIPANTS = 8;
export const MAX_CONCURRENT_CALLS_PER_ACCOUNT = 8;
export const E164_PATTERN = /^\+[0-9]{1,15}$/;
export const E164_RULE = 'must be E.164: "+" then 1 to 15 digits, nothing else';
export const ROOM_PATTERN = /^[A-Za-z0-9._]{1,32}$/;
export const ROOM_RULE = 'must be 1 to 32 characters of A-Z a-z 0-9 . _';
export const MAX_TAG_LENGTH = 256;
export const MAX_NOTIFY_URL_LENGTH = 4000;
export const MONEY_PATTERN = /^-?\d{1,15}(\.\d{1,3})?$/;
/** How a leg ends, in notifications and query_status. */
export const FINAL_CALL_STATUSES = ['answered', 'unanswered', 'failed', 'busy'] as const;
export type FinalCallStatus = (typeof FINAL_CALL_STATUSES)[number];
