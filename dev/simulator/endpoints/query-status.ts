import { transactionFields } from '../leg-views';
import { type EndpointContext, fail, firstMissing, param, type Reply } from './types';

/** voice/query_status for a conference leg: dest1 / call_status_dest1, `ongoing` until it ends. */
export function queryStatus({ params, account, state }: EndpointContext): Reply {
  const missing = firstMissing(params, ['txn_ref']);
  if (missing) return missing;
  const leg = state.engine.find(account.config.appId, param(params, 'txn_ref') ?? '');
  if (!leg) return fail('error_invalid_txn_ref');
  return { status: 'success_ok', ...transactionFields(leg) };
}
