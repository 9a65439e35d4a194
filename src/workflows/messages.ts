/**
 * Every signal, query and update of bridgekeeper's workflows, in one module shared by workflow code and clients
 * (CLI, receiver, tests), so that names and payload types cannot drift apart.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FinalCallStatus } from '../domain/hoiio-rules';
import type { ParticipantInput, SessionStatus } from '../domain/session-types';

// ---------------------------------------------------------------------------------------------------------------
// callBudget: the account-wide pool of call permits (one workflow per Hoiio account, id from callBudgetWorkflowId).
// ---------------------------------------------------------------------------------------------------------------

export interface PermitRequest {
  /** Unique per request; grants and cancellations refer to it. */
  requestId: string;
  /** Workflow id of the requester; grants are signalled there with `permitsGranted`. */
  holder: string;
  /** How many permits are wanted; they may arrive over several grants. */
  count: number;
  /** How long a granted permit may be held without renewal before the budget takes it back. */
  leaseMs?: number;
}

export interface PermitGrant {
  requestId: string;
  permitIds: string[];
}

export interface PermitRelease {
  holder: string;
  permitIds: string[];
}

export interface PermitRenewal {
  holder: string;
  permitIds: string[];
}

export interface PermitCancellation {
  holder: string;
  requestId: string;
}

export interface HeldPermit {
  permitId: string;
  holder: string;
  requestId: string;
  grantedAt: number;
  leaseExpiresAt: number;
  /** Lease length of this permit: each renewal moves `leaseExpiresAt` to now + `leaseMs`. */
  leaseMs: number;
}

export interface WaitingRequest {
  requestId: string;
  holder: string;
  /** Permits still owed to this request. */
  remaining: number;
  requestedAt: number;
  /** Lease length the permits of this request get when granted. */
  leaseMs: number;
}

export interface BudgetState {
  account: string;
  capacity: number;
  held: HeldPermit[];
  waiting: WaitingRequest[];
  /** Permits taken back because their lease ran out: a sign of a holder that died. */
  reclaimed: number;
  /** Permits taken back because the grant could not be signalled (the holder no longer exists). */
  undelivered: number;
  /** Permits granted since the budget first started (across continue-as-new). */
  granted: number;
}

/** Sent to the budget (by an activity's signalWithStart for the first request). */
export const requestPermitsSignal = defineSignal<[PermitRequest]>('requestPermits');
/** Sent to the budget when legs end. */
export const releasePermitsSignal = defineSignal<[PermitRelease]>('releasePermits');
/** Sent to the budget to extend the lease of permits whose legs are still active. */
export const renewPermitsSignal = defineSignal<[PermitRenewal]>('renewPermits');
/** Sent to the budget when a requester no longer wants what it has not yet been granted. */
export const cancelPermitRequestSignal = defineSignal<[PermitCancellation]>('cancelPermitRequest');
/** Sent by the budget to the holder workflow. */
export const permitsGrantedSignal = defineSignal<[PermitGrant]>('permitsGranted');
export const budgetStateQuery = defineQuery<BudgetState>('budgetState');

export function callBudgetWorkflowId(account: string): string {
  return `call-budget:${account}`;
}

// ---------------------------------------------------------------------------------------------------------------
// conferenceSession: one conference room and its participants.
// ---------------------------------------------------------------------------------------------------------------

/**
 * One leg's end-of-call notification, as the receiver read it from Hoiio (money stays in Hoiio's decimal strings;
 * the workflow turns it into thousandths). Also what a status poll produces for a leg that ended unnoticed.
 */
export interface CallEnded {
  txnRef: string;
  dest: string;
  callStatus: FinalCallStatus;
  /** Whole billed minutes. */
  durationMinutes: number;
  currency: string;
  /** Per-minute rate, e.g. "0.020". */
  rate: string;
  /** Total charge, e.g. "0.140". */
  debit: string;
  /** GMT+8 "YYYY-MM-DD HH:MM:SS", as Hoiio wrote it. */
  date?: string;
  tag?: string;
}

export interface AddParticipantsRequest {
  participants: ParticipantInput[];
}

export interface AddParticipantsResult {
  /** Numbers queued for dialing, in order. */
  added: string[];
}

export interface ModerateRequest {
  /** The participant's E.164 number. */
  number: string;
}

export interface EndRequest {
  reason?: string;
}

export interface EndResult {
  /** Legs that were active and have been hung up. */
  hungUp: number;
  /** Participants that were still waiting and will not be dialed. */
  cancelled: number;
}

/** Delivered by the notification receiver; duplicates and unknown legs change nothing. */
export const callEndedSignal = defineSignal<[CallEnded]>('callEnded');
export const addParticipantsUpdate = defineUpdate<AddParticipantsResult, [AddParticipantsRequest]>('addParticipants');
export const kickUpdate = defineUpdate<void, [ModerateRequest]>('kick');
export const muteUpdate = defineUpdate<void, [ModerateRequest]>('mute');
export const unmuteUpdate = defineUpdate<void, [ModerateRequest]>('unmute');
/** Hangs up every active leg, dials no more, and lets the session finish with its summary. */
export const endUpdate = defineUpdate<EndResult, [EndRequest]>('end');
export const statusQuery = defineQuery<SessionStatus>('status');
