import type { InjectedSinks } from '@temporalio/worker';
import { parseMoney } from '../domain/money';
import { RecentIds } from '../domain/recent-ids';
import { costThousandths, legsEnded } from './metrics';
import type { LegMetricsSinks } from './workflow/leg-sinks';

function addCost(account: string, bill: { currency: string; debit: string }): void {
  const thousandths = parseMoney(bill.debit);
  costThousandths.inc({ account, currency: bill.currency }, thousandths);
}

/** How many legs a worker remembers having counted: far more than end within the time a workflow task may be retried. */
const REMEMBERED_LEGS = 10_000;
const countedEnds = new RecentIds([], REMEMBERED_LEGS);
const countedBills = new RecentIds([], REMEMBERED_LEGS);

/**
 * The worker's side of the interceptor's sink: counts, outside the sandbox, and never during replay.
 *
 * A sink is called once the workflow task has run, whether or not the server then accepts its completion: a task
 * refused (a signal came in while it ran and the run was closing or continuing as new) or timed out runs again, and
 * its sink calls with it. Each leg is therefore counted once per worker by its txn_ref; a task that runs again on
 * another worker can still count a leg twice.
 */
export const legMetricsSinks: InjectedSinks<LegMetricsSinks> = {
  bridgekeeperMetrics: {
    legEnded: {
      fn(_info, leg) {
        if (!countedEnds.add(leg.txnRef)) return;
        legsEnded.inc({ account: leg.account, outcome: leg.outcome });
        if (leg.bill) countBill(leg.txnRef, leg.account, leg.bill);
      },
      callDuringReplay: false,
    },
    legBilled: {
      fn(_info, leg) {
        countBill(leg.txnRef, leg.account, leg.bill);
      },
      callDuringReplay: false,
    },
  },
};

function countBill(txnRef: string, account: string, bill: { currency: string; debit: string }): void {
  if (!countedBills.add(txnRef)) return;
  addCost(account, bill);
}
