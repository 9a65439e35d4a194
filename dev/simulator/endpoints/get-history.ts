import { parseHoiioDate } from '../../../src/domain/hoiio-time';
import { transactionFields } from '../leg-views';
import { type EndpointContext, fail, param, type Reply } from './types';

export const MAX_PAGE_SIZE = 100;
const POSITIVE_INT = /^[1-9]\d{0,8}$/;

/**
 * voice/get_history: this application's legs, oldest first, filtered on the dial date (whole seconds, GMT+8,
 * both ends inclusive), at most 100 a page. Ongoing legs are listed too, as Hoiio does. A leg dialed less than
 * `historyLagMs` ago is left out, counts included: real Hoiio's history may lag behind its dials, and a client
 * reconciling through history must not take "not listed yet" for "never dialed".
 */
export function getHistory({ params, account, state }: EndpointContext): Reply {
  const fromText = param(params, 'from');
  const toText = param(params, 'to');
  const from = fromText === undefined ? undefined : parseHoiioDate(fromText);
  if (fromText !== undefined && from === undefined) return fail('error_from_invalid');
  const to = toText === undefined ? undefined : parseHoiioDate(toText);
  if (toText !== undefined && to === undefined) return fail('error_to_invalid');
  if (from !== undefined && to !== undefined && to < from) return fail('error_to_before_from');

  const pageText = param(params, 'page') ?? '1';
  if (!POSITIVE_INT.test(pageText)) return fail('error_page_invalid');
  const sizeText = param(params, 'page_size') ?? String(MAX_PAGE_SIZE);
  if (!POSITIVE_INT.test(sizeText) || Number(sizeText) > MAX_PAGE_SIZE) return fail('error_page_size_invalid');
  const page = Number(pageText);
  const size = Number(sizeText);

  const appId = account.config.appId;
  // Real time, not simulated: the lag is Hoiio's bookkeeping, not part of a call's life.
  const listedBefore = Date.now() - state.settings.historyLagMs;
  const matching = state.engine.all().filter((leg) => {
    if (leg.appId !== appId || leg.dialedAt > listedBefore) return false;
    const second = Math.floor(leg.dialedAt / 1000) * 1000;
    return (from === undefined || second >= from) && (to === undefined || second <= to);
  });
  const entries = matching.slice((page - 1) * size, page * size).map(transactionFields);
  return {
    status: 'success_ok',
    entries_count: String(entries.length),
    total_entries_count: String(matching.length),
    entries,
  };
}
