import { condition, log } from '@temporalio/workflow';
import { holderGone } from '../../domain/holder-status';
import { holderChecks, prompting } from './activity-stubs';
import { errorMessage } from './error-message';

/** While recovering, how often the holders that have not reported yet are checked for having closed meanwhile. */
const RECOVERY_RECHECK_MS = 3_000;
/** At most this many of them are checked each time. */
const MAX_STRAGGLER_CHECKS = 50;

export interface RecoveryRequest {
  budgetKey: string;
  holderWorkflowTypes: string[];
  timeoutMs: number;
}

/**
 * A run that starts without carried state cannot tell a first start from a restart after a terminate under live
 * holders. So before it grants anything it asks every running workflow of the holder types it knows to report (through
 * visibility), and waits for their reports, at most the recovery timeout; a holder that closed meanwhile is not waited
 * for. Holders also report by themselves when a signal to the budget fails (`announcePermits` starts the budget), and
 * every renewal is a full report: so a budget that was reset has everyone's permits and requests back within seconds.
 */
export class Recovery {
  /** Set until the holders have reported: the budget grants nothing before it knows what is held. */
  private active: boolean;
  private readonly awaitingReports = new Set<string>();
  private readonly heardFrom = new Set<string>();

  constructor(freshStart: boolean) {
    this.active = freshStart;
  }

  get recovering(): boolean {
    return this.active;
  }

  /** A holder reported (while recovering, it need not be waited for). */
  heard(holder: string): void {
    if (!this.active) return;
    this.heardFrom.add(holder);
    this.awaitingReports.delete(holder);
  }

  /** Asks, waits, and then calls `onDone` (which grants). Never throws. */
  async run(request: RecoveryRequest, onDone: () => void): Promise<void> {
    try {
      const prompted = await prompting.promptBudgetHolders({
        budgetKey: request.budgetKey,
        workflowTypes: request.holderWorkflowTypes,
      });
      for (const holder of prompted) if (!this.heardFrom.has(holder)) this.awaitingReports.add(holder);
      const deadline = Date.now() + request.timeoutMs;
      while (this.awaitingReports.size > 0 && Date.now() < deadline) {
        const wait = Math.max(1, Math.min(RECOVERY_RECHECK_MS, deadline - Date.now()));
        if (await condition(() => this.awaitingReports.size === 0, wait)) break;
        await this.forgetClosedStragglers();
      }
      if (this.awaitingReports.size > 0) {
        log.warn('callBudget: some holders did not report; granting anyway', {
          holders: [...this.awaitingReports].slice(0, 20),
        });
      }
    } catch (error) {
      log.warn('callBudget: could not ask the holders to report; granting with what is known', {
        error: errorMessage(error),
      });
    } finally {
      this.active = false;
      this.awaitingReports.clear();
      this.heardFrom.clear();
      onDone();
    }
  }

  /** A holder that closed after it took the prompt will never answer: stop waiting for it. */
  private async forgetClosedStragglers(): Promise<void> {
    const stragglers = [...this.awaitingReports].slice(0, MAX_STRAGGLER_CHECKS);
    await Promise.all(
      stragglers.map(async (holder) => {
        const status = await holderChecks
          .describeBudgetHolder({ workflowId: holder })
          .then((d) => d.status)
          .catch(() => 'UNKNOWN' as const);
        if (holderGone(status)) this.awaitingReports.delete(holder);
      }),
    );
  }
}
