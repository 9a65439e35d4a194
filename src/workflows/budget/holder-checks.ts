import { isCancellation, log } from '@temporalio/workflow';
import type { HolderDescription } from '../../activities/budget';
import { holderGone, type HolderStatus } from '../../domain/holder-status';
import { holderChecks, legControl } from './activity-stubs';
import { errorMessage } from './error-message';
import type { PermitBinding } from '../messages';
import type { PermitLedger } from './permit-ledger';

/** How soon a holder whose state could not be read, or whose leg could not be hung up, is looked at again. */
const RECHECK_MS = 60_000;

/**
 * Leases, and holders that are slow rather than dead. When a lease runs out the budget asks the server whether its
 * holder still runs: a running holder keeps its permits (the lease is extended, logged and counted), since after a
 * worker outage a holder's legs are still up whether or not it could renew. A holder that is gone (terminated, failed,
 * timed out, finished, not found) gets its bound legs hung up with the budget's account, and only then are its
 * permits reused. A hangup that fails keeps the permit held and is tried again a minute later: a permit whose leg may
 * still be up is never handed out (docs/design.md, invariant 1).
 */
export class HolderChecks {
  /** Holders whose expired leases are being looked into (describe, then hang up): their permits wait for that. */
  private readonly checking = new Set<string>();

  constructor(
    private readonly ledger: PermitLedger,
    private readonly account: string,
    /** Called once a gone holder's permits are free. */
    private readonly onFreed: () => void,
  ) {}

  get inFlight(): number {
    return this.checking.size;
  }

  /** Starts a check of every holder with a lease that has run out (one check per holder at a time). */
  startDue(): void {
    for (const holder of this.ledger.expiredHolders(Date.now(), this.checking)) {
      this.checking.add(holder);
      void this.check(holder);
    }
  }

  /** The earliest lease expiry among held permits whose holder is not being checked, if any. */
  earliestExpiry(): number | undefined {
    return this.ledger.earliestExpiry(this.checking);
  }

  /** Never throws. */
  private async check(holder: string): Promise<void> {
    try {
      let description: HolderDescription;
      try {
        description = await holderChecks.describeBudgetHolder({ workflowId: holder, holdings: true });
      } catch (error) {
        log.warn('callBudget: could not find out whether a holder still runs; looking again later', {
          holder,
          error: errorMessage(error),
        });
        description = { status: 'UNKNOWN' };
      }
      const { status } = description;
      // A run that continued-as-new has a successor holding the same permits (a race: describe reads the latest run).
      if (!holderGone(status)) this.keep(holder, status === 'UNKNOWN' ? 'UNKNOWN' : 'RUNNING');
      else await this.takeBack(holder, status, description.holdings?.bindings ?? []);
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.error('callBudget: checking a holder failed', { holder, error: errorMessage(error) });
    } finally {
      this.checking.delete(holder);
    }
  }

  private keep(holder: string, status: 'RUNNING' | 'UNKNOWN'): void {
    const now = Date.now();
    const extended = this.ledger.extendExpired(
      holder,
      now,
      (permit) => now + (status === 'RUNNING' ? permit.leaseMs : RECHECK_MS),
    );
    if (status === 'RUNNING') {
      this.ledger.count('leaseExtensions', extended.length);
      log.warn('callBudget: leases ran out but their holder still runs; they are extended, not reclaimed', {
        holder,
        permitIds: extended,
      });
    }
  }

  /**
   * Gone: nobody will hang up its legs or release its permits. Its legs go first, then its permits. Which leg a permit
   * covered is taken from what the holder held when it stopped (`finalBindings`), else from its last report: a holder
   * that reuses its permits need not have reported its last binds.
   */
  private async takeBack(holder: string, status: HolderStatus, finalBindings: PermitBinding[]): Promise<void> {
    const lastLegOf = new Map(finalBindings.map((binding) => [binding.permitId, binding.txnRef]));
    const permits = this.ledger
      .permitsOf(holder)
      .map((permit) => ({ ...permit, txnRef: lastLegOf.get(permit.permitId) ?? permit.txnRef }));
    log.warn('callBudget: a holder is gone; hanging up its legs and taking its permits back', {
      holder,
      status,
      permitIds: permits.map((p) => p.permitId),
    });
    this.ledger.dropRequestsOf(holder);
    const hungUp = await Promise.all(
      permits.map(async (permit) => {
        if (permit.txnRef === undefined) return true;
        try {
          await legControl.hangupLeg({ account: this.account, txnRef: permit.txnRef });
          return true;
        } catch (error) {
          log.error('callBudget: could not hang up a gone holder’s leg; its permit stays held', {
            holder,
            permitId: permit.permitId,
            txnRef: permit.txnRef,
            error: errorMessage(error),
          });
          return false;
        }
      }),
    );
    const now = Date.now();
    permits.forEach((permit, i) => {
      if (hungUp[i]) this.ledger.reclaim(holder, permit);
      else this.ledger.holdUntil(holder, permit, now + RECHECK_MS);
    });
    this.onFreed();
  }
}
