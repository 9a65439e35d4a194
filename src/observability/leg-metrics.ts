import type { InjectedSinks } from '@temporalio/worker';
import { parseMoney } from '../domain/money';
import { costThousandths, legsEnded } from './metrics';
import type { LegMetricsSinks } from './workflow/leg-sinks';

function addCost(account: string, bill: { currency: string; debit: string }): void {
  const thousandths = parseMoney(bill.debit);
  costThousandths.inc({ account, currency: bill.currency }, thousandths);
}

/** The worker's side of the interceptor's sink: counts, outside the sandbox, and never during replay. */
export const legMetricsSinks: InjectedSinks<LegMetricsSinks> = {
  bridgekeeperMetrics: {
    legEnded: {
      fn(_info, leg) {
        legsEnded.inc({ account: leg.account, outcome: leg.outcome });
        if (leg.bill) addCost(leg.account, leg.bill);
      },
      callDuringReplay: false,
    },
    legBilled: {
      fn(_info, leg) {
        addCost(leg.account, leg.bill);
      },
      callDuringReplay: false,
    },
  },
};
