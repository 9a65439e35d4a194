import { z } from 'zod';

/**
 * Zod schemas for everything that configures the simulator: startup options, the env/JSON file of main.ts and the
 * runtime patches of `POST /_sim/config`. One source, so all three reject the same mistakes with the same field names.
 */

export const OUTCOMES = ['answered', 'unanswered', 'busy', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Rate limits are counted per API, and the legacy alias is the same API as conference/call. */
export const LIMITED_ENDPOINTS = [
  'conference/call',
  'conference/moderate',
  'voice/query_status',
  'voice/hangup',
  'voice/get_history',
  'voice/get_rate',
  'user/get_balance',
  'ivr/start/dial',
  'ivr/middle/gather',
  'ivr/end/transfer',
  'ivr/end/hangup',
] as const;
/** The IVR block endpoints (docs/hoiio-api.md, "IVR"): every request names an IVR session. */
export const IVR_BLOCK_ENDPOINTS = ['ivr/middle/gather', 'ivr/end/transfer', 'ivr/end/hangup'] as const;
/** Every path under /open/ that the simulator answers: each API, plus conference/call's legacy alias. */
export const ENDPOINTS = [...LIMITED_ENDPOINTS, 'voice/conference'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export type LimitedEndpoint = (typeof LIMITED_ENDPOINTS)[number];

export const E164 = /^\+[1-9]\d{6,14}$/;
const e164 = z.string().regex(E164, 'expected an E.164 number such as +6511111111');
const prefix = z.string().regex(/^\+\d{1,14}$/, 'expected a dialling prefix such as +65');
export const moneyText = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,3})?$/, 'expected a non-negative decimal with at most 3 decimals, such as "0.020"');
const probability = z.number().min(0).max(1);
const seconds = z.number().finite().nonnegative();
/** Node's timers hold 32-bit signed milliseconds: a longer delay fires at once instead of late. */
export const MAX_TIMER_MS = 2_147_483_647;
export const TIMER_RULE = `must be at most ${MAX_TIMER_MS} ms, the longest timer Node keeps (a longer one fires at once)`;
const milliseconds = z.number().int().nonnegative().max(MAX_TIMER_MS, TIMER_RULE);
const positiveMilliseconds = z.number().int().positive().max(MAX_TIMER_MS, TIMER_RULE);

const range = z
  .strictObject({ min: seconds, max: seconds })
  .refine((value) => value.min <= value.max, { message: 'min must not exceed max', path: ['max'] });

export const legScriptSchema = z.strictObject({
  outcome: z.enum(OUTCOMES),
  /** Simulated seconds between the dial and the answer (or the end, for a leg that is never answered). */
  ringSeconds: seconds.optional(),
  /**
   * Simulated seconds from answer to hang-up; only used when the outcome is `answered`. For an IVR call: how long it
   * stays in the conference room it is transferred to.
   */
  talkSeconds: seconds.optional(),
  /** IVR: the keys the callee presses during a Gather block; absent (or empty) presses nothing. */
  keys: z
    .string()
    .regex(/^[0-9*#]{0,255}$/, 'expected keypad keys (0-9, * and #), at most 255')
    .optional(),
  /** IVR: simulated seconds from the start of a Gather block until the keys are pressed (default 1). */
  keyAfterSeconds: seconds.optional(),
  /** IVR: the callee hangs up this many simulated seconds after answering, whatever the call is doing. */
  hangUpAfterSeconds: seconds.optional(),
});
export type LegScript = z.infer<typeof legScriptSchema>;

/** One script for every attempt, or one per attempt in order (attempts past the end fall back to the generator). */
export const scriptEntrySchema = z.union([legScriptSchema, z.array(legScriptSchema).min(1)]);
export type ScriptEntry = z.infer<typeof scriptEntrySchema>;
const scriptsSchema = z.record(e164, scriptEntrySchema);
/** `null` for a number deletes its script at runtime. */
const scriptsPatchSchema = z.record(e164, scriptEntrySchema.nullable());

export const accountSchema = z.strictObject({
  appId: z.string().min(1).max(100),
  accessToken: z.string().min(1).max(200),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as SGD'),
  /** Transferable credit. */
  points: moneyText,
  /** Non-transferable credit, spent first. */
  bonus: moneyText,
  trial: z.boolean(),
  /** The only numbers a trial account may dial (its verified numbers). */
  trialAllowedNumbers: z.array(e164),
  /** Per-minute rates by destination prefix; the longest matching prefix wins. */
  rates: z.record(prefix, moneyText),
  /** Rate for numbers no prefix matches; null makes such numbers unsupported. */
  defaultRate: moneyText.nullable(),
  unsupportedPrefixes: z.array(prefix),
});
export type AccountConfig = z.infer<typeof accountSchema>;
/** Everything but appId may be left out; main.ts and /_sim/config fill the rest from the embedded defaults. */
export const accountInputSchema = accountSchema.partial().required({ appId: true });
export type AccountInput = z.infer<typeof accountInputSchema>;

export const timingSchema = z.strictObject({
  /** Ring time before an answer. */
  ringSeconds: range,
  /** Talk time from answer to hang-up. */
  talkSeconds: range,
  /** Ring time of a leg nobody answers. */
  noAnswerSeconds: seconds,
  busySeconds: seconds,
  failedSeconds: seconds,
  /** Hoiio dials a request's numbers one after another: the pause between two of them. */
  dialGapSeconds: seconds,
  /** IVR: how long speaking any block's `msg` takes (a block without msg takes none). */
  ivrMessageSeconds: seconds,
  /** IVR: how long an answered call waits for its next block before the simulator hangs it up. */
  ivrIdleSeconds: seconds,
});
export type Timing = z.infer<typeof timingSchema>;

export const outcomeWeightsSchema = z
  .strictObject({ answered: seconds, unanswered: seconds, busy: seconds, failed: seconds })
  .refine((w) => w.answered + w.unanswered + w.busy + w.failed > 0, { message: 'at least one weight must be > 0' });
export type OutcomeWeights = z.infer<typeof outcomeWeightsSchema>;

export const limitsSchema = z.strictObject({
  maxDestsPerRequest: z.number().int().positive(),
  maxRoomParticipants: z.number().int().positive(),
  maxConcurrentCalls: z.number().int().positive(),
});
export type Limits = z.infer<typeof limitsSchema>;

export const apiFaultSchema = z.strictObject({
  /** Answer `error_rate_limit_exceeded` without doing anything. */
  rateLimitRate: probability,
  /** Answer `error_internal_server_error` without doing anything. */
  internalErrorRate: probability,
  /** Answer a bare HTTP 5xx (non-JSON body) without doing anything. */
  http5xxRate: probability,
  /** Do the work, then answer a bare HTTP 5xx: the ambiguous failure a client must reconcile. */
  http5xxAfterRate: probability,
  http5xxStatus: z.number().int().min(500).max(599),
  /** Do the work, then hold the reply back for slowMs. */
  slowRate: probability,
  slowMs: milliseconds,
});
export type ApiFault = z.infer<typeof apiFaultSchema>;

export const notificationFaultSchema = z.strictObject({
  dropRate: probability,
  duplicateRate: probability,
  delayRate: probability,
  delayMs: milliseconds,
  /** Held back until the next notification has gone out (or reorderHoldMs passed). */
  reorderRate: probability,
  reorderHoldMs: milliseconds,
});
export type NotificationFault = z.infer<typeof notificationFaultSchema>;

const faultTarget = z.enum(['*', ...ENDPOINTS]);
export type FaultTarget = z.infer<typeof faultTarget>;

const rateLimitsSchema = z.partialRecord(z.enum(LIMITED_ENDPOINTS), z.number().int().positive().nullable());

/** Runtime knobs: what `POST /_sim/config` may change, every field optional and merged into the current state. */
export const configPatchSchema = z.strictObject({
  seed: z.number().int().optional(),
  timeScale: z.number().positive().max(100_000).optional(),
  timing: timingSchema.partial().optional(),
  outcomeWeights: outcomeWeightsSchema.optional(),
  /** Merged by number; `replaceScripts: true` drops the existing ones first. */
  scripts: scriptsPatchSchema.optional(),
  replaceScripts: z.boolean().optional(),
  rateLimits: rateLimitsSchema.optional(),
  rateLimitWindowMs: positiveMilliseconds.optional(),
  limits: limitsSchema.partial().optional(),
  faults: z
    .strictObject({
      api: z.partialRecord(faultTarget, apiFaultSchema.partial().nullable()).optional(),
      notifications: notificationFaultSchema.partial().optional(),
    })
    .optional(),
  /** Upserted by appId: a new account needs accessToken; other fields default to the embedded account's. */
  accounts: z.array(accountInputSchema).optional(),
  resolveNotifyHosts: z.boolean().optional(),
  notifyTimeoutMs: positiveMilliseconds.optional(),
  /** Real milliseconds after its dial before voice/get_history lists a leg. */
  historyLagMs: milliseconds.optional(),
});
export type ConfigPatch = z.infer<typeof configPatchSchema>;

/** Startup options as JSON (main.ts): the runtime knobs plus where to listen and which accounts exist. */
export const optionsFileSchema = configPatchSchema.omit({ replaceScripts: true }).extend({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  scripts: scriptsSchema.optional(),
  includeDemoAccount: z.boolean().optional(),
  /** Keep the ledger in this JSON file across restarts (dev/simulator/state-file.ts); absent: in memory only. */
  stateFile: z.string().min(1).optional(),
});
export type OptionsFile = z.infer<typeof optionsFileSchema>;

/**
 * Knobs in simulated seconds become real timers of `seconds * 1000 / timeScale` ms, so whether one is too long
 * depends on the time scale too: checked on the settings as they would be after a patch, with the same
 * "path: message" lines as the schema. Lists every offender.
 */
export function timerBoundIssues(knobs: {
  timeScale: number;
  timing: Timing;
  scripts: Readonly<Record<string, ScriptEntry>>;
}): string[] {
  const { timeScale, timing } = knobs;
  const inSeconds: [string, number | undefined][] = [
    ['timing.ringSeconds.min', timing.ringSeconds.min],
    ['timing.ringSeconds.max', timing.ringSeconds.max],
    ['timing.talkSeconds.min', timing.talkSeconds.min],
    ['timing.talkSeconds.max', timing.talkSeconds.max],
    ['timing.noAnswerSeconds', timing.noAnswerSeconds],
    ['timing.busySeconds', timing.busySeconds],
    ['timing.failedSeconds', timing.failedSeconds],
    ['timing.dialGapSeconds', timing.dialGapSeconds],
    ['timing.ivrMessageSeconds', timing.ivrMessageSeconds],
    ['timing.ivrIdleSeconds', timing.ivrIdleSeconds],
  ];
  for (const [dest, entry] of Object.entries(knobs.scripts)) {
    const scripts = Array.isArray(entry)
      ? entry.map((script, index) => [`.${index}`, script] as const)
      : [['', entry] as const];
    for (const [suffix, script] of scripts) {
      inSeconds.push([`scripts.${dest}${suffix}.ringSeconds`, script.ringSeconds]);
      inSeconds.push([`scripts.${dest}${suffix}.talkSeconds`, script.talkSeconds]);
      inSeconds.push([`scripts.${dest}${suffix}.keyAfterSeconds`, script.keyAfterSeconds]);
      inSeconds.push([`scripts.${dest}${suffix}.hangUpAfterSeconds`, script.hangUpAfterSeconds]);
    }
  }
  const longestSeconds = (MAX_TIMER_MS * timeScale) / 1000;
  return inSeconds
    .filter(
      (entry): entry is [string, number] => entry[1] !== undefined && (entry[1] * 1000) / timeScale > MAX_TIMER_MS,
    )
    .map(
      ([path, value]) =>
        `${path}: ${value} s at timeScale ${timeScale} is a ${Math.round((value * 1000) / timeScale)} ms timer; ${TIMER_RULE}, ` +
        `so at most ${Math.floor(longestSeconds * 1000) / 1000} s at this time scale`,
    );
}

/** "accounts.0.accessToken: Invalid input" style lines, so a 400 names the bad field. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
}
