/** A {@link PermitPool}'s options, and its state as carried over its holder's continue-as-new. */
import type { ActivityOptions } from '@temporalio/workflow';
import type { PermitBinding } from '../messages';

/** How many released permit ids are remembered, so that a duplicated grant cannot bring one back. */
const RECENTLY_RELEASED = 1_000;

/** A pool's state as plain JSON, to carry over the holder's continue-as-new. */
export interface PermitPoolState {
  /** Every permit granted and not yet released, taken or not. */
  held: string[];
  /** The part of `held` not yet handed out by `take`. */
  available: string[];
  /** Requests not yet fully granted; `priority` only for one that named it (none in states of older runs). */
  pending: { requestId: string; remaining: number; priority?: number }[];
  /** Recently released permit ids (oldest first). */
  released: string[];
  /** The leg each bound permit covers (absent in states of older runs). */
  bindings?: PermitBinding[];
  /** Malformed messages dropped so far. */
  malformed?: number;
  /** A report was still due or on its way (e.g. a bind's): the next run sends one at once. */
  reportDue?: boolean;
  /** Held permits the budget has recalled: given back when their calls end, never reused (absent: none). */
  recalled?: string[];
}

export interface PermitPoolOptions {
  /** The Hoiio account name: passed to the budget it starts, which hangs up gone holders' legs with it. */
  account: string;
  /** The account's Hoiio application id: names the budget (every account name on one application shares it). */
  budgetKey: string;
  /** Lease of this pool's permits (renew within it); the budget's default (10 minutes) if unset. */
  leaseMs?: number;
  /** Pool size, used only if this pool's message is the one that starts the budget. */
  capacity?: number;
  /** The state of the previous run, from `PermitPool.state()`. */
  state?: PermitPoolState;
  /** Options for the budget activities; by default 30 s per attempt, retried without end. */
  activityOptions?: ActivityOptions;
}

/** Permit ids recently released, oldest first: a grant repeating one of them is a duplicate. */
export class RecentlyReleased {
  private readonly ids: string[];
  private readonly set: Set<string>;

  constructor(ids: readonly string[]) {
    this.ids = [...ids];
    this.set = new Set(this.ids);
  }

  add(id: string): void {
    this.ids.push(id);
    this.set.add(id);
    while (this.ids.length > RECENTLY_RELEASED) this.set.delete(this.ids.shift()!);
  }

  has(id: string): boolean {
    return this.set.has(id);
  }

  list(): string[] {
    return [...this.ids];
  }
}
