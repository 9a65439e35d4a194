import { formatMoney, parseMoney } from '../../src/domain/money';
import type { SimCall } from '../simulator';

/**
 * One line of figures from the simulator's ledger (`GET /_sim/calls`): what `npm start -- --once` prints as it
 * exits, when a link to the ledger would already be dead. Cost is summed per currency, exactly.
 */
export function ledgerFigures(calls: readonly SimCall[]): string {
  const answered = calls.filter((call) => call.call_status_dest === 'answered').length;
  const minutes = calls.reduce((sum, call) => sum + Number(call.duration ?? '0'), 0);
  const cost = new Map<string, number>();
  for (const call of calls) cost.set(call.currency, (cost.get(call.currency) ?? 0) + parseMoney(call.debit ?? '0'));
  const costs = [...cost].map(([currency, amount]) => `${currency} ${formatMoney(amount)}`).join(', ');
  return `${calls.length} legs, ${answered} answered, ${minutes} minutes, cost ${costs || 'none'}`;
}
