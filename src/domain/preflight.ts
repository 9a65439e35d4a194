/**
 * Pre-flight, pure: from the per-minute rate of each participant's destination and the account's balance (read by the
 * `preflightCheck` activity), forecast what a session will cost and decide whom it may dial. Money is summed in
 * integer thousandths per currency and formatted once (docs/design.md, invariant 4). See docs/sessions.md,
 * "Pre-flight".
 */
import { debitFor, formatMoney, parseMoney, sumMoney, type Thousandths } from './money';
import type { MoneyAmount, PreflightFigures } from './session-types';

/**
 * Expected minutes per participant when the input names none: a half-hour meeting slot. Erring long makes the check
 * refuse a session that would have fitted rather than start one that runs dry; a stand-up sets less.
 */
export const DEFAULT_EXPECTED_MINUTES = 30;
export const MAX_EXPECTED_MINUTES = 43_200;
export const SHORT_CREDIT_REASON = 'not dialed: the balance does not cover the forecast this far down the roster';

/** What the `preflightCheck` activity read: plain JSON, money as Hoiio writes it. */
export interface PreflightReadings {
  balance: MoneyAmount;
  /**
   * One entry per participant, in roster order: the per-minute rate of a conference leg to the number, or `refused`,
   * Hoiio's status when it would not price it (a destination it does not serve: that dial is refused on its own and
   * costs nothing).
   */
  rates: { number: string; rate?: MoneyAmount; refused?: string }[];
}

export type OnShortCredit = 'refuse' | 'partial';

export type PreflightDecision =
  | { dial: 'all'; figures: PreflightFigures }
  /** `notDialed`: the participants past the covered prefix of the roster, in roster order. */
  | { dial: 'some'; figures: PreflightFigures; notDialed: string[] }
  | { dial: 'none'; figures: PreflightFigures; message: string };

/**
 * Forecast: participants × per-minute rate × `expectedMinutes`, per currency. The balance pays only in its own
 * currency, so a forecast in any other currency is never covered (there is no exact exchange rate to use). With
 * `partial`, the roster's longest prefix whose forecast is covered is dialed; a prefix, so that who comes first in the
 * roster (the host, say) is never dropped for someone cheaper further down.
 */
export function decidePreflight(
  readings: PreflightReadings,
  options: { expectedMinutes: number; onShortCredit: OnShortCredit },
): PreflightDecision {
  const { expectedMinutes } = options;
  const available = (currency: string) =>
    currency === readings.balance.currency ? parseMoney(readings.balance.amount) : 0;
  const costs = readings.rates.map((entry) => ({
    number: entry.number,
    currency: entry.rate?.currency ?? readings.balance.currency,
    cost: entry.rate ? debitFor(parseMoney(entry.rate.amount), expectedMinutes) : 0,
  }));
  const total = sumByCurrency(costs);
  const figures: PreflightFigures = { expectedMinutes, balance: readings.balance, forecast: amounts(total) };
  const covered = (sums: Map<string, Thousandths>) =>
    [...sums].every(([currency, cost]) => cost <= available(currency));
  if (covered(total)) return { dial: 'all', figures };

  if (options.onShortCredit === 'partial') {
    let dialed = 0;
    while (dialed < costs.length && covered(sumByCurrency(costs.slice(0, dialed + 1)))) dialed += 1;
    if (dialed > 0) {
      const notDialed = costs.slice(dialed).map((entry) => entry.number);
      const partial = { dialed, notDialed: notDialed.length, forecast: amounts(sumByCurrency(costs.slice(0, dialed))) };
      return { dial: 'some', figures: { ...figures, partial }, notDialed };
    }
  }
  const forecast = figures.forecast.map(show).join(' + ');
  const people = `${costs.length} participant${costs.length === 1 ? '' : 's'}`;
  return {
    dial: 'none',
    figures,
    message:
      `Pre-flight: the forecast ${forecast} (${people} × ${expectedMinutes} min at their per-minute rates) exceeds ` +
      `the balance ${show(readings.balance)}; nobody was dialed` +
      (options.onShortCredit === 'partial' ? ' (not even the first participant is covered)' : ''),
  };
}

function sumByCurrency(costs: { currency: string; cost: Thousandths }[]): Map<string, Thousandths> {
  const sums = new Map<string, Thousandths>();
  for (const { currency, cost } of costs) sums.set(currency, sumMoney([sums.get(currency) ?? 0, cost]));
  return sums;
}

/** In currency order, as the summary's totals are. */
function amounts(sums: Map<string, Thousandths>): MoneyAmount[] {
  return [...sums]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, cost]) => ({ currency, amount: formatMoney(cost) }));
}

export function show(money: MoneyAmount): string {
  return `${money.currency} ${money.amount}`;
}
