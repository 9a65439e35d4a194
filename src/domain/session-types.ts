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
}

export interface CurrencyTotal {
  currency: string;
  /** Exact decimal string, e.g. "1.260". */
  debit: string;
  minutes: number;
}

export type SessionPhase = 'running' | 'ending' | 'finished';

export interface SessionStatus {
  room: string;
  phase: SessionPhase;
  participants: ParticipantView[];
  counts: Partial<Record<ParticipantStatus, number>>;
  activeLegs: number;
  costSoFar: CurrencyTotal[];
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
}

export interface SessionSummary {
  room: string;
  startedAt: string;
  endedAt: string;
  /** Why the session finished. */
  endedBy: 'completed' | 'end-request' | 'deadline';
  /** The reason given to `end`, when one was (absent from results of older releases). */
  endReason?: string;
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
