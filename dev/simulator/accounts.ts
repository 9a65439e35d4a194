import { timingSafeEqual } from 'node:crypto';
import { parseMoney, type Thousandths } from '../../src/domain/money';
import { type AccountConfig } from './config-schema';

/** An account's configuration plus its live credit, in thousandths (bonus is spent before points, as Hoiio does). */
export interface Account {
  config: AccountConfig;
  points: Thousandths;
  bonus: Thousandths;
}

export class AccountStore {
  private readonly byAppId = new Map<string, Account>();

  constructor(configs: AccountConfig[]) {
    for (const config of configs) this.upsert(config);
  }

  /** Adds an account or replaces its configuration; credit is reset to the configured amounts. */
  upsert(config: AccountConfig): void {
    this.byAppId.set(config.appId, { config, points: parseMoney(config.points), bonus: parseMoney(config.bonus) });
  }

  get(appId: string): Account | undefined {
    return this.byAppId.get(appId);
  }

  all(): Account[] {
    return [...this.byAppId.values()];
  }

  /** Restores every balance to its configured amount (for /_sim/reset). */
  resetCredit(): void {
    for (const account of this.byAppId.values()) this.upsert(account.config);
  }
}

/** Constant-time token check: the simulator should not teach clients to rely on a timing oracle either. */
export function tokenMatches(account: Account, token: string): boolean {
  const expected = Buffer.from(account.config.accessToken, 'utf8');
  const given = Buffer.from(token, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function balanceOf(account: Account): Thousandths {
  return account.points + account.bonus;
}

/** Bonus first, then points. Points may go below zero: the simulator never cuts a call short for credit. */
export function debit(account: Account, amount: Thousandths): void {
  const fromBonus = Math.min(Math.max(account.bonus, 0), amount);
  account.bonus -= fromBonus;
  account.points -= amount - fromBonus;
}

/** Per-minute rate for a destination, or undefined when the account cannot dial it. */
export function rateFor(account: Account, dest: string): Thousandths | undefined {
  const { rates, defaultRate, unsupportedPrefixes } = account.config;
  if (unsupportedPrefixes.some((prefix) => dest.startsWith(prefix))) return undefined;
  let best: string | undefined;
  for (const prefix of Object.keys(rates)) {
    if (dest.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  const text = best === undefined ? defaultRate : rates[best];
  return text === null || text === undefined ? undefined : parseMoney(text);
}

/** Trial accounts may only dial their own verified numbers until topped up. */
export function trialAllows(account: Account, dest: string): boolean {
  return !account.config.trial || account.config.trialAllowedNumbers.includes(dest);
}

/** The configuration with the token blanked: for /_sim/config replies and logs. */
export function redacted(account: Account): Omit<AccountConfig, 'accessToken'> & { accessToken: '[redacted]' } {
  return { ...account.config, accessToken: '[redacted]' };
}
