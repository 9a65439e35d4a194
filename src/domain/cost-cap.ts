/**
 * `maxCost`, pure: whether a session's cost so far has reached its cap. Each currency is capped on its own, compared
 * in integer thousandths (docs/design.md, invariant 4); a currency the cap does not name is not capped.
 */
import { formatMoney, parseMoney } from './money';
import type { CurrencyTotal } from './session-types';

/** Why the session must end (`maxCost SGD 5.000 reached: SGD 5.020 spent`), or undefined while under every cap. */
export function maxCostReached(maxCost: Record<string, string>, spent: readonly CurrencyTotal[]): string | undefined {
  for (const total of spent) {
    const cap = maxCost[total.currency];
    if (cap === undefined || parseMoney(total.debit) < parseMoney(cap)) continue;
    return `maxCost ${total.currency} ${formatMoney(parseMoney(cap))} reached: ${total.currency} ${total.debit} spent`;
  }
  return undefined;
}
