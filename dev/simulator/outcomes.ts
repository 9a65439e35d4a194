import { type Outcome, OUTCOMES, type ScriptEntry, type Timing, type OutcomeWeights } from './config-schema';
import { type Random } from './random';

/** How one leg will go, decided when it is dialed. */
export interface LegPlan {
  outcome: Outcome;
  /** Simulated seconds until answer (answered) or until the leg ends (any other outcome). */
  ringSeconds: number;
  /** Simulated seconds of talk after answer; 0 for legs never answered. */
  talkSeconds: number;
  /** IVR: keys pressed in a Gather block ('' presses nothing), how long after its start, and a callee hang-up. */
  keys: string;
  keyAfterSeconds: number;
  /** Simulated seconds after answer when the callee hangs up; undefined: never on their own. */
  hangUpAfterSeconds: number | undefined;
  scripted: boolean;
}

/** When a script gives keys but not when: a second into the Gather block. */
export const DEFAULT_KEY_AFTER_SECONDS = 1;

/**
 * Decides each leg's outcome: a script for the number if one covers this attempt, else the seeded generator.
 * The generator always draws three numbers per leg, scripted or not, so adding a script for one number does not
 * reshuffle the outcomes of the others.
 */
export class OutcomePlanner {
  private readonly attempts = new Map<string, number>();

  plan(
    dest: string,
    scripts: Record<string, ScriptEntry>,
    timing: Timing,
    weights: OutcomeWeights,
    rng: Random,
  ): LegPlan {
    const pick = rng.next();
    const ringDraw = rng.integer(timing.ringSeconds.min, timing.ringSeconds.max);
    const talkDraw = rng.integer(timing.talkSeconds.min, timing.talkSeconds.max);

    const attempt = this.attempts.get(dest) ?? 0;
    this.attempts.set(dest, attempt + 1);
    const entry = scripts[dest];
    const script = Array.isArray(entry) ? entry[attempt] : entry;

    const outcome = script?.outcome ?? weightedOutcome(pick, weights);
    const defaultRing =
      outcome === 'answered'
        ? ringDraw
        : outcome === 'unanswered'
          ? timing.noAnswerSeconds
          : outcome === 'busy'
            ? timing.busySeconds
            : timing.failedSeconds;
    return {
      outcome,
      ringSeconds: script?.ringSeconds ?? defaultRing,
      talkSeconds: outcome === 'answered' ? (script?.talkSeconds ?? talkDraw) : 0,
      keys: script?.keys ?? '',
      keyAfterSeconds: script?.keyAfterSeconds ?? DEFAULT_KEY_AFTER_SECONDS,
      hangUpAfterSeconds: script?.hangUpAfterSeconds,
      scripted: script !== undefined,
    };
  }

  /** Attempt counters restart (for /_sim/reset), so per-attempt scripts start again from their first entry. */
  reset(): void {
    this.attempts.clear();
  }
}

function weightedOutcome(pick: number, weights: OutcomeWeights): Outcome {
  const total = OUTCOMES.reduce((sum, outcome) => sum + weights[outcome], 0);
  let threshold = pick * total;
  for (const outcome of OUTCOMES) {
    threshold -= weights[outcome];
    if (threshold < 0) return outcome;
  }
  // Float rounding can leave pick * total a hair above the sum: fall to the last outcome that has any weight.
  return [...OUTCOMES].reverse().find((outcome) => weights[outcome] > 0) ?? 'answered';
}
