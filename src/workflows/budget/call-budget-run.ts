import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import { ROUTINE_PRIORITY } from '../../domain/permit-priority';
import type * as z from 'zod/mini';
import { describePayloadIssues, parsePayload } from '../../domain/input-text';
import {
  permitCancellationSchema,
  permitReleaseSchema,
  permitRenewalSchema,
  permitRequestSchema,
  permitsGrantedSignal,
  recallPermitsSignal,
  reportPermitsSignal,
  type BudgetState,
} from '../messages';
import type { CallBudgetCarriedState } from './carried-state';
import { errorMessage } from './error-message';
import { HolderChecks } from './holder-checks';
import { budgetOptions, type BudgetOptions, type CallBudgetInput } from './options';
import { PermitLedger, type Delivery } from './permit-ledger';
import { Recovery } from './recovery';

/** Recalling permits for an urgent request is patched in: budget histories from before it replay without a recall. */
const RECALL_PATCH = 'permit-recall';

/**
 * One run of a `callBudget` workflow: it takes the messages, grants permits by signal, checks on holders whose leases
 * ran out, and hands over to the next run.
 *
 * Any client of the namespace can send anything, so every payload is parsed with its schema from `messages.ts`; what
 * does not parse is dropped, logged and counted, and a handler never throws. A grant is a `permitsGranted` signal to
 * the holder workflow: if it fails (the holder no longer exists or has closed) the grant's permits are taken back at
 * once and the holder's waiting requests are dropped.
 *
 * The run continues-as-new when the server suggests it or after `maxSignalsPerRun` signals; before that it stops
 * granting and waits for every handler, grant signal, holder check and hangup in flight, so the next run grants at once.
 */
export class CallBudgetRun {
  private readonly options: BudgetOptions;
  private readonly ledger: PermitLedger;
  private readonly checks: HolderChecks;
  private readonly recovery: Recovery;
  private signalsThisRun = 0;
  private deliveriesInFlight = 0;
  /** Holders asked to give their permits back for the urgent request now at the head of the queue. */
  private readonly recalled = new Set<string>();
  /** Set while preparing to continue-as-new: no new grants, so nothing is in flight when the state is handed over. */
  private draining = false;

  constructor(input: CallBudgetInput) {
    this.options = budgetOptions(input);
    const { budgetKey, capacity, defaultLeaseMs, account } = this.options;
    const idPrefix = `${budgetKey}-${workflowInfo().firstExecutionRunId}`;
    this.ledger = new PermitLedger(
      { capacity, defaultLeaseMs, idPrefix },
      input.state,
      input.holderWorkflowTypes ?? [],
    );
    this.checks = new HolderChecks(this.ledger, account, () => this.dispatch());
    // Without carried state this run cannot tell a first start from a restart after a terminate: ask first.
    this.recovery = new Recovery(input.state === undefined && this.ledger.knownHolderTypes().length > 0);
  }

  request(payload: unknown): void {
    const request = this.accept(permitRequestSchema, payload, 'requestPermits');
    if (request && this.ledger.queue(request)) this.dispatch();
  }

  release(payload: unknown): void {
    const release = this.accept(permitReleaseSchema, payload, 'releasePermits');
    if (!release) return;
    if (this.ledger.release(release)) void this.askToReport(release.holder);
    this.dispatch();
  }

  renew(payload: unknown): void {
    const report = this.accept(permitRenewalSchema, payload, 'renewPermits');
    if (!report) return;
    this.recovery.heard(report.holder);
    // An answer from a holder of another budget (this one asked every holder of its types): nothing to learn.
    if (report.budgetKey !== undefined && report.budgetKey !== this.options.budgetKey) return;
    this.ledger.report(report);
    this.dispatch();
  }

  cancel(payload: unknown): void {
    const cancellation = this.accept(permitCancellationSchema, payload, 'cancelPermitRequest');
    if (!cancellation) return;
    this.ledger.cancel(cancellation);
    this.dispatch();
  }

  state(): BudgetState {
    const { account, budgetKey, capacity } = this.options;
    return {
      account,
      budgetKey,
      capacity,
      ...this.ledger.pool(),
      ...this.ledger.counts(),
      recovering: this.recovery.recovering,
    };
  }

  /** Runs until it is time to continue-as-new; returns what the next run carries. */
  async run(): Promise<CallBudgetCarriedState> {
    const recovery = this.recovery.recovering
      ? this.recovery.run(
          {
            budgetKey: this.options.budgetKey,
            holderWorkflowTypes: this.ledger.knownHolderTypes(),
            timeoutMs: this.options.recoveryTimeoutMs,
          },
          () => this.dispatch(),
        )
      : Promise.resolve();
    // Leases may have run out while the previous run handed over; then grant whatever is free.
    this.checks.startDue();
    this.dispatch();
    while (!this.shouldContinueAsNew()) {
      // One timer for the earliest lease; re-armed only when a lease that ends sooner appears.
      const armedFor = this.checks.earliestExpiry();
      const wake = (): boolean => {
        if (this.shouldContinueAsNew()) return true;
        const earliest = this.checks.earliestExpiry();
        return earliest !== undefined && (armedFor === undefined || earliest < armedFor);
      };
      if (armedFor === undefined) await condition(wake);
      else await condition(wake, Math.max(armedFor - Date.now(), 1));
      this.checks.startDue();
    }
    await recovery;
    await this.drain();
    return this.ledger.carriedState();
  }

  /** Grants what is free, unless recovering or handing over. */
  private dispatch(): void {
    if (this.draining || this.recovery.recovering) return;
    for (const delivery of this.ledger.grantFree()) void this.deliver(delivery);
    this.recallForUrgent();
  }

  /**
   * Holders reuse the permits of their ended calls for their own next calls (permit handoff, docs/design.md), so a
   * permit may not come back for a long while. When an urgent request (a page) waits with nothing free, every other
   * holder of permits granted for less urgent requests is asked, once, to give them back as its calls end. Budgets from
   * before handoff sent no recall; their histories replay without it.
   */
  private recallForUrgent(): void {
    const head = this.ledger.head();
    if (!head || head.priority >= ROUTINE_PRIORITY) {
      this.recalled.clear();
      return;
    }
    const holders = this.ledger.holdersLessUrgentThan(head.priority);
    holders.delete(head.holder);
    const toRecall = [...holders].filter((holder) => !this.recalled.has(holder));
    if (toRecall.length === 0 || !patched(RECALL_PATCH)) return;
    for (const holder of toRecall) {
      this.recalled.add(holder);
      void this.sendToHolder(holder, 'recall the permits of a holder', (handle) =>
        handle.signal(recallPermitsSignal, { budgetKey: this.options.budgetKey }),
      );
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    this.deliveriesInFlight++;
    try {
      await getExternalWorkflowHandle(delivery.holder).signal(permitsGrantedSignal, delivery.grant);
    } catch (error) {
      log.warn('callBudget: could not signal a grant; taking the permits back', {
        holder: delivery.holder,
        requestId: delivery.grant.requestId,
        error: errorMessage(error),
      });
      this.ledger.takeBackUndelivered(delivery);
      this.dispatch();
    } finally {
      this.deliveriesInFlight--;
    }
  }

  /** Asks a holder to report everything it has (it released a permit this budget does not know). */
  private askToReport(holder: string): Promise<void> {
    return this.sendToHolder(holder, 'ask a holder to report', (handle) =>
      handle.signal(reportPermitsSignal, { budgetKey: this.options.budgetKey }),
    );
  }

  /** A request to a holder that may be gone: a failure is only logged. Counted in flight until it settles. */
  private async sendToHolder(
    holder: string,
    what: string,
    send: (handle: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>,
  ): Promise<void> {
    this.deliveriesInFlight++;
    try {
      await send(getExternalWorkflowHandle(holder));
    } catch (error) {
      log.info(`callBudget: could not ${what}`, { holder, error: errorMessage(error) });
    } finally {
      this.deliveriesInFlight--;
    }
  }

  private shouldContinueAsNew(): boolean {
    if (this.recovery.recovering) return false; // what recovery waits for is not carried over
    return this.signalsThisRun >= this.options.maxSignalsPerRun || workflowInfo().continueAsNewSuggested;
  }

  /** Stops granting and resolves once no handler, grant signal, holder check or hangup is still running. */
  private async drain(): Promise<void> {
    this.draining = true;
    await condition(() => allHandlersFinished() && this.deliveriesInFlight === 0 && this.checks.inFlight === 0);
  }

  /** Counts the signal; returns the payload as `schema` reads it, otherwise drops, logs and counts it. */
  private accept<S extends z.ZodMiniType>(schema: S, payload: unknown, signal: string): z.infer<S> | undefined {
    this.signalsThisRun++;
    const parsed = parsePayload(schema, payload);
    if (parsed.success) return parsed.data;
    this.ledger.count('malformed');
    log.warn('callBudget: dropped a malformed signal', { signal, issues: describePayloadIssues(parsed.error) });
    return undefined;
  }
}
