import {
  type AccountConfig,
  type AccountInput,
  type ApiFault,
  type FaultTarget,
  type LimitedEndpoint,
  type Limits,
  type NotificationFault,
  type OptionsFile,
  type OutcomeWeights,
  type ScriptEntry,
  type Timing,
} from './config-schema';

/** What `startSimulator` accepts: the JSON options of main.ts, plus a log sink. Nested objects may be partial. */
export type SimulatorOptions = { [K in keyof OptionsFile]-?: NonNullable<OptionsFile[K]> } & {
  /** One line per request or notification; never carries a token. Silent by default. */
  log: (line: string) => void;
};

/** The live, fully resolved knobs. `POST /_sim/config` mutates this object in place. */
export interface Settings {
  seed: number;
  timeScale: number;
  timing: Timing;
  outcomeWeights: OutcomeWeights;
  scripts: Record<string, ScriptEntry>;
  rateLimits: Record<LimitedEndpoint, number | null>;
  rateLimitWindowMs: number;
  limits: Limits;
  apiFaults: Partial<Record<FaultTarget, Partial<ApiFault>>>;
  notificationFaults: NotificationFault;
  resolveNotifyHosts: boolean;
  notifyTimeoutMs: number;
  historyLagMs: number;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 4010;

/** The embedded account of `npm start`: enough credit for any demo, Singapore-style rates. */
export const DEMO_ACCOUNT: AccountConfig = {
  appId: 'demo-app',
  accessToken: 'demo-token',
  currency: 'SGD',
  points: '100000.000',
  bonus: '0.000',
  trial: false,
  trialAllowedNumbers: [],
  rates: { '+65': '0.020', '+60': '0.050', '+852': '0.040', '+1': '0.030', '+44': '0.040', '+61': '0.060' },
  defaultRate: '0.100',
  // International networks and premium ranges: no carrier route in the simulated world.
  unsupportedPrefixes: ['+882', '+883', '+979'],
};

export function defaultSettings(): Settings {
  return {
    seed: 1,
    timeScale: 1,
    timing: {
      ringSeconds: { min: 3, max: 12 },
      talkSeconds: { min: 30, max: 600 },
      noAnswerSeconds: 30,
      busySeconds: 3,
      failedSeconds: 2,
      dialGapSeconds: 1,
      ivrMessageSeconds: 4,
      ivrIdleSeconds: 30,
    },
    outcomeWeights: { answered: 0.75, unanswered: 0.12, busy: 0.08, failed: 0.05 },
    scripts: {},
    rateLimits: {
      // No cap is documented for conference/call; unlimited unless configured.
      'conference/call': null,
      'conference/moderate': 60,
      'voice/hangup': 60,
      'user/get_balance': 60,
      'voice/get_rate': 60,
      'voice/query_status': 60,
      'voice/get_history': 60,
      // Like conference/call, the IVR dial has no documented cap; the blocks get the 60 of the other queries.
      'ivr/start/dial': null,
      'ivr/middle/gather': 60,
      'ivr/end/transfer': 60,
      'ivr/end/hangup': 60,
    },
    rateLimitWindowMs: 60_000,
    limits: { maxDestsPerRequest: 8, maxRoomParticipants: 8, maxConcurrentCalls: 8 },
    apiFaults: {},
    notificationFaults: {
      dropRate: 0,
      duplicateRate: 0,
      delayRate: 0,
      delayMs: 0,
      reorderRate: 0,
      reorderHoldMs: 2_000,
    },
    resolveNotifyHosts: true,
    notifyTimeoutMs: 10_000,
    historyLagMs: 0,
  };
}

/** Fills an account from the embedded defaults; a new account must bring its own token. */
export function completeAccount(input: AccountInput, existing?: AccountConfig): AccountConfig {
  const base = existing ?? { ...DEMO_ACCOUNT, accessToken: '' };
  const merged: AccountConfig = {
    appId: input.appId,
    accessToken: input.accessToken ?? base.accessToken,
    currency: input.currency ?? base.currency,
    points: input.points ?? base.points,
    bonus: input.bonus ?? base.bonus,
    trial: input.trial ?? base.trial,
    trialAllowedNumbers: input.trialAllowedNumbers ?? base.trialAllowedNumbers,
    rates: input.rates ?? base.rates,
    defaultRate: input.defaultRate === undefined ? base.defaultRate : input.defaultRate,
    unsupportedPrefixes: input.unsupportedPrefixes ?? base.unsupportedPrefixes,
  };
  if (merged.accessToken === '') {
    throw new SettingsError([`accounts.${input.appId}.accessToken: required for a new account`]);
  }
  return merged;
}

export class SettingsError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid simulator configuration: ${issues.join('; ')}`);
    this.name = 'SettingsError';
  }
}
