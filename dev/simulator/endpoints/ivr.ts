import { type Leg } from '../call-engine';
import { balanceOf, rateFor, trialAllows } from '../accounts';
import { checkNotifyUrl, isE164, MAX_IVR_MSG_LENGTH, MAX_TAG_LENGTH, ROOM_ID } from '../validators';
import { type Params } from '../form-params';
import { type EndpointContext, fail, firstMissing, param, type Reply } from './types';

/**
 * The IVR API (docs/hoiio-api.md, "IVR"): ivr/start/dial and the Gather, Transfer and Hangup blocks. An IVR call is a
 * leg of the same CallEngine as conference legs: same txn_refs, same 8 concurrent calls, same billing. Checks run in a
 * fixed order and the first problem answers; parameters are checked before the session, the session before the
 * live counts.
 */

const WHOLE = /^\d{1,9}$/;
/** Gather defaults when the request leaves them out (the PHP SDK's 0 / 15 / 1). */
const DEFAULT_TIMEOUT_SECONDS = 15;
const DEFAULT_ATTEMPTS = 1;
/** Bounds the documentation does not give; generous enough for any real menu. */
const MAX_TIMEOUT_SECONDS = 3600;
const MAX_ATTEMPTS = 10;
const MAX_DURATION_SECONDS = 86_400;

/** A whole number param within [min, max]: undefined when absent, NaN when bad. */
function wholeParam(params: Params, name: string, min: number, max: number): number | undefined {
  const text = param(params, name);
  if (text === undefined) return undefined;
  const value = WHOLE.test(text) ? Number(text) : Number.NaN;
  return value >= min && value <= max ? value : Number.NaN;
}

/** msg, tag and notify_url, which every IVR request may carry; a status when one is bad. */
async function commonParams(
  { params, state }: EndpointContext,
  notifyRequired = false,
): Promise<{ hasMsg: boolean; tag: string | undefined; notifyUrl: string | undefined } | Reply> {
  if (notifyRequired) {
    const missing = firstMissing(params, ['notify_url']);
    if (missing) return missing;
  }
  const msg = param(params, 'msg');
  if (msg !== undefined && msg.length > MAX_IVR_MSG_LENGTH) return fail('error_msg_invalid_length');
  const tag = param(params, 'tag');
  if (tag !== undefined && tag.length > MAX_TAG_LENGTH) return fail('error_tag_invalid_length');
  const notify = await checkNotifyUrl(param(params, 'notify_url'), state.settings.resolveNotifyHosts);
  if ('status' in notify) return fail(notify.status);
  return { hasMsg: msg !== undefined, tag, notifyUrl: notify.notifyUrl };
}

/** The session a block names, or the status that refuses it. Runs after the only await, on live state. */
function sessionFor({ params, account, state }: EndpointContext, forcedHangup = false): Leg | Reply {
  const leg = state.engine.findSession(param(params, 'session') ?? '');
  if (!leg) return fail('error_invalid_session');
  if (leg.appId !== account.config.appId) return fail('error_session_access_denied');
  const refusal = state.engine.blockRefusal(leg, forcedHangup);
  return refusal === undefined ? leg : fail(refusal);
}

const isReply = (value: object): value is Reply => 'status' in value;

/** ivr/start/dial: one number; answers the session and the txn_ref at once, the call then rings. */
export async function ivrDial(context: EndpointContext): Promise<Reply> {
  const { params, account, state } = context;
  const missing = firstMissing(params, ['dest']);
  if (missing) return missing;
  const dest = param(params, 'dest') ?? '';
  if (!isE164(dest)) return fail('error_dest_invalid');
  const maxDuration = wholeParam(params, 'max_duration', 1, MAX_DURATION_SECONDS);
  if (Number.isNaN(maxDuration)) return fail('error_invalid_max_duration');
  const common = await commonParams(context);
  if (isReply(common)) return common;

  const rate = rateFor(account, dest);
  if (rate === undefined) return fail('error_dest_not_supported');
  if (!trialAllows(account, dest)) return fail('error_not_allowed_for_trial');
  const appId = account.config.appId;
  if (state.engine.activeCalls(appId) + 1 > state.settings.limits.maxConcurrentCalls) {
    return fail('error_concurrent_call_limit_reached');
  }
  if (balanceOf(account) <= 0 || balanceOf(account) < rate) return fail('error_insufficient_credit');

  const leg = state.engine.dialIvr({
    appId,
    currency: account.config.currency,
    dest,
    rate,
    tag: common.tag,
    callerId: param(params, 'caller_id'),
    notifyUrl: common.notifyUrl,
    hasMsg: common.hasMsg,
    maxDurationSeconds: maxDuration,
  });
  return { status: 'success_ok', session: leg.ivr?.session ?? '', txn_ref: leg.txnRef };
}

/** ivr/middle/gather: collects keys; notifies its (required) notify_url with the digits. */
export async function ivrGather(context: EndpointContext): Promise<Reply> {
  const { params, state } = context;
  const missing = firstMissing(params, ['session', 'notify_url']);
  if (missing) return missing;
  const maxDigits = wholeParam(params, 'max_digits', 0, 255);
  if (Number.isNaN(maxDigits)) return fail('error_invalid_max_digits');
  const timeout = wholeParam(params, 'timeout', 1, MAX_TIMEOUT_SECONDS);
  if (Number.isNaN(timeout)) return fail('error_invalid_timeout');
  const attempts = wholeParam(params, 'attempts', 1, MAX_ATTEMPTS);
  if (Number.isNaN(attempts)) return fail('error_invalid_attempts');
  const common = await commonParams(context, true);
  if (isReply(common)) return common;
  const leg = sessionFor(context);
  if (isReply(leg)) return leg;

  state.engine.gather(leg, {
    tag: common.tag,
    notifyUrl: common.notifyUrl ?? '',
    hasMsg: common.hasMsg,
    maxDigits: maxDigits ?? 0,
    timeoutSeconds: timeout ?? DEFAULT_TIMEOUT_SECONDS,
    attempts: attempts ?? DEFAULT_ATTEMPTS,
  });
  return { status: 'success_ok' };
}

const ROOM_DEST = /^room:(.*)$/;

/**
 * ivr/end/transfer to `room:<id>` (`room:` alone: a new room) or to a number. A room's seat is taken at once and a
 * full room refuses the transfer with error_invalid_room, the session still usable.
 */
export async function ivrTransfer(context: EndpointContext): Promise<Reply> {
  const { params, account, state } = context;
  const missing = firstMissing(params, ['session', 'dest']);
  if (missing) return missing;
  const dest = param(params, 'dest') ?? '';
  const roomMatch = ROOM_DEST.exec(dest);
  const requestedRoom = roomMatch?.[1];
  if (roomMatch) {
    if (requestedRoom !== '' && !ROOM_ID.test(requestedRoom ?? '')) return fail('error_invalid_room');
  } else if (!isE164(dest)) {
    return fail('error_dest_invalid');
  }
  const onFailure = param(params, 'on_failure') ?? 'hangup';
  if (onFailure !== 'hangup' && onFailure !== 'continue') return fail('error_on_failure_invalid');
  const common = await commonParams(context);
  if (isReply(common)) return common;
  const leg = sessionFor(context);
  if (isReply(leg)) return leg;

  const appId = account.config.appId;
  const block = { tag: common.tag, notifyUrl: common.notifyUrl, hasMsg: common.hasMsg, onFailure } as const;
  if (!roomMatch) {
    const rate = rateFor(account, dest);
    if (rate === undefined) return fail('error_dest_not_supported');
    if (!trialAllows(account, dest)) return fail('error_not_allowed_for_trial');
    state.engine.transfer(leg, { ...block, target: { number: dest, rate } });
    return { status: 'success_ok' };
  }
  const room = requestedRoom || state.engine.newRoomId(appId);
  if (state.engine.roomParticipants(appId, room) + 1 > state.settings.limits.maxRoomParticipants) {
    return fail('error_invalid_room');
  }
  state.engine.transfer(leg, { ...block, target: { room } });
  return { status: 'success_ok', room };
}

/** ivr/end/hangup: after its msg, or at once; `force=enabled` at once even mid-block (its msg is then ignored). */
export async function ivrHangup(context: EndpointContext): Promise<Reply> {
  const { params, state } = context;
  const missing = firstMissing(params, ['session']);
  if (missing) return missing;
  const force = param(params, 'force') === 'enabled';
  const common = await commonParams(context);
  if (isReply(common)) return common;
  const leg = sessionFor(context, force);
  if (isReply(leg)) return leg;
  state.engine.hangupBlock(leg, { tag: common.tag, notifyUrl: common.notifyUrl, hasMsg: common.hasMsg, force });
  return { status: 'success_ok' };
}
