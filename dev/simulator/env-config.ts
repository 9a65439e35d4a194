import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  accountInputSchema,
  describeIssues,
  type OptionsFile,
  optionsFileSchema,
  timerBoundIssues,
} from './config-schema';
import { defaultSettings, SettingsError } from './settings';

/**
 * Startup options for `npm run simulator`, from the environment. Later sources win:
 * SIMULATOR_CONFIG_FILE, then SIMULATOR_CONFIG (inline JSON), then the single-knob variables.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): OptionsFile {
  const merged: Record<string, unknown> = {};
  if (env.SIMULATOR_CONFIG_FILE)
    Object.assign(merged, readJson(readFileSync(env.SIMULATOR_CONFIG_FILE, 'utf8'), 'SIMULATOR_CONFIG_FILE'));
  if (env.SIMULATOR_CONFIG) Object.assign(merged, readJson(env.SIMULATOR_CONFIG, 'SIMULATOR_CONFIG'));

  const accountsText = env.SIMULATOR_ACCOUNTS_FILE
    ? readFileSync(env.SIMULATOR_ACCOUNTS_FILE, 'utf8')
    : env.SIMULATOR_ACCOUNTS;
  if (accountsText) {
    const accounts = z.array(accountInputSchema).safeParse(readJson(accountsText, 'SIMULATOR_ACCOUNTS'));
    if (!accounts.success) throw new SettingsError(describeIssues(accounts.error).map((line) => `accounts.${line}`));
    merged.accounts = accounts.data;
  }

  if (env.SIMULATOR_HOST) merged.host = env.SIMULATOR_HOST;
  if (env.SIMULATOR_PORT) merged.port = integer(env.SIMULATOR_PORT, 'SIMULATOR_PORT');
  if (env.SIMULATOR_SEED) merged.seed = integer(env.SIMULATOR_SEED, 'SIMULATOR_SEED');
  if (env.SIMULATOR_TIME_SCALE) merged.timeScale = number(env.SIMULATOR_TIME_SCALE, 'SIMULATOR_TIME_SCALE');
  if (env.SIMULATOR_STATE_FILE) merged.stateFile = env.SIMULATOR_STATE_FILE;
  if (env.SIMULATOR_HISTORY_LAG_MS) {
    merged.historyLagMs = integer(env.SIMULATOR_HISTORY_LAG_MS, 'SIMULATOR_HISTORY_LAG_MS');
  }
  const callLimit = env.SIMULATOR_CONFERENCE_CALL_RATE_LIMIT;
  if (callLimit) {
    const rateLimits = (merged.rateLimits ?? {}) as Record<string, unknown>;
    rateLimits['conference/call'] =
      callLimit === 'none' ? null : integer(callLimit, 'SIMULATOR_CONFERENCE_CALL_RATE_LIMIT');
    merged.rateLimits = rateLimits;
  }

  const parsed = optionsFileSchema.safeParse(merged);
  if (!parsed.success) throw new SettingsError(describeIssues(parsed.error));
  // Checked against the defaults it will be laid over, so a bad variable fails here, before anything starts.
  const defaults = defaultSettings();
  const timerIssues = timerBoundIssues({
    timeScale: parsed.data.timeScale ?? defaults.timeScale,
    timing: { ...defaults.timing, ...parsed.data.timing },
    scripts: parsed.data.scripts ?? {},
  });
  if (timerIssues.length > 0) throw new SettingsError(timerIssues);
  return parsed.data;
}

function readJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SettingsError([`${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
}

function number(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new SettingsError([`${name}: expected a number, got ${JSON.stringify(text)}`]);
  return value;
}

function integer(text: string, name: string): number {
  const value = number(text, name);
  if (!Number.isInteger(value))
    throw new SettingsError([`${name}: expected a whole number, got ${JSON.stringify(text)}`]);
  return value;
}
