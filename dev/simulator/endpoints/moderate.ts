import { type EndpointContext, fail, firstMissing, param, type Reply } from './types';

const ACTIONS = new Set(['kick', 'mute', 'unmute']);

/** conference/moderate: kick ends the leg (and so fires its notification); mute and unmute only flip a flag. */
export function moderate({ params, account, state }: EndpointContext): Reply {
  const missing = firstMissing(params, ['txn_ref', 'action']);
  if (missing) return missing;
  const action = param(params, 'action') ?? '';
  if (!ACTIONS.has(action)) return fail('error_invalid_action');
  const leg = state.engine.find(account.config.appId, param(params, 'txn_ref') ?? '');
  if (!leg) return fail('error_invalid_txn_ref');
  // An ended leg is left alone but still answers success_ok, so a retried kick is harmless.
  if (leg.state === 'ended') return { status: 'success_ok' };
  // An IVR call is a room member only once a transfer has put it in one.
  if (leg.kind === 'ivr' && leg.room === '') return fail('error_invalid_txn_ref');
  if (action === 'kick') state.engine.end(leg, 'kick');
  else leg.muted = action === 'mute';
  return { status: 'success_ok' };
}
