import { formatHoiioDate } from '../../src/domain/hoiio-time';
import { formatMoney } from '../../src/domain/money';
import { type IvrNotice, type Leg } from './call-engine';
import type { SimCall } from './inspection-types';

/** Java's SDK reads `ongoing` as "still in progress"; the docs list only the four final statuses. */
export const ONGOING = 'ongoing';

/** A leg as voice/query_status and voice/get_history describe it; duration and debit only once it has ended. */
export function transactionFields(leg: Leg): Record<string, string> {
  const fields: Record<string, string> = { txn_ref: leg.txnRef };
  if (leg.tag !== undefined) fields.tag = leg.tag;
  // Where Hoiio's history shows an IVR call's session is not documented; the simulator lists it (an assumption).
  if (leg.ivr) fields.session = leg.ivr.session;
  fields.dest1 = leg.dest;
  fields.call_status_dest1 = leg.callStatus ?? ONGOING;
  fields.date = formatHoiioDate(leg.dialedAt);
  if (leg.minutes !== undefined) fields.duration = String(leg.minutes);
  fields.currency = leg.currency;
  fields.rate = formatMoney(leg.rate);
  if (leg.debit !== undefined) fields.debit = formatMoney(leg.debit);
  return fields;
}

/** The end-of-leg notification body, in the documented field order; only called for ended legs. */
export function notificationFields(leg: Leg): [string, string][] {
  const fields: [string, string][] = [
    ['dest', leg.dest],
    ['call_status_dest', leg.callStatus ?? ONGOING],
    ['txn_ref', leg.txnRef],
  ];
  if (leg.tag !== undefined) fields.push(['tag', leg.tag]);
  fields.push(...billingFields(leg));
  return fields;
}

/** What an ended call cost, as both kinds of notification carry it. */
function billingFields(leg: Leg): [string, string][] {
  return [
    ['date', formatHoiioDate(leg.dialedAt)],
    ['duration', String(leg.minutes ?? 0)],
    ['currency', leg.currency],
    ['rate', formatMoney(leg.rate)],
    ['debit', formatMoney(leg.debit ?? 0)],
  ];
}

/**
 * An IVR notification body (docs/hoiio-api.md, "IVR notifications"): session, txn_ref, the finished block's tag,
 * call_state, dest, then what the block produced, and the billing fields once the call has ended.
 */
export function ivrNotificationFields(leg: Leg, notice: IvrNotice): [string, string][] {
  const fields: [string, string][] = [
    ['session', leg.ivr?.session ?? ''],
    ['txn_ref', leg.txnRef],
  ];
  if (notice.tag !== undefined) fields.push(['tag', notice.tag]);
  fields.push(['call_state', notice.callState], ['dest', leg.dest]);
  if (notice.dialStatus !== undefined) fields.push(['dial_status', notice.dialStatus]);
  if (notice.digits !== undefined) fields.push(['digits', notice.digits]);
  if (notice.transferStatus !== undefined) fields.push(['transfer_status', notice.transferStatus]);
  if (notice.callState === 'ended') fields.push(...billingFields(leg));
  return fields;
}

const iso = (epochMs: number | undefined): string | null =>
  epochMs === undefined ? null : new Date(epochMs).toISOString();

/** A leg for `GET /_sim/calls`: Hoiio field names plus timestamps; no token, no notify_url. */
export function inspectionView(leg: Leg): SimCall {
  return {
    txn_ref: leg.txnRef,
    kind: leg.kind,
    session: leg.ivr?.session ?? null,
    dest: leg.dest,
    room: leg.room,
    tag: leg.tag ?? null,
    app_id: leg.appId,
    call_status_dest: leg.callStatus ?? ONGOING,
    state: leg.state,
    duration: leg.minutes === undefined ? null : String(leg.minutes),
    rate: formatMoney(leg.rate),
    debit: leg.debit === undefined ? null : formatMoney(leg.debit),
    currency: leg.currency,
    dialed_at: iso(leg.dialedAt),
    answered_at: iso(leg.answeredAt),
    ended_at: iso(leg.endedAt),
    ended_by: leg.endedBy ?? null,
    muted: leg.muted,
    caller_id: leg.callerId ?? null,
    endpoint: leg.endpoint,
    has_notify_url: leg.notifyUrl !== undefined,
    planned_outcome: leg.plan.outcome,
    scripted: leg.plan.scripted,
    ivr_phase: leg.ivr?.phase ?? null,
    blocks: leg.ivr ? [...leg.ivr.blocksDone] : [],
    digits: leg.ivr ? [...leg.ivr.digits] : [],
    transfer_dest: leg.ivr?.transferDest ?? null,
    transfer_status: leg.ivr?.transferStatus ?? null,
  };
}
