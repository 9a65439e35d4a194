/**
 * How a {@link PermitPool} keeps its call budget informed: reports go out one at a time, each built when it is sent,
 * so the budget reads them in the order they describe the pool; a signal the budget cannot take (it is not running)
 * is followed by the report through `announcePermits`, which starts the budget.
 */
import { getExternalWorkflowHandle, isCancellation, log } from '@temporalio/workflow';
import type { BudgetActivities } from '../../activities/budget';
import { renewPermitsSignal, type PermitRenewal } from '../messages';

export interface BudgetReportsOptions {
  account: string;
  budgetKey: string;
  capacity?: number;
  /** The budget's workflow id. */
  budgetId: string;
  activities: BudgetActivities;
  /** The pool's report as of now. */
  describe: () => PermitRenewal;
  /** Nothing held and nothing asked for: nothing worth starting a budget for. */
  isEmpty: () => boolean;
}

export class BudgetReports {
  /** Reports go out one after another; this settles when the last one queued has. */
  private reportChain: Promise<void> = Promise.resolve();
  /** A report queued and not yet started: whoever asks for a report meanwhile gets this one (built when it starts). */
  private queuedReport: Promise<void> | undefined;
  /** Reports queued or being sent. */
  private outstanding = 0;
  /** Signals of any kind on their way to the budget. */
  private sending = 0;

  constructor(private readonly options: BudgetReportsOptions) {}

  /** A report is queued or on its way. */
  get due(): boolean {
    return this.outstanding > 0;
  }

  /** Nothing is on its way to the budget: every signal sent has arrived or failed, and no report is queued. */
  get idle(): boolean {
    return this.outstanding === 0 && this.sending === 0;
  }

  /** Queues a report (or joins the one queued and not yet started). */
  report(): Promise<void> {
    if (this.queuedReport) return this.queuedReport;
    this.outstanding += 1;
    const run = this.reportChain
      .then(() => {
        this.queuedReport = undefined;
        return this.send();
      })
      .finally(() => {
        this.outstanding -= 1;
      });
    this.queuedReport = run;
    this.reportChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends one signal to a budget. Resolves true if it arrived, false if the budget is not running, undefined if the
   * sending scope was cancelled (nothing more to do then). Never rejects.
   */
  async signal(what: string, send: () => Promise<void>): Promise<boolean | undefined> {
    this.sending += 1;
    try {
      await send();
      return true;
    } catch (error) {
      if (isCancellation(error)) return undefined;
      log.warn(`PermitPool: could not ${what} at the call budget`, {
        budget: this.options.budgetId,
        error: message(error),
      });
      return false;
    } finally {
      this.sending -= 1;
    }
  }

  /** Signals the report; if the budget is not running, starts it with the report (when there is anything to say). */
  private async send(): Promise<void> {
    const { budgetId, describe } = this.options;
    const delivered = await this.signal('report', () =>
      getExternalWorkflowHandle(budgetId).signal(renewPermitsSignal, describe()),
    );
    if (delivered !== false || this.options.isEmpty()) return;
    try {
      await this.options.activities.announcePermits({
        account: this.options.account,
        budgetKey: this.options.budgetKey,
        capacity: this.options.capacity,
        report: describe(),
      });
    } catch (error) {
      if (isCancellation(error)) return;
      log.warn('PermitPool: could not announce to the call budget', { budget: budgetId, error: message(error) });
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
