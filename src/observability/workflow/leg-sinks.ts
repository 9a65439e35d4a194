import type { Sinks } from '@temporalio/workflow';

/** One leg's end as the metrics take it: its final status, and its bill once Hoiio has reported one. */
export interface LegEndedMetric {
  account: string;
  /** The leg: a task run again calls the sink again, and the worker counts each leg once. */
  txnRef: string;
  outcome: string;
  /** Absent while the cost is not known (a poll reply without a debit); a later report brings it. */
  bill?: { currency: string; debit: string };
}

/**
 * The bridge from the workflow sandbox to the worker's metrics: the interceptor calls it, the worker runs it outside
 * the sandbox after the workflow task, and never during replay, so history and commands are untouched.
 */
export interface LegMetricsSinks extends Sinks {
  bridgekeeperMetrics: {
    legEnded(leg: LegEndedMetric): void;
    /** A leg counted earlier whose cost became known later. */
    legBilled(leg: Required<Pick<LegEndedMetric, 'account' | 'txnRef' | 'bill'>>): void;
  };
}
