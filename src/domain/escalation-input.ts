/**
 * The `escalation` workflow's input: plain JSON, so `temporal workflow start --type escalation --input '<json>'`, the
 * CLI and the Alertmanager receiver all send the same thing. Its field names are a wire contract
 * (`test/unit/wire-contract.test.ts`). It names an account, never a token (docs/design.md, invariant 5).
 *
 * A *policy file* (`bridgekeeper page --policy`, the receiver's policies directory) holds the same input without the
 * incident, and with `bridge` optional: its room then comes from the incident id.
 */
import * as z from 'zod/mini';
import { E164_PATTERN, E164_RULE, MAX_ROOM_PARTICIPANTS, ROOM_PATTERN, ROOM_RULE } from './hoiio-rules';
import { NON_NEGATIVE_MONEY_RULE, NON_NEGATIVE_MONEY_TEXT } from './money';
import {
  ACCOUNT_NAME_PATTERN,
  ACCOUNT_NAME_RULE,
  DEFAULT_ACCOUNT,
  describeInputIssue,
  formatProblems,
  type InputProblem,
  participantsSchema,
} from './session-input';
import { wholeNumber } from './call-ended';
import { parsePayload } from './input-text';

export { DEFAULT_ACCOUNT, formatProblems, type InputProblem };

export const STEP_MODES = ['simultaneous', 'sequential', 'round-robin'] as const;
export type StepMode = (typeof STEP_MODES)[number];
export const MAX_STEPS = 20;
export const MAX_RESPONDERS_PER_STEP = 50;
/** Finite repeats are capped; past that, `until-acknowledged` with its bounds is the honest setting. */
export const MAX_REPEATS = 100;
/** The bound of an `until-acknowledged` policy that sets none: one day. */
export const DEFAULT_MAX_MINUTES = 24 * 60;
export const INCIDENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const INCIDENT_ID_RULE = 'must be 1 to 64 characters of A-Z a-z 0-9 . _ : -';
/** The spoken message carries the title; Hoiio speaks at most 500 characters in some of its docs. */
export const MAX_TITLE_LENGTH = 200;
const DIGIT = /^[0-9*#]$/;
const DIGIT_RULE = 'must be one keypad key: 0-9, * or #';

const keypadKey = (defaultKey: string) => z._default(z.string().check(z.regex(DIGIT, DIGIT_RULE)), defaultKey);

const stepSchema = z.strictObject({
  notify: participantsSchema.check(
    z.minLength(1, 'a step needs at least one responder'),
    z.maxLength(MAX_RESPONDERS_PER_STEP, `a step may list at most ${MAX_RESPONDERS_PER_STEP} responders`),
  ),
  mode: z._default(z.enum(STEP_MODES), 'simultaneous'),
  /** How long the step rings before the next starts; in `sequential` and `round-robin` it is shared among responders. */
  waitSeconds: wholeNumber(10, 86_400),
});

export const policySchema = z
  .strictObject({
    steps: z.array(stepSchema).check(z.minLength(1, 'needs at least one step'), z.maxLength(MAX_STEPS)),
    /** Further passes over the steps after the first, or `until-acknowledged` (bounded by maxMinutes and maxCost). */
    repeat: z._default(z.union([wholeNumber(0, MAX_REPEATS), z.literal('until-acknowledged')]), 0),
    /** The step (0-based) each repeat starts from. */
    repeatFrom: z._default(z.number().check(z.int(), z.minimum(0)), 0),
    ackDigit: keypadKey('1'),
    declineDigit: keypadKey('2'),
    /** The escalation stops paging after this many minutes (default one day when repeating until acknowledged). */
    maxMinutes: z.optional(wholeNumber(1, 30 * 24 * 60)),
    /** The escalation stops paging once its calls have cost this much, in the account's currency ("5.000"). */
    maxCost: z.optional(z.string().check(z.regex(NON_NEGATIVE_MONEY_TEXT, NON_NEGATIVE_MONEY_RULE))),
  })
  .check(
    z.superRefine((policy, ctx) => {
      if (policy.steps.length > 0 && policy.repeatFrom >= policy.steps.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['repeatFrom'],
          message: `must name one of the ${policy.steps.length} steps (0 to ${policy.steps.length - 1})`,
        });
      }
      if (policy.ackDigit === policy.declineDigit) {
        ctx.addIssue({ code: 'custom', path: ['declineDigit'], message: 'must differ from ackDigit' });
      }
    }),
  );

const bridgeSchema = z.strictObject({
  room: z.string().check(z.regex(ROOM_PATTERN, ROOM_RULE)),
  /** Dialed into the room once someone acknowledges; the acknowledger takes the room's last place. */
  alsoDial: z._default(
    participantsSchema.check(
      z.maxLength(
        MAX_ROOM_PARTICIPANTS - 1,
        `at most ${MAX_ROOM_PARTICIPANTS - 1}: the room holds 8 with the acknowledger`,
      ),
    ),
    [],
  ),
});

const callerId = z
  .string()
  .check(
    z.refine(
      (value) => value === 'private' || E164_PATTERN.test(value),
      `must be "private" or ${E164_RULE.replace('must be ', '')}`,
    ),
  );
const account = z.string().check(z.regex(ACCOUNT_NAME_PATTERN, ACCOUNT_NAME_RULE));

export const incidentSchema = z.strictObject({
  id: z.string().check(z.regex(INCIDENT_ID_PATTERN, INCIDENT_ID_RULE)),
  title: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(MAX_TITLE_LENGTH)),
});

export const escalationInputSchema = z.strictObject({
  incident: incidentSchema,
  policy: policySchema,
  bridge: bridgeSchema,
  callerId: z.optional(callerId),
  account: z.optional(account),
});

/** What a policy file holds: the input without the incident; the bridge room defaults from the incident id. */
export const policyFileSchema = z.strictObject({
  policy: policySchema,
  bridge: z.optional(z.partial(bridgeSchema, { room: true })),
  callerId: z.optional(callerId),
  account: z.optional(account),
});

export type EscalationInput = z.input<typeof escalationInputSchema>;
/** The input with every default filled in, as the workflow runs it. */
export type EscalationPlan = z.output<typeof escalationInputSchema>;
export type EscalationPolicy = EscalationPlan['policy'];
export type PolicyFile = z.output<typeof policyFileSchema>;

export function validateEscalationInput(
  input: unknown,
): { ok: true; value: EscalationPlan } | { ok: false; problems: InputProblem[] } {
  const parsed = parsePayload(escalationInputSchema, input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => describeIssue(issue, input)) };
}

export function validatePolicyFile(
  input: unknown,
): { ok: true; value: PolicyFile } | { ok: false; problems: InputProblem[] } {
  const parsed = parsePayload(policyFileSchema, input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => describeIssue(issue, input)) };
}

/** A bridge room from an incident id, for a policy file that names none: the room charset is narrower. */
export function roomForIncident(incidentId: string): string {
  return `inc_${incidentId.replace(/[^A-Za-z0-9._]/g, '_')}`.slice(0, 32);
}

/** The escalation input from a policy file and an incident. */
export function escalationFromPolicy(file: PolicyFile, incident: { id: string; title: string }): EscalationInput {
  return {
    incident,
    policy: file.policy,
    bridge: { room: file.bridge?.room ?? roomForIncident(incident.id), alsoDial: file.bridge?.alsoDial ?? [] },
    ...(file.callerId === undefined ? {} : { callerId: file.callerId }),
    ...(file.account === undefined ? {} : { account: file.account }),
  };
}

/** The escalation's workflow id: one per incident, so a second page for the same incident finds the first. */
export function escalationWorkflowId(incidentId: string): string {
  return `escalation:${incidentId}`;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): InputProblem {
  return describeInputIssue(issue, root, {
    unionRule: (path) =>
      path.at(-1) === 'repeat'
        ? `must be a whole number from 0 to ${MAX_REPEATS} or "until-acknowledged"`
        : `must be an E.164 number or { number, name }: ${E164_RULE}`,
  });
}
