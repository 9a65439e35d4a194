/**
 * What the chaos suite dials: N sessions of M participants on the simulator's default account, each participant
 * scripted (answered, busy, no answer, failed, in a fixed mix) so that the ledger can be judged leg by leg: how many
 * legs the redial rules allow, and how each participant must end. Alongside them, M escalations page scripted on-call
 * trees (no answer, busy, then an acknowledger) on the same account.
 */
import { escalationWorkflowId, type EscalationInput } from '../../src/domain/escalation-input';
import type { RedialRules } from '../../src/domain/session-types';

export type Outcome = 'answered' | 'busy' | 'unanswered' | 'failed';

export interface ScriptStep {
  outcome: Outcome;
  ringSeconds?: number;
  talkSeconds?: number;
}

export interface ParticipantPlan {
  number: string;
  name: string;
  script: ScriptStep[];
  /** Legs the script and the redial rules lead to when nothing goes wrong. */
  expectedLegs: number;
  expectedStatus: Outcome;
}

export interface SessionPlan {
  workflowId: string;
  room: string;
  participants: ParticipantPlan[];
}

/** One rule set for every session: every non-answered outcome is redialed at least once. */
export const REDIAL_RULES = {
  busy: { attempts: 2, delaySeconds: 1 },
  unanswered: { attempts: 1, delaySeconds: 2 },
  failed: { attempts: 1, delaySeconds: 1 },
} satisfies RedialRules;

/** Talk times in simulated seconds; the simulator's time scale turns them into real ones. */
export interface TalkRange {
  min: number;
  max: number;
}

/** A small seeded generator (mulberry32), so a seed reproduces the scripts and the chaos schedule. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** The mix, by participant index: [steps, final status]. Legs follow REDIAL_RULES. */
const PATTERNS: Array<(talk: () => ScriptStep) => ScriptStep[]> = [
  (talk) => [talk()], // answered at once
  (talk) => [{ outcome: 'busy' }, talk()], // busy, redialed, answered
  () => [{ outcome: 'unanswered' }, { outcome: 'unanswered' }], // no answer twice: the rule allows one redial
  (talk) => [{ outcome: 'failed' }, talk()], // failed, redialed, answered
  () => [{ outcome: 'busy' }, { outcome: 'busy' }, { outcome: 'busy' }], // busy three times: two redials
  (talk) => [talk()],
];

/** How many legs the redial rules allow for a run of outcomes, and whether each leg after the first was due. */
export function replayRedials(outcomes: readonly string[], rules: RedialRules = REDIAL_RULES) {
  const unjustified: number[] = [];
  for (let i = 1; i < outcomes.length; i += 1) {
    const previous = outcomes[i - 1] as keyof RedialRules;
    const rule = rules[previous];
    // Leg i + 1 is due after leg i only if its outcome has a rule with attempts left (attempts count every leg).
    if (!rule || i >= 1 + rule.attempts) unjustified.push(i);
  }
  const last = outcomes.at(-1) as keyof RedialRules | undefined;
  const lastRule = last === undefined ? undefined : rules[last];
  const redialOwed = lastRule !== undefined && outcomes.length < 1 + lastRule.attempts;
  return { unjustified, redialOwed };
}

export function maxLegs(rules: RedialRules = REDIAL_RULES): number {
  return 1 + Math.max(0, ...Object.values(rules).map((rule) => rule?.attempts ?? 0));
}

export function planSessions(options: {
  sessions: number;
  participants: number;
  seed: number;
  talk: TalkRange;
  runId: string;
}): SessionPlan[] {
  const rng = new Rng(options.seed);
  const talk = (): ScriptStep => ({
    outcome: 'answered',
    ringSeconds: rng.int(2, 8),
    talkSeconds: rng.int(options.talk.min, options.talk.max),
  });
  return Array.from({ length: options.sessions }, (_, s) => ({
    workflowId: `chaos-${options.runId}-s${s + 1}`,
    room: `chaos_${options.runId}_s${s + 1}`,
    participants: Array.from({ length: options.participants }, (_, i) => {
      const script = PATTERNS[i % PATTERNS.length]!(talk);
      const outcomes = script.map((step) => step.outcome);
      return {
        // +65 9<session: 2 digits><participant: 5 digits>: distinct across sessions, valid E.164.
        number: `+659${String(s + 1).padStart(2, '0')}${String(i + 1).padStart(5, '0')}`,
        name: `S${s + 1}P${i + 1}`,
        script,
        expectedLegs: script.length,
        expectedStatus: outcomes.at(-1)!,
      };
    }),
  }));
}

/** The simulator's `scripts` knob for every participant of every session and every number of every escalation. */
export function simulatorScripts(
  plans: readonly SessionPlan[],
  escalations: readonly EscalationChaosPlan[] = [],
): Record<string, ScriptStep[] | ScriptStep> {
  return {
    ...Object.fromEntries(plans.flatMap((plan) => plan.participants.map((p) => [p.number, p.script]))),
    // One script for every call to the number: each pass rings it the same way.
    ...Object.fromEntries(escalations.flatMap((plan) => Object.entries(plan.scripts))),
  };
}

/** What the chaos suite pages: each escalation's scripted on-call tree, and what its ledger must show. */
export interface EscalationChaosPlan {
  workflowId: string;
  incident: { id: string; title: string };
  room: string;
  /** Step 1, rung together: one never answers, one is busy. */
  unanswered: string;
  busy: string;
  /** Step 2: answers and presses the ack key a few simulated seconds into the gather. */
  acknowledger: string;
  alsoDial: string;
  ackDigit: string;
  /** Passes over the policy: 1 + repeat. Each responder is in one step, so it is rung at most once a pass. */
  passes: number;
  input: EscalationInput;
  scripts: Record<string, ScriptStep & { keys?: string; keyAfterSeconds?: number }>;
}

/** Repeats after the first pass: a lost answer or keypress notification is made up by the next pass. */
export const ESCALATION_REPEAT = 2;

export function planEscalations(options: {
  escalations: number;
  seed: number;
  talk: TalkRange;
  runId: string;
}): EscalationChaosPlan[] {
  const rng = new Rng(options.seed ^ 0x2545f491);
  return Array.from({ length: options.escalations }, (_, e) => {
    // +65 8<escalation: 2 digits>0000<responder: 1 digit>: no session number (+65 9...) can be one of these.
    const number = (d: number) => `+658${String(e + 1).padStart(2, '0')}0000${d}`;
    const [unanswered, busy, acknowledger, alsoDial] = [number(1), number(2), number(3), number(9)];
    const incident = { id: `chaos-${options.runId}-e${e + 1}`, title: `Chaos incident ${e + 1}` };
    const room = `chaos_${options.runId}_e${e + 1}`;
    const input: EscalationInput = {
      incident,
      policy: {
        steps: [
          { notify: [unanswered, { number: busy, name: `E${e + 1} busy` }], mode: 'simultaneous', waitSeconds: 30 },
          { notify: [{ number: acknowledger, name: `E${e + 1} on call` }], waitSeconds: 60 },
        ],
        repeat: ESCALATION_REPEAT,
        ackDigit: '1',
        declineDigit: '2',
      },
      bridge: { room, alsoDial: [alsoDial] },
    };
    return {
      workflowId: escalationWorkflowId(incident.id),
      incident,
      room,
      unanswered,
      busy,
      acknowledger,
      alsoDial,
      ackDigit: '1',
      passes: 1 + ESCALATION_REPEAT,
      input,
      scripts: {
        [unanswered]: { outcome: 'unanswered', ringSeconds: 20 },
        [busy]: { outcome: 'busy', ringSeconds: 5 },
        [acknowledger]: {
          outcome: 'answered',
          ringSeconds: rng.int(2, 6),
          keys: '1',
          keyAfterSeconds: 3,
          talkSeconds: rng.int(options.talk.min, options.talk.max),
        },
        [alsoDial]: {
          outcome: 'answered',
          ringSeconds: rng.int(2, 6),
          talkSeconds: rng.int(options.talk.min, options.talk.max),
        },
      },
    };
  });
}
