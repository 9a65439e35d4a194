/**
 * Every signal, query and update of bridgekeeper's workflows, in one module shared by workflow code and clients
 * (CLI, receiver, tests), so that names and payload types cannot drift apart.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

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
