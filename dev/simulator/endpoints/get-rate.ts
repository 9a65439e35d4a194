import { formatMoney } from '../../../src/domain/money';
import { balanceOf, rateFor } from '../accounts';
import { isE164 } from '../validators';
import { type EndpointContext, fail, firstMissing, param, type Reply } from './types';

/**
 * voice/get_rate prices a two-leg voice/call: both legs are outgoing calls, so the rate is their sum. A conference
 * leg is priced by its own destination alone (ask with the same number twice and halve, or read /_sim/calls).
 */
export function getRate({ params, account }: EndpointContext): Reply {
  const missing = firstMissing(params, ['dest1', 'dest2']);
  if (missing) return missing;
  const dest1 = param(params, 'dest1') ?? '';
  const dest2 = param(params, 'dest2') ?? '';
  if (!isE164(dest1)) return fail('error_dest1_invalid');
  if (!isE164(dest2)) return fail('error_dest2_invalid');
  const rate1 = rateFor(account, dest1);
  if (rate1 === undefined) return fail('error_dest1_not_supported');
  const rate2 = rateFor(account, dest2);
  if (rate2 === undefined) return fail('error_dest2_not_supported');
  const rate = rate1 + rate2;
  const talktime = rate > 0 ? Math.max(0, Math.floor(balanceOf(account) / rate)) : 0;
  return {
    status: 'success_ok',
    currency: account.config.currency,
    rate: formatMoney(rate),
    talktime: String(talktime),
  };
}
