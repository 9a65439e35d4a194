import type { FinalCallStatus } from './hoiio-rules';

/** A participant as callers write it: a bare E.164 number or a number with a display name. */
export type ParticipantInput = string | { number: string; name?: string };

/** Redial rule for one outcome: how many more attempts after the first, and how long to wait before each. */
export interface RedialRule {
  attempts: number;
  delaySeconds: number;
}

export type RedialRules = Partial<Record<Exclude<FinalCallStatus, 'answered'>, RedialRule>>;

export type ParticipantStatus =
  /** Waiting for a place in the room and a permit from the account's call budget. */
  | 'queued'
  /** Waiting out a redial delay. */
  | 'redial-wait'
  /** A dial request is on its way (or being retried): no leg yet. Shown by `status`; never in a summary. */
  | 'dialing'
  /** A leg is ringing or talking. */
  | 'in-call'
  | FinalCallStatus
  /** Never reached: the session ended first. */
  | 'cancelled';

/**
 * Why a waiting participant (`queued`, or `redial-wait`) is not dialed yet, read from the session's own state:
 * - `redial-delay`: waiting out a redial delay; attempt `attempt` is due at `until` (ISO time).
 * - `room-full`: the room has no place; `inRoom` of the session's legs are in it (8 at most).
 * - `no-line`: no permit for this participant: every line the session may use is taken. Who holds the account's
 *   lines, and who waits ahead, the account's budget knows (`SessionStatus.permits.budget`).
 * - `dial-in-progress`: behind the dial request being sent (it may be retrying a rate limit or a server error).
 */
export type WaitReason =
  | { kind: 'redial-delay'; until: string; attempt: number }
  | { kind: 'room-full'; inRoom: number }
  | { kind: 'no-line' }
  | { kind: 'dial-in-progress' };

/**
 * A live call of an `in-call` participant. `dialing`: the request is being sent, no leg is known yet. `ringing`: the
 * leg is placed and not known to be answered; Hoiio's conference API says only `ongoing` until the leg ends, so a
 * conference leg stays `ringing` here until its end is known.
 */
export interface LiveCall {
  state: 'dialing' | 'ringing';
  /** Muted by a `mute` update (and not unmuted since); a leg starts unmuted. */
  muted: boolean;
}

export interface ParticipantView {
  number: string;
  name?: string;
  status: ParticipantStatus;
  attempts: number;
  txnRefs: string[];
  /** Why the participant failed without a call (e.g. `error_dest_not_supported`), or how the call ended. */
  reason?: string;
  minutes: number;
  debit?: string;
  currency?: string;
  /** Why a waiting participant waits (absent from the status of older workers). */
  waiting?: WaitReason;
  /** What an `in-call` participant's call is doing (absent from the status of older workers). */
  call?: LiveCall;
}

export interface CurrencyTotal {
  currency: string;
  /** Exact decimal string, e.g. "1.260". */
  debit: string;
  minutes: number;
}

export type SessionPhase = 'running' | 'ending' | 'finished';

/** An amount of money in one currency, as a decimal string with three decimals ("0.700"). */
export interface MoneyAmount {
  currency: string;
  amount: string;
}

/**
 * What the pre-flight check found before the first dial (docs/sessions.md, "Pre-flight"): the forecast of the whole
 * roster per currency (participants × per-minute rate × `expectedMinutes`) and the balance it was compared with.
 */
export interface PreflightFigures {
  expectedMinutes: number;
  balance: MoneyAmount;
  forecast: MoneyAmount[];
  /** A partial run (`onShortCredit: "partial"`): how many were dialed, how many not, and the forecast of those dialed. */
  partial?: { dialed: number; notDialed: number; forecast: MoneyAmount[] };
}

/** The session's permits from the account's call budget: one per leg, held until the leg has ended. */
export interface SessionPermits {
  /** The workflow id of the account's `callBudget`: its `budgetState` query names every holder and who waits. */
  budget: string;
  /** Granted and not yet given back (covering live legs, or on hand). */
  held: number;
  /** Granted and not yet used for a dial. */
  available: number;
  /** Asked for and not yet granted. */
  owed: number;
}

export interface SessionStatus {
  room: string;
  phase: SessionPhase;
  participants: ParticipantView[];
  counts: Partial<Record<ParticipantStatus, number>>;
  activeLegs: number;
  costSoFar: CurrencyTotal[];
  /** Absent until the session has found its account's budget (and from the status of older workers). */
  permits?: SessionPermits;
  /** Absent until the pre-flight check is done, from sessions that ran none, and from older workers. */
  preflight?: PreflightFigures;
}

/** One ended leg of a participant, for reports (`bridgekeeper report`, docs/reports.md). */
export interface LegSummary {
  txnRef: string;
  status: FinalCallStatus;
  minutes: number;
  /** Exact decimal string, e.g. "0.140". */
  debit: string;
  /** Absent for a leg settled without a report (nothing billed). */
  currency?: string;
  /**
   * When the leg was placed, and when the session learnt of its end (ISO, workflow clock); absent for legs that ended
   * in a run of an older release.
   */
  dialedAt?: string;
  endedAt?: string;
}

export interface ParticipantSummary {
  number: string;
  name?: string;
  status: Exclude<ParticipantStatus, 'queued' | 'redial-wait' | 'dialing' | 'in-call'>;
  reason?: string;
  attempts: number;
  txnRefs: string[];
  minutes: number;
  /** Per-minute rate of the participant's last billed leg, e.g. "0.020". */
  rate?: string;
  debit: string;
  currency?: string;
  /** The participant's ended legs, in dial order (absent when none has ended, and from results of older releases). */
  legs?: LegSummary[];
}

export interface SessionSummary {
  room: string;
  startedAt: string;
  endedAt: string;
  /** Why the session finished. */
  endedBy: 'completed' | 'end-request' | 'deadline' | 'max-cost';
  /**
   * The reason given to `end`, when one was, or which cap `max-cost` reached and what was spent (absent from results
   * of older releases).
   */
  endReason?: string;
  /** The pre-flight check's figures (absent from sessions that ran none, and from results of older releases). */
  preflight?: PreflightFigures;
  participants: ParticipantSummary[];
  totals: CurrencyTotal[];
  outcomes: Partial<Record<ParticipantSummary['status'], number>>;
  requests: {
    conferenceCall: number;
    historyLookups: number;
    statusPolls: number;
    hangups: number;
    moderations: number;
  };
  retries: { total: number; reasons: Record<string, number> };
  legs: {
    total: number;
    /**
     * How each leg's end became known. `assumed`: Hoiio kept answering that it had no such leg, so the leg was settled
     * as failed with nothing billed, and no report came later to correct it.
     */
    endedBy: { notification: number; poll: number; assumed: number };
    /** Legs whose end came from a poll reply without a debit, with no notification later: their cost is not known. */
    costUnknown: number;
    /** Legs settled without a report (assumed, or cost unknown) and corrected by a later notification or poll. */
    corrected: number;
    duplicateNotifications: number;
    /** `callEnded` signals whose payload did not parse: dropped and counted. */
    malformedNotifications: number;
  };
}
