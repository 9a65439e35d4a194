import { sumMoney } from '../../../src/domain/money';
import { balanceOf, rateFor, trialAllows } from '../accounts';
import { checkNotifyUrl, isE164, MAX_TAG_LENGTH, ROOM_ID } from '../validators';
import { type EndpointContext, fail, firstMissing, param, type Reply } from './types';

/**
 * conference/call and its legacy alias voice/conference. Checks run in a fixed order (the docs give none) and the
 * whole request fails on the first problem: no leg is dialed unless every one can be (see docs/hoiio-api.md, "Assumptions").
 */
export async function conferenceCall({ endpoint, params, account, state }: EndpointContext): Promise<Reply> {
  const missing = firstMissing(params, ['dest']);
  if (missing) return missing;
  const { limits } = state.settings;

  const dests = (param(params, 'dest') ?? '').split(',').map((dest) => dest.trim());
  if (dests.length > limits.maxDestsPerRequest || !dests.every(isE164)) return fail('error_dest_invalid');

  const tag = param(params, 'tag');
  if (tag !== undefined && tag.length > MAX_TAG_LENGTH) return fail('error_tag_invalid_length');

  const requestedRoom = param(params, 'room');
  if (requestedRoom !== undefined && !ROOM_ID.test(requestedRoom)) return fail('error_invalid_room');

  const notify = await checkNotifyUrl(param(params, 'notify_url'), state.settings.resolveNotifyHosts);
  if ('status' in notify) return fail(notify.status);
  const { notifyUrl } = notify;

  const rates = dests.map((dest) => rateFor(account, dest));
  if (rates.some((rate) => rate === undefined)) return fail('error_dest_not_supported');
  if (!dests.every((dest) => trialAllows(account, dest))) return fail('error_not_allowed_for_trial');

  // Everything below depends on live counts, so it runs after the only await above.
  const appId = account.config.appId;
  if (state.engine.activeCalls(appId) + dests.length > limits.maxConcurrentCalls) {
    return fail('error_concurrent_call_limit_reached');
  }
  if (
    requestedRoom !== undefined &&
    state.engine.roomParticipants(appId, requestedRoom) + dests.length > limits.maxRoomParticipants
  ) {
    return fail('error_invalid_room');
  }
  const firstMinute = sumMoney(rates.map((rate) => rate ?? 0));
  if (balanceOf(account) <= 0 || balanceOf(account) < firstMinute) return fail('error_insufficient_credit');

  const room = requestedRoom ?? state.engine.newRoomId(appId);
  const legs = state.engine.dial({
    appId,
    currency: account.config.currency,
    room,
    tag,
    callerId: param(params, 'caller_id'),
    notifyUrl,
    endpoint,
    dests: dests.map((dest, index) => ({ dest, rate: rates[index] ?? 0 })),
  });
  const txnRefs = legs.map((leg) => leg.txnRef);
  // The SDKs that call the legacy path split txn_refs on commas, so it answered a string there.
  return endpoint === 'voice/conference'
    ? { txn_refs: txnRefs.join(','), room, status: 'success_ok' }
    : { txn_refs: txnRefs, room, status: 'success_ok' };
}
