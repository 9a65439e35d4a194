/**
 * What an escalation reports: its timeline as it goes (the `status` query) and its result. Plain JSON; field names are
 * a wire contract like the input's. Money is in decimal strings with three decimals, summed in thousandths.
 */
import type { FinalCallStatus } from './hoiio-rules';

export type EscalationOutcome = 'acknowledged' | 'unacknowledged' | 'resolved';
export type EscalationPhase = 'paging' | 'bridging' | 'ended';

/** How one responder's try ended, or where it stands. */
export type TryState =
  | 'waiting'
  | 'dialing'
  | 'ringing'
  | 'answered'
  | 'acknowledged'
  | 'declined'
  | 'no-key'
  | 'unanswered'
  | 'busy'
  | 'failed'
  | 'hung-up'
  | 'cancelled';

export interface TimelineEntry {
  /** Epoch milliseconds (workflow time). */
  at: number;
  /** 0-based pass over the policy (0 is the first, 1 the first repeat). */
  round: number;
  /** 0-based step of the policy. */
  step: number;
  event:
    | 'step-started'
    | 'rang'
    | 'answered'
    | 'pressed'
    | 'acknowledged'
    | 'declined'
    | 'no-key'
    | 'no-answer'
    | 'ended'
    | 'hung-up'
    | 'escalated'
    | 'bridged'
    | 'dialed-into-bridge'
    | 'resolved'
    | 'gave-up';
  number?: string;
  name?: string;
  /** What happened, for people: "pressed 2 (decline)", "acknowledged by chat-bot", "busy". */
  detail?: string;
}

export interface ResponderTry {
  /** Unique in the escalation. */
  id: number;
  number: string;
  name?: string;
  round: number;
  step: number;
  state: TryState;
  txnRef?: string;
  /** Hoiio's IVR session id, once a notification (or the dial's reply) has given it. */
  session?: string;
  startedAt: number;
  endedAt?: number;
  /** Why it ended, for people ("busy", "pressed 2", "step over"). */
  detail?: string;
}

export interface EscalationLeg {
  txnRef: string;
  number: string;
  /** An IVR page, or a conference leg dialed into the bridge. */
  kind: 'page' | 'bridge';
  status: FinalCallStatus | 'ongoing';
  minutes: number;
  currency: string;
  rate: string;
  debit: string;
}

export interface Acknowledgement {
  /** Who: the responder's number for a keypress, the `by` of an `acknowledge` update otherwise. */
  by: string;
  name?: string;
  via: 'keypress' | 'update';
  at: number;
  /** Seconds from the escalation's start to the acknowledgement. */
  secondsToAcknowledge: number;
}

export interface EscalationStatus {
  incident: { id: string; title: string };
  phase: EscalationPhase;
  round: number;
  step: number;
  acknowledged?: Acknowledgement;
  /** The tries of the step now ringing (all of them once paging has stopped). */
  tries: ResponderTry[];
  timeline: TimelineEntry[];
  /** Timeline entries dropped from the front to keep a very long escalation's state small. */
  timelineDropped?: number;
}

export interface EscalationResult {
  incident: { id: string; title: string };
  outcome: EscalationOutcome;
  acknowledged?: Acknowledgement;
  /** Why it ended: the resolve reason, or why paging stopped (repeats done, maxMinutes, maxCost). */
  reason?: string;
  startedAt: number;
  endedAt: number;
  timeline: TimelineEntry[];
  timelineDropped?: number;
  legs: EscalationLeg[];
  /** Total per currency, e.g. { "SGD": "0.140" }. */
  cost: Record<string, string>;
}
