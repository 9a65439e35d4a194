import { formatMoney } from '../../../src/domain/money';
import { balanceOf } from '../accounts';
import { type EndpointContext, type Reply } from './types';

/** user/get_balance: balance = points + bonus. */
export function getBalance({ account }: EndpointContext): Reply {
  return {
    status: 'success_ok',
    currency: account.config.currency,
    balance: formatMoney(balanceOf(account)),
    points: formatMoney(account.points),
    bonus: formatMoney(account.bonus),
  };
}
