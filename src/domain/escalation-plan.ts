/**
 * Where an escalation is in its policy and where it goes next, as pure functions: who a step rings and in what order,
 * how a step's time is shared, and which step follows (docs/escalation.md). No clock and no I/O: the workflow asks.
 */
import type { ParticipantInput } from './session-types';
import type { EscalationPolicy } from './escalation-input';

export interface Position {
  /** 0-based pass over the policy: 0 is the first, 1 the first repeat. */
  round: number;
  /** 0-based step. */
  step: number;
}

export interface Responder {
  number: string;
  name?: string;
}

/** Each slot rings its responders together, for `ms`; a step's slots run one after another. */
export interface Slot {
  responders: Responder[];
  ms: number;
}

export function asResponder(entry: ParticipantInput): Responder {
  if (typeof entry === 'string') return { number: entry };
  return entry.name === undefined ? { number: entry.number } : { number: entry.number, name: entry.name };
}

/**
 * A step's slots. `simultaneous`: one slot of everyone for the whole wait. `sequential`: one responder at a time, the
 * wait shared equally among them, so a step takes `waitSeconds` whatever its mode. `round-robin`: as sequential, but
 * each pass over the policy starts one responder further along.
 */
export function slotsOf(policy: EscalationPolicy, position: Position, extra: readonly Responder[] = []): Slot[] {
  const step = policy.steps[position.step]!;
  const responders = [...step.notify.map(asResponder), ...extra];
  const waitMs = step.waitSeconds * 1000;
  if (step.mode === 'simultaneous' || responders.length === 1) return [{ responders, ms: waitMs }];
  const shift = step.mode === 'round-robin' ? roundsOfStep(policy, position) % responders.length : 0;
  const ordered = [...responders.slice(shift), ...responders.slice(0, shift)];
  const each = Math.floor(waitMs / ordered.length);
  return ordered.map((responder, index) => ({
    responders: [responder],
    // The last slot takes what the division left, so the step still lasts exactly its wait.
    ms: index === ordered.length - 1 ? waitMs - each * (ordered.length - 1) : each,
  }));
}

/** How many times this step has run before in this escalation (repeats start at repeatFrom). */
function roundsOfStep(policy: EscalationPolicy, { round, step }: Position): number {
  if (round === 0) return 0;
  return step >= policy.repeatFrom ? round : 0;
}

/** The step after this one, or undefined once the policy (with its repeats) is done. */
export function nextPosition(policy: EscalationPolicy, { round, step }: Position): Position | undefined {
  if (step + 1 < policy.steps.length) return { round, step: step + 1 };
  const repeats = policy.repeat === 'until-acknowledged' ? Infinity : policy.repeat;
  if (round + 1 > repeats) return undefined;
  return { round: round + 1, step: policy.repeatFrom };
}

/** Until-acknowledged paging stops at maxMinutes; a finite policy stops there too if it sets one. */
export function pagingDeadline(
  policy: EscalationPolicy,
  startedAt: number,
  defaultMaxMinutes: number,
): number | undefined {
  const minutes = policy.maxMinutes ?? (policy.repeat === 'until-acknowledged' ? defaultMaxMinutes : undefined);
  return minutes === undefined ? undefined : startedAt + minutes * 60_000;
}
