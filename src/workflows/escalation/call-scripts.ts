/**
 * What an escalation's IVR calls say. Hoiio speaks `msg` as text (docs/hoiio-api.md, "IVR"); short sentences, the
 * incident first, since a person woken at night hears the first words best.
 */
import type { EscalationPlan } from '../../domain/escalation-input';

export interface CallScripts {
  /** Spoken as the call is answered. */
  greeting: string;
  /** Spoken by the gather block, again on each of its attempts. */
  question: string;
  declined: string;
  noKey: string;
  stepOver: string;
  taken(by: string | undefined): string;
  joining: string;
  resolved: string;
}

/** Gather: one key, ten seconds to press it, asked three times. */
export const GATHER = { maxDigits: 1, timeoutSeconds: 10, attempts: 3 } as const;

/**
 * Hoiio reads markup in `msg` (`<speech>`, `<url>`): text from outside (an alert's summary, an `acknowledge`'s
 * `by`) is spoken as text, never read as markup, or one `<` in a title would make every question fail.
 */
export function spoken(text: string): string {
  return text.replace(/[<>&]/g, ' ').replace(/\s+/g, ' ').trim();
}

export function callScripts(plan: EscalationPlan): CallScripts {
  const { incident, policy } = plan;
  return {
    greeting: `Incident ${spoken(incident.id)}.`,
    question: `${spoken(incident.title)}. Press ${policy.ackDigit} to take this incident, or ${policy.declineDigit} to pass.`,
    declined: 'Thank you. We will page the next responder. Goodbye.',
    noKey: 'No key was pressed. Goodbye.',
    stepOver: 'We are paging the next responder. Goodbye.',
    taken: (by) => (by ? `This incident was taken by ${spoken(by)}. Goodbye.` : 'This incident was taken. Goodbye.'),
    joining: 'Connecting you to the incident bridge.',
    resolved: 'This incident is resolved. Goodbye.',
  };
}
