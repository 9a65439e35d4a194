import { type EndpointContext, fail, firstMissing, param, type Reply } from './types';

/** voice/hangup: ends one leg; idempotent on a leg that already ended. */
export function hangup({ params, account, state }: EndpointContext): Reply {
  const missing = firstMissing(params, ['txn_ref']);
  if (missing) return missing;
  const leg = state.engine.find(account.config.appId, param(params, 'txn_ref') ?? '');
  if (!leg) return fail('error_invalid_txn_ref');
  state.engine.end(leg, 'hangup');
  return { status: 'success_ok' };
}
