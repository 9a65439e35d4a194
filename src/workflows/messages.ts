/**
 * Every signal, query and update of bridgekeeper's workflows, in one module shared by workflow code and clients
 * (CLI, receiver, tests), so that names and payload types cannot drift apart.
 *
 * These names and payload shapes, like the workflow type names, are a wire contract: the temporal CLI, Schedules,
 * users' scripts and workflows started on older workers call them by name. Renaming one breaks those callers at run
 * time, not at compile time, so `test/unit/wire-contract.test.ts` pins them; change one only with a deprecation path.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import * as z from 'zod/mini';
import type { CallEnded } from '../domain/call-ended';
import { HIGHEST_PRIORITY, LOWEST_PRIORITY, PRIORITY_RULE } from '../domain/permit-priority';
import type { EscalationStatus } from '../domain/escalation-types';
import type { IvrEvent } from '../domain/ivr-event';
import type { ParticipantInput, SessionStatus } from '../domain/session-types';

// ---------------------------------------------------------------------------------------------------------------
// callBudget: the pool of call permits of one Hoiio application (workflow id from callBudgetWorkflowId(budgetKey)).
//
// Any client of the namespace can signal these workflows with anything, so every payload has a zod schema here: the
// receiving handler parses with it and drops (and counts) what does not parse, never throwing; senders outside
// workflow code (the budget activities) check what they send with the same schema.
// ---------------------------------------------------------------------------------------------------------------

const MAX_ID = 512;
/** More than any real message carries (a holder has at most a few dozen permits); keeps a hostile payload small. */
const MAX_LIST = 1_000;
const id = z.string().check(z.minLength(1), z.maxLength(MAX_ID));
const positiveInt = z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));
const idList = z.array(id).check(z.maxLength(MAX_LIST));
/**
 * How urgent a request is, as Temporal's task priorities: 1 (served first) to 5; absent means 3 (`ROUTINE_PRIORITY`
 * in `src/domain/permit-priority.ts`, which also names the escalation's `PAGE_PRIORITY`). It only orders the queue.
 */
const priority = z
  .number()
  .check(z.int(PRIORITY_RULE), z.minimum(HIGHEST_PRIORITY, PRIORITY_RULE), z.maximum(LOWEST_PRIORITY, PRIORITY_RULE));

export const permitRequestSchema = z.object({
  /** Unique per request; grants and cancellations refer to it. */
  requestId: id,
  /** Workflow id of the requester; grants are signalled there with `permitsGranted`. */
  holder: id,
  /** How many permits are wanted; they may arrive over several grants. */
  count: positiveInt,
  /** How long a granted permit may be held without renewal before the budget checks on its holder. */
  leaseMs: z.optional(positiveInt),
  /** Workflow type of the holder (set by the activity that delivers the request): whom to ask after a reset. */
  holderType: z.optional(id),
  /** Waiting requests are served by priority, lowest number first, then in the order they came; absent: 3. */
  priority: z.optional(priority),
});
export type PermitRequest = z.infer<typeof permitRequestSchema>;

export const permitGrantSchema = z.object({
  requestId: id,
  permitIds: idList,
});
export type PermitGrant = z.infer<typeof permitGrantSchema>;

export const permitReleaseSchema = z.object({
  holder: id,
  permitIds: idList,
});
export type PermitRelease = z.infer<typeof permitReleaseSchema>;

/** Which leg (Hoiio txn_ref) a permit covers: what the budget hangs up if the holder is gone. */
export const permitBindingSchema = z.object({ permitId: id, txnRef: id });
export type PermitBinding = z.infer<typeof permitBindingSchema>;

export const pendingRequestSchema = z.object({
  requestId: id,
  remaining: positiveInt,
  /** The request's priority, so that a budget that learns of it from this report serves it in its place; absent: 3. */
  priority: z.optional(priority),
});

/**
 * A holder's report of everything it has at this budget: every permit it holds (the lease of each is extended), the
 * legs they cover, and its requests not yet fully granted. Sent as a renewal, when a leg is bound, when the budget
 * asks (`reportPermits`), and through `announcePermits` (signal-with-start) when the budget is not running. A budget
 * that does not know a listed permit adopts it; one that does not know a pending request queues it.
 * `permitIds` alone (no `pending`) is a plain renewal, as older holders send.
 */
export const permitRenewalSchema = z.object({
  holder: id,
  permitIds: idList,
  /** The budget the holder belongs to; a report for another budget (an answer to its `reportPermits`) adopts nothing. */
  budgetKey: z.optional(id),
  bindings: z.optional(z.array(permitBindingSchema).check(z.maxLength(MAX_LIST))),
  /** Every request of the holder not yet fully granted, with what is still owed. */
  pending: z.optional(z.array(pendingRequestSchema).check(z.maxLength(MAX_LIST))),
  /** Lease of the holder's permits (adopted permits get it). */
  leaseMs: z.optional(positiveInt),
  /** Workflow type of the holder. */
  holderType: z.optional(id),
});
export type PermitRenewal = z.infer<typeof permitRenewalSchema>;

export const permitCancellationSchema = z.object({ holder: id, requestId: id });
export type PermitCancellation = z.infer<typeof permitCancellationSchema>;

/** Sent by a budget to a holder that should report its permits (`renewPermits`) to the budget named by the key. */
export const reportPermitsRequestSchema = z.object({ budgetKey: id });
export type ReportPermitsRequest = z.infer<typeof reportPermitsRequestSchema>;

/**
 * Sent by a budget to the holders of its permits when a more urgent request waits: stop reusing the permits you hold
 * now for your own next calls, and give each back as its call ends, so that the urgent request gets it.
 */
export const recallPermitsSchema = z.object({ budgetKey: id });
export type RecallPermits = z.infer<typeof recallPermitsSchema>;

export interface HeldPermit {
  permitId: string;
  holder: string;
  /** The request it was granted for; `adopted` for a permit the budget learned from a holder's report. */
  requestId: string;
  grantedAt: number;
  leaseExpiresAt: number;
  /** Lease length of this permit: each renewal moves `leaseExpiresAt` to now + `leaseMs`. */
  leaseMs: number;
  /** The leg this permit covers, once the holder has bound it. */
  txnRef?: string;
  /** Learned from a holder's report rather than granted by this budget (e.g. after the budget was reset). */
  adopted?: boolean;
  /** The priority of the request it was granted for, when not routine (3); none for an adopted permit. */
  priority?: number;
}

export interface WaitingRequest {
  requestId: string;
  holder: string;
  /** Permits still owed to this request. */
  remaining: number;
  /** When the budget learned of the request: requests of one priority are served in this order. */
  requestedAt: number;
  /** Lease length the permits of this request get when granted. */
  leaseMs: number;
  /** 1 (served first) to 5; 3 for a request that named none. */
  priority: number;
}

/** The pool itself: what is held and what waits, as the budget reports it and hands it to its next run. */
export interface BudgetPool {
  held: HeldPermit[];
  /** In the order they will be served: by priority, then by `requestedAt`. */
  waiting: WaitingRequest[];
}

/** What the budget has counted since it first started (carried across continue-as-new). */
export interface BudgetCounters {
  /** Permits taken back from holders that were gone (terminated, failed, finished, not found). */
  reclaimed: number;
  /** Permits taken back because the grant could not be signalled (the holder no longer exists). */
  undelivered: number;
  /** Permits granted since the budget first started. */
  granted: number;
  /** Leases that ran out while their holder was still running, and were extended. */
  leaseExtensions?: number;
  /** Legs of gone holders the budget hung up before reusing their permits. */
  hungUp?: number;
  /** Permits learned from holders' reports (after a reset, or a run that did not know them). */
  adopted?: number;
  /** Signals dropped because their payload did not parse. */
  malformed?: number;
}

export interface BudgetState extends BudgetPool, BudgetCounters {
  /** Hoiio account name the budget was started with: its credentials hang up the legs of holders that are gone. */
  account: string;
  /** The Hoiio application id that names the budget (absent from budgets started before it existed). */
  budgetKey?: string;
  capacity: number;
  /** True while a fresh run waits for holders' reports before granting (see `budget/recovery.ts`). */
  recovering?: boolean;
}

/** Sent to the budget (by an activity's signalWithStart for the first request). */
export const requestPermitsSignal = defineSignal<[PermitRequest]>('requestPermits');
/** Sent to the budget when legs end. */
export const releasePermitsSignal = defineSignal<[PermitRelease]>('releasePermits');
/** Sent to the budget to extend the lease of held permits, and to report what the holder has (see the schema). */
export const renewPermitsSignal = defineSignal<[PermitRenewal]>('renewPermits');
/** Sent to the budget when a requester no longer wants what it has not yet been granted. */
export const cancelPermitRequestSignal = defineSignal<[PermitCancellation]>('cancelPermitRequest');
/** Sent by the budget to the holder workflow. */
export const permitsGrantedSignal = defineSignal<[PermitGrant]>('permitsGranted');
/** Sent by a budget (or its activity) to a holder: report what you have to me with `renewPermits`. */
export const reportPermitsSignal = defineSignal<[ReportPermitsRequest]>('reportPermits');
/** Sent by a budget to its holders while a more urgent request waits (see the schema). */
export const recallPermitsSignal = defineSignal<[RecallPermits]>('recallPermits');
export const budgetStateQuery = defineQuery<BudgetState>('budgetState');
/**
 * Asked of a holder (a session, an escalation) by its budget once the holder is gone: the permits it held and the leg
 * each covered when it stopped, which its last report may not have said. Answered from history for a closed workflow.
 */
export const permitHoldingsQuery = defineQuery<PermitRenewal>('permitHoldings');

/**
 * The budget's workflow id. `budgetKey` is the Hoiio application id of the account (Hoiio's 8-call limit is per
 * application, so every account name on one application shares one budget); it is not a secret, the token is.
 */
export function callBudgetWorkflowId(budgetKey: string): string {
  return `call-budget:${budgetKey}`;
}

// ---------------------------------------------------------------------------------------------------------------
// conferenceSession: one conference room and its participants.
// ---------------------------------------------------------------------------------------------------------------

/**
 * One leg's end-of-call notification, as the receiver read it from Hoiio (money stays in Hoiio's decimal strings;
 * the workflow turns it into thousandths). Its zod schema lives in `src/domain/call-ended.ts`.
 */
export type { CallEnded };

export interface AddParticipantsRequest {
  participants: ParticipantInput[];
}

export interface AddParticipantsResult {
  /** Numbers queued for dialing, in order. */
  added: string[];
  /** Numbers already in the session whose call has ended: `redial` dials them again, `addParticipants` does not. */
  redialable?: string[];
}

export interface ModerateRequest {
  /** The participant's E.164 number. */
  number: string;
}

/** A participant whose call has ended (kicked, hung up, unanswered, busy, failed), to be dialed again. */
export type RedialRequest = ModerateRequest;

export interface RedialResult {
  /** The number, queued for dialing behind whoever already waits. */
  queued: string;
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
/** Dials a participant whose call has ended once more, under the same permits, batches and room limit as any dial. */
export const redialUpdate = defineUpdate<RedialResult, [RedialRequest]>('redial');
/** Hangs up every active leg, dials no more, and lets the session finish with its summary. */
export const endUpdate = defineUpdate<EndResult, [EndRequest]>('end');
export const statusQuery = defineQuery<SessionStatus>('status');

// ---------------------------------------------------------------------------------------------------------------
// escalation: one incident's call tree (workflow id from escalationWorkflowId(incident id)).
// ---------------------------------------------------------------------------------------------------------------

export type { IvrEvent };

export interface AcknowledgeRequest {
  /** Who acknowledged, as the timeline should say it: "chat-bot", "alice@example.com". */
  by: string;
}

export interface AcknowledgeResult {
  /** False when someone had already acknowledged (their acknowledgement stands). */
  acknowledged: boolean;
}

export interface ResolveRequest {
  reason?: string;
}

export interface ResolveResult {
  /** Calls that were live (paging or in the bridge) and have been hung up. */
  hungUp: number;
}

export interface EscalateResult {
  /** The step now ringing (0-based), or undefined when there was none left and paging has stopped. */
  step?: number;
  round?: number;
}

export interface AddRespondersRequest {
  responders: ParticipantInput[];
  /** The step (0-based) to add them to; default the current one, whose ringing they join at once. */
  step?: number;
}

export interface AddRespondersResult {
  added: string[];
  step: number;
}

/** Delivered by the notification receiver: one IVR block finished, or the call ended. */
export const ivrEventSignal = defineSignal<[IvrEvent]>('ivrEvent');
/** An acknowledgement from outside the phone (a chat bot, a person at a console). */
export const acknowledgeUpdate = defineUpdate<AcknowledgeResult, [AcknowledgeRequest]>('acknowledge');
/** Hangs up everything, bridge included, and finishes with outcome `resolved`. */
export const resolveUpdate = defineUpdate<ResolveResult, [ResolveRequest]>('resolve');
/** Skips to the next step now. */
export const escalateUpdate = defineUpdate<EscalateResult, []>('escalate');
export const addRespondersUpdate = defineUpdate<AddRespondersResult, [AddRespondersRequest]>('addResponders');
export const escalationStatusQuery = defineQuery<EscalationStatus>('status');
