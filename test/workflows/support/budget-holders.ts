/**
 * Test-only holder workflows for the call budget: they use the production `PermitPool` exactly as a session would.
 * - `greedyHolder` wants N permits, holds each for a while as they come and releases it, recording when.
 * - `dialingHolder` behaves like a session: at most `concurrency` legs up at once, asks for what it can use, renews,
 *   binds each permit to a (made-up) leg, and releases a permit when its leg ends.
 * - `scriptedHolder` does what the test tells it through updates, and shows what it received through a query. Its
 *   `holderDial` update places real calls through the `placeConferenceCall` activity and binds each permit to its leg.
 *
 * Every holder names the budget by its key (the Hoiio application id) beside the account name, as sessions do.
 */
import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConferenceActivities } from '../../../src/activities/conference';
import { PermitPool } from '../../../src/workflows/permits/permit-pool';

export interface PermitInterval {
  permitId: string;
  /** Workflow time the holder took the permit. */
  from: number;
  /** Workflow time the holder released it. */
  to: number;
}

export interface GreedyHolderInput {
  account: string;
  budgetKey: string;
  capacity?: number;
  want: number;
  holdMs: number;
  leaseMs?: number;
}

export interface GreedyHolderResult {
  intervals: PermitInterval[];
  /** Sizes of the batches `take` returned, in order. */
  batches: number[];
}

/** Every holder takes its permits through the production PermitPool, as a session does. */
function poolFor(input: Pick<GreedyHolderInput, 'account' | 'budgetKey' | 'capacity' | 'leaseMs'>): PermitPool {
  return new PermitPool({
    account: input.account,
    budgetKey: input.budgetKey,
    capacity: input.capacity,
    leaseMs: input.leaseMs,
  });
}

export async function greedyHolder(input: GreedyHolderInput): Promise<GreedyHolderResult> {
  const pool = poolFor(input);
  const intervals: PermitInterval[] = [];
  const batches: number[] = [];
  const holds: Promise<void>[] = [];
  await pool.request(input.want);
  let got = 0;
  while (got < input.want) {
    const permits = await pool.take();
    if (permits.length === 0) break;
    got += permits.length;
    batches.push(permits.length);
    const from = Date.now();
    for (const permitId of permits) {
      holds.push(
        (async () => {
          await sleep(input.holdMs);
          const to = Date.now();
          intervals.push({ permitId, from, to });
          await pool.release([permitId]);
        })(),
      );
    }
  }
  await Promise.all(holds);
  return { intervals, batches };
}

export interface DialingHolderInput {
  account: string;
  budgetKey: string;
  capacity?: number;
  leaseMs?: number;
  /** Legs to place in all. */
  calls: number;
  /** At most this many legs up at once (a session's free room slots). */
  concurrency: number;
  /** How long each leg stays up. */
  holdMs: number;
  /** Renew held permits this often (as a session does every 5 minutes); never if unset. */
  renewEveryMs?: number;
  /** Bind each permit to a made-up leg reference. */
  bind?: boolean;
}

export interface DialingHolderResult {
  intervals: PermitInterval[];
}

export const dialingHolderProgressQuery = defineQuery<{ started: number; active: number; pending: number }>(
  'dialingHolderProgress',
);

export async function dialingHolder(input: DialingHolderInput): Promise<DialingHolderResult> {
  const pool = poolFor(input);
  const intervals: PermitInterval[] = [];
  const legs: Promise<void>[] = [];
  let started = 0;
  let active = 0;
  let ended = 0;
  let done = false;
  setHandler(dialingHolderProgressQuery, () => ({ started, active, pending: pool.pending }));

  const renewals = (async () => {
    if (!input.renewEveryMs) return;
    while (!done) {
      await condition(() => done, input.renewEveryMs);
      if (!done) await pool.renewAll();
    }
  })();

  const startLeg = (permitId: string) => {
    started += 1;
    active += 1;
    const from = Date.now();
    if (input.bind) pool.bind(permitId, `${workflowInfo().workflowId}-leg-${started}`);
    legs.push(
      (async () => {
        await sleep(input.holdMs);
        intervals.push({ permitId, from, to: Date.now() });
        active -= 1;
        ended += 1;
        await pool.release([permitId]);
      })(),
    );
  };

  while (started < input.calls) {
    const wanted = Math.min(input.concurrency - active, input.calls - started);
    const promised = pool.available + pool.pending;
    if (wanted > promised) await pool.request(wanted - promised);
    const endedBefore = ended;
    await condition(() => (pool.available > 0 && active < input.concurrency) || ended !== endedBefore);
    const count = Math.min(input.concurrency - active, input.calls - started, pool.available);
    for (const permitId of pool.takeNow(count)) startLeg(permitId);
  }
  await Promise.all(legs);
  done = true;
  await renewals;
  await pool.release(pool.takeNow());
  return { intervals };
}

export interface ScriptedHolderInput {
  account: string;
  budgetKey: string;
  capacity?: number;
  leaseMs?: number;
}

export interface HolderView {
  /** Permit ids in the order the holder took them. */
  received: string[];
  held: string[];
  pending: number;
  /** Malformed messages the pool dropped. */
  malformed: number;
}

export interface HolderDialRequest {
  /** One number per permit taken. */
  numbers: string[];
  room: string;
}

/** Asks for `count` permits, at `priority` if given (none sent otherwise, as a session does). */
export const holderRequestUpdate = defineUpdate<string, [number, number?]>('holderRequest');
export const holderReleaseUpdate = defineUpdate<void, [string[]]>('holderRelease');
export const holderRenewUpdate = defineUpdate<void, []>('holderRenew');
export const holderCancelUpdate = defineUpdate<void, []>('holderCancel');
/** Places a call per number with the permits received so far (one each), and binds each permit to its leg. */
export const holderDialUpdate = defineUpdate<{ permitId: string; txnRef: string }[], [HolderDialRequest]>('holderDial');
export const holderFinishSignal = defineSignal<[]>('holderFinish');
export const holderViewQuery = defineQuery<HolderView>('holderView');

const conference = proxyActivities<ConferenceActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

export async function scriptedHolder(input: ScriptedHolderInput): Promise<HolderView> {
  const pool = poolFor(input);
  const received: string[] = [];
  const unused: string[] = [];
  let finished = false;
  const view = (): HolderView => ({
    received: [...received],
    held: pool.held,
    pending: pool.pending,
    malformed: pool.malformed,
  });
  setHandler(holderRequestUpdate, (count, priority) => pool.request(count, priority));
  setHandler(holderReleaseUpdate, (ids) => pool.release(ids));
  setHandler(holderRenewUpdate, () => pool.renewAll());
  setHandler(holderCancelUpdate, () => pool.cancelPending());
  setHandler(holderDialUpdate, async ({ numbers, room }) => {
    const permits = unused.splice(0, numbers.length);
    const result = await conference.placeConferenceCall({
      account: input.account,
      room,
      numbers: numbers.slice(0, permits.length),
      tag: `${workflowInfo().workflowId}-dial`,
      begunAt: Date.now(),
    });
    const bound = result.legs.map((leg, i) => ({ permitId: permits[i]!, txnRef: leg.txnRef }));
    for (const { permitId, txnRef } of bound) pool.bind(permitId, txnRef);
    return bound;
  });
  setHandler(holderFinishSignal, () => void (finished = true));
  setHandler(holderViewQuery, view);
  while (!finished) {
    await condition(() => finished || pool.available > 0);
    const taken = pool.takeNow();
    received.push(...taken);
    unused.push(...taken);
  }
  await condition(allHandlersFinished);
  return view();
}

/**
 * Takes nothing and asks for nothing on its own: it ends when told to (`holderFinish`) the way a session does, giving
 * everything back through `PermitPool.close()`. For what happens to a grant that arrives in its last workflow task.
 */
export async function closingHolder(input: ScriptedHolderInput): Promise<HolderView> {
  const pool = poolFor(input);
  let finished = false;
  const view = (): HolderView => ({ received: [], held: pool.held, pending: pool.pending, malformed: pool.malformed });
  setHandler(holderFinishSignal, () => void (finished = true));
  setHandler(holderViewQuery, view);
  await condition(() => finished);
  await pool.close();
  return view();
}
