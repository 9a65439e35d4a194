import { formatMoney } from '../domain/money';
import type { EndReport } from '../domain/leg-book';
import type { HoiioClient } from '../hoiio/client';
import { selectHoiioAccount, type HoiioConfig } from '../hoiio/config';
import type { HoiioCallRecord } from '../hoiio/replies';
import { attemptSignal } from './attempt';
import { isUnknownLeg, toFailure } from './hoiio-failure';

export type PollResult = { ongoing: true } | { ongoing: false; end: EndReport } | { unknown: true };

/** The account a session's input names, as far as the workflow needs it: which call budget it shares. */
export interface ResolvedAccount {
  account: string;
  /**
   * The Hoiio application id: Hoiio's 8-call limit is per application, so every account name that points at the same
   * application shares one budget. Not a secret (the access token is).
   */
  budgetKey: string;
}

/** The account a session names, and what happens to its legs once placed: polled, hung up, moderated. */
export function createLegControlActivities(hoiio: HoiioConfig, clientFor: (account: string) => HoiioClient) {
  return {
    /**
     * Resolves the account a session names, so the workflow can fail at once on an unknown name (a retry cannot help)
     * and share one budget per Hoiio application.
     */
    resolveAccount(request: { account: string }): Promise<ResolvedAccount> {
      try {
        const { appId } = selectHoiioAccount(hoiio, request.account);
        return Promise.resolve({ account: request.account, budgetKey: appId });
      } catch (error) {
        return Promise.reject(toFailure(error));
      }
    },

    async pollLeg(request: { account: string; txnRef: string }): Promise<PollResult> {
      const signal = attemptSignal();
      try {
        return toPollResult(await clientFor(request.account).queryStatus(request.txnRef, { signal }));
      } catch (error) {
        // Left to the workflow, which settles a leg Hoiio keeps not knowing instead of polling it forever.
        if (isUnknownLeg(error)) return { unknown: true };
        throw toFailure(error, undefined, signal);
      }
    },

    async hangupLeg(request: { account: string; txnRef: string }): Promise<void> {
      const signal = attemptSignal();
      try {
        await clientFor(request.account).hangup(request.txnRef, { signal });
      } catch (error) {
        // The leg ended on its own meanwhile: what we wanted has happened.
        if (isUnknownLeg(error)) return;
        throw toFailure(error, undefined, signal);
      }
    },

    async moderateLeg(request: { account: string; txnRef: string; action: 'kick' | 'mute' | 'unmute' }): Promise<void> {
      const signal = attemptSignal();
      try {
        await clientFor(request.account).moderate({ txnRef: request.txnRef, action: request.action }, { signal });
      } catch (error) {
        throw toFailure(error, undefined, signal);
      }
    },
  };
}

/**
 * Any final status but `ongoing` means the leg has ended. A reply without a debit says nothing of the cost (it is not
 * 0): the end is marked provisional, frees the line, and a later notification still corrects the leg's cost.
 */
function toPollResult(record: HoiioCallRecord): PollResult {
  if (record.callStatus === 'ongoing') return { ongoing: true };
  const billed = record.debit !== undefined && record.currency !== undefined;
  return {
    ongoing: false,
    end: {
      txnRef: record.txnRef,
      callStatus: record.callStatus,
      durationMinutes: record.durationMinutes ?? 0,
      currency: record.currency ?? '',
      rate: formatMoney(record.rate ?? 0),
      debit: formatMoney(record.debit ?? 0),
      ...(billed ? {} : { provisional: true }),
    },
  };
}
