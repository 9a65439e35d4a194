/**
 * Counts each leg's end once, for the worker's metrics, without touching workflow code: this interceptor module is
 * bundled with the workflows (`WORKFLOW_INTERCEPTOR_MODULES`) and watches what reaches a run, the `callEnded` and
 * `ivrEvent` signals and the `pollLeg` activity's results, and hands each first end (and each first bill) to the
 * `bridgekeeperMetrics` sink. It issues no command and changes no value the workflow sees: it only adds a reaction to
 * promises the workflow awaits anyway, registered before the workflow's own, so the order of the workflow's commands
 * is what it was and recorded histories replay unchanged. Sinks are not called during replay. A session continued as
 * new starts knowing the legs its earlier runs ended (from the state it carries), so a late duplicate notification of
 * one of them is not counted again. It also adds the run's account to the workflow's log lines.
 */
import { proxySinks, type WorkflowInterceptors } from '@temporalio/workflow';
import { DEFAULT_ACCOUNT } from '../../domain/account-names';
import type * as CallEnded from '../../domain/call-ended';
import type * as IvrEvent from '../../domain/ivr-event';
import type { LegBookSnapshot } from '../../domain/leg-book';
import type { LegEndedMetric, LegMetricsSinks } from './leg-sinks';

const { bridgekeeperMetrics } = proxySinks<LegMetricsSinks>();

interface EndSeen {
  outcome: string;
  bill?: LegEndedMetric['bill'];
}

export const interceptors = (): WorkflowInterceptors => {
  let account = DEFAULT_ACCOUNT;
  /** txn_ref → whether its bill was counted yet. */
  const counted = new Map<string, boolean>();

  const seen = (txnRef: string, end: EndSeen): void => {
    const billed = counted.get(txnRef);
    if (billed === undefined) {
      counted.set(txnRef, end.bill !== undefined);
      bridgekeeperMetrics.legEnded({ account, txnRef, ...end });
    } else if (!billed && end.bill !== undefined) {
      counted.set(txnRef, true);
      bridgekeeperMetrics.legBilled({ account, txnRef, bill: end.bill });
    }
  };

  return {
    inbound: [
      {
        execute(input, next) {
          const named = (input.args[0] as { account?: unknown } | undefined)?.account;
          if (typeof named === 'string') account = named;
          for (const [txnRef, billed] of endedInEarlierRuns(input.args[1])) counted.set(txnRef, billed);
          return next(input);
        },
        handleSignal(input, next) {
          observeSignal(input.signalName, input.args[0], seen);
          return next(input);
        },
      },
    ],
    outbound: [
      {
        // The account on every line the workflow logs, beside the workflow id the SDK adds.
        getLogAttributes(input, next) {
          return next({ account, ...input });
        },
        scheduleActivity(input, next) {
          const result = next(input);
          if (input.activityType === 'pollLeg') {
            // A side reaction: the workflow awaits `result` itself, unchanged.
            result.then((reply) => observePoll(reply, seen), ignore);
          }
          return result;
        },
      },
    ],
  };
};

function ignore(): void {}

/**
 * The legs a session's earlier runs ended, from the state it carries over continue-as-new (`SessionResume`), and
 * whether each one's bill was known: compact tuples (a provisional end has 1 at index 8), or whole records in the
 * snapshots of older releases. Anything else (a first run, another workflow's input) yields nothing.
 */
function endedInEarlierRuns(resume: unknown): [string, boolean][] {
  const state = (resume as { state?: Partial<LegBookSnapshot> } | undefined)?.state;
  const compact = Array.isArray(state?.endedLegs) ? state.endedLegs : [];
  const records = Array.isArray(state?.legs) ? state.legs : [];
  return [
    ...compact.filter((leg) => typeof leg[0] === 'string').map((leg): [string, boolean] => [leg[0], leg[8] !== 1]),
    ...records
      .filter((leg) => leg.end !== undefined)
      .map((leg): [string, boolean] => [leg.txnRef, !leg.end?.provisional]),
  ];
}

// The schemas are required on the first signal of their kind, as src/workflows/index.ts loads the workflows: this
// module is evaluated for every workflow the worker creates, and only sessions and escalations receive these signals.
function observeSignal(name: string, payload: unknown, seen: (txnRef: string, end: EndSeen) => void): void {
  if (name === 'callEnded') {
    // eslint-disable-next-line no-restricted-globals, @typescript-eslint/no-require-imports
    const { callEndedSchema } = require('../../domain/call-ended') as typeof CallEnded;
    const parsed = callEndedSchema.safeParse(payload);
    if (parsed.success) {
      const { txnRef, callStatus, currency, debit } = parsed.data;
      seen(txnRef, { outcome: callStatus, bill: { currency, debit } });
    }
  } else if (name === 'ivrEvent') {
    // eslint-disable-next-line no-restricted-globals, @typescript-eslint/no-require-imports
    const { ivrEventSchema } = require('../../domain/ivr-event') as typeof IvrEvent;
    const parsed = ivrEventSchema.safeParse(payload);
    if (parsed.success && parsed.data.callState === 'ended') {
      const { txnRef, dialStatus, currency, debit } = parsed.data;
      const bill = currency !== undefined && debit !== undefined ? { currency, debit } : undefined;
      seen(txnRef, { outcome: dialStatus ?? 'answered', ...(bill ? { bill } : {}) });
    }
  }
}

function observePoll(reply: unknown, seen: (txnRef: string, end: EndSeen) => void): void {
  const end = (reply as { ongoing?: boolean; end?: Record<string, unknown> } | undefined)?.end;
  if (end === undefined || typeof end.txnRef !== 'string' || typeof end.callStatus !== 'string') return;
  const billed = end.provisional !== true && typeof end.currency === 'string' && typeof end.debit === 'string';
  seen(end.txnRef, {
    outcome: end.callStatus,
    ...(billed ? { bill: { currency: end.currency as string, debit: end.debit as string } } : {}),
  });
}
