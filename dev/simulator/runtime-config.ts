import { redacted } from './accounts';
import { type AccountConfig, type ConfigPatch, timerBoundIssues } from './config-schema';
import { completeAccount, SettingsError } from './settings';
import { streamsFor } from './random';
import { type SimulatorState } from './state';

/**
 * Applies a validated `/_sim/config` patch: all or nothing, so a bad account in the batch leaves everything as it was.
 * Knobs take effect for what happens next; legs already ringing keep their plan.
 */
export function applyConfigPatch(state: SimulatorState, patch: ConfigPatch): void {
  const accounts: AccountConfig[] = [];
  const issues: string[] = [];
  for (const input of patch.accounts ?? []) {
    try {
      accounts.push(completeAccount(input, state.accounts.get(input.appId)?.config));
    } catch (error) {
      if (error instanceof SettingsError) issues.push(...error.issues);
      else throw error;
    }
  }
  const { settings } = state;
  const scripts = patch.replaceScripts ? {} : { ...settings.scripts };
  for (const [dest, entry] of Object.entries(patch.scripts ?? {})) {
    if (entry === null) delete scripts[dest];
    else scripts[dest] = entry;
  }
  issues.push(
    ...timerBoundIssues({
      timeScale: patch.timeScale ?? settings.timeScale,
      timing: { ...settings.timing, ...patch.timing },
      scripts,
    }),
  );
  if (issues.length > 0) throw new SettingsError(issues);

  if (patch.seed !== undefined) {
    settings.seed = patch.seed;
    state.rngs = streamsFor(patch.seed);
  }
  if (patch.timeScale !== undefined) {
    settings.timeScale = patch.timeScale;
    state.clock.setScale(patch.timeScale);
  }
  if (patch.timing) settings.timing = { ...settings.timing, ...patch.timing };
  if (patch.outcomeWeights) settings.outcomeWeights = patch.outcomeWeights;
  settings.scripts = scripts;
  for (const [api, limit] of Object.entries(patch.rateLimits ?? {})) {
    if (limit !== undefined) settings.rateLimits[api as keyof typeof settings.rateLimits] = limit;
  }
  if (patch.rateLimitWindowMs !== undefined) settings.rateLimitWindowMs = patch.rateLimitWindowMs;
  if (patch.limits) settings.limits = { ...settings.limits, ...patch.limits };
  for (const [target, knobs] of Object.entries(patch.faults?.api ?? {})) {
    const key = target as keyof typeof settings.apiFaults;
    if (knobs === null) delete settings.apiFaults[key];
    else if (knobs !== undefined) settings.apiFaults[key] = { ...settings.apiFaults[key], ...knobs };
  }
  if (patch.faults?.notifications) {
    settings.notificationFaults = { ...settings.notificationFaults, ...patch.faults.notifications };
  }
  if (patch.resolveNotifyHosts !== undefined) settings.resolveNotifyHosts = patch.resolveNotifyHosts;
  if (patch.notifyTimeoutMs !== undefined) settings.notifyTimeoutMs = patch.notifyTimeoutMs;
  if (patch.historyLagMs !== undefined) settings.historyLagMs = patch.historyLagMs;
  for (const account of accounts) {
    const live = state.accounts.get(account.appId);
    const input = patch.accounts?.find((candidate) => candidate.appId === account.appId);
    state.accounts.upsert(account);
    // Changing an account's trial flag or rates must not refill its credit; only new amounts do.
    const updated = state.accounts.get(account.appId);
    if (live && updated) {
      if (input?.points === undefined) updated.points = live.points;
      if (input?.bonus === undefined) updated.bonus = live.bonus;
    }
  }
}

/** The live configuration for `GET /_sim/config`, tokens redacted. */
export function describeConfig(state: SimulatorState): Record<string, unknown> {
  return { ...state.settings, accounts: state.accounts.all().map(redacted) };
}
