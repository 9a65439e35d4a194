/**
 * Test-only holder workflows for the call budget: they use the production `PermitPool` exactly as a session would.
 * - `greedyHolder` wants N permits, holds each for a while as they come and releases it, recording when.
 * - `scriptedHolder` does what the test tells it through updates, and shows what it received through a query.
 */
import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import { PermitPool } from '../../../src/workflows/permits';

export interface PermitInterval {
  permitId: string;
  /** Workflow time the holder took the permit. */
  from: number;
  /** Workflow time the holder released it. */
  to: number;
}

export interface GreedyHolderInput {
  account: string;
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

export async function greedyHolder(input: GreedyHolderInput): Promise<GreedyHolderResult> {
  const pool = new PermitPool({ account: input.account, capacity: input.capacity, leaseMs: input.leaseMs });
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

export interface ScriptedHolderInput {
  account: string;
  capacity?: number;
  leaseMs?: number;
}

export interface HolderView {
  /** Permit ids in the order the holder took them. */
  received: string[];
  held: string[];
  pending: number;
}

export const holderRequestUpdate = defineUpdate<string, [number]>('holderRequest');
export const holderReleaseUpdate = defineUpdate<void, [string[]]>('holderRelease');
export const holderRenewUpdate = defineUpdate<void, []>('holderRenew');
export const holderCancelUpdate = defineUpdate<void, []>('holderCancel');
export const holderFinishSignal = defineSignal<[]>('holderFinish');
export const holderViewQuery = defineQuery<HolderView>('holderView');

export async function scriptedHolder(input: ScriptedHolderInput): Promise<HolderView> {
  const pool = new PermitPool({ account: input.account, capacity: input.capacity, leaseMs: input.leaseMs });
  const received: string[] = [];
  let finished = false;
  const view = (): HolderView => ({ received: [...received], held: pool.held, pending: pool.pending });
  setHandler(holderRequestUpdate, (count) => pool.request(count));
  setHandler(holderReleaseUpdate, (ids) => pool.release(ids));
  setHandler(holderRenewUpdate, () => pool.renewAll());
  setHandler(holderCancelUpdate, () => pool.cancelPending());
  setHandler(holderFinishSignal, () => void (finished = true));
  setHandler(holderViewQuery, view);
  while (!finished) {
    await condition(() => finished || pool.available > 0);
    received.push(...pool.takeNow());
  }
  await condition(allHandlersFinished);
  return view();
}
