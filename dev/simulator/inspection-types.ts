/**
 * The JSON shapes of the simulator's inspection routes (`GET /_sim/calls`, `GET /_sim/stats`), for the tests, the
 * benchmark and any tool that reads them.
 */

/** One leg as `GET /_sim/calls` lists it: Hoiio field names, money as decimal strings, ISO timestamps. */
export interface SimCall {
  txn_ref: string;
  /** `conference` (conference/call) or `ivr` (ivr/start/dial). */
  kind: 'conference' | 'ivr';
  /** An IVR call's session id; null for a conference leg. */
  session: string | null;
  dest: string;
  /** The conference room; '' for an IVR call no transfer has put in one. */
  room: string;
  tag: string | null;
  app_id: string;
  /** `ongoing` until the leg ends. */
  call_status_dest: string;
  state: string;
  duration: string | null;
  rate: string;
  debit: string | null;
  currency: string;
  dialed_at: string | null;
  answered_at: string | null;
  ended_at: string | null;
  ended_by: string | null;
  muted: boolean;
  caller_id: string | null;
  endpoint: string;
  has_notify_url: boolean;
  planned_outcome: string;
  scripted: boolean;
  /** IVR only (null, [] for a conference leg): where the call is, the blocks done, each Gather's digits. */
  ivr_phase: string | null;
  blocks: string[];
  digits: string[];
  /** An IVR transfer's dest (`room:<id>` or a number) and how it went. */
  transfer_dest: string | null;
  transfer_status: string | null;
}

export interface SimNotificationCounts {
  sent: number;
  delivered: number;
  failed: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  reordered: number;
}

/** `GET /_sim/stats`. */
export interface SimStats {
  requests: Record<string, number>;
  rejections: Record<string, number>;
  peakConcurrentCalls: Record<string, number>;
  peakRoomParticipants: Record<string, number>;
  http5xx: Record<string, number>;
  notifications: SimNotificationCounts;
  activeCalls: Record<string, number>;
}
