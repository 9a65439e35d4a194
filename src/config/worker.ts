import { z } from 'zod';
import { MAX_HISTORY_SETTLE_MS } from '../activities/conference';

/**
 * The worker's own tuning, from the environment:
 *   BRIDGEKEEPER_SHUTDOWN_GRACE_MS   how long a stopping worker lets running activities finish before it cancels
 *                                    them (default 30000: a deploy lets an in-flight dial complete). A dial cancelled
 *                                    by the shutdown is retried on another worker, which reconciles it first.
 *   BRIDGEKEEPER_HISTORY_SETTLE_MS   how long a placed leg may take to appear in voice/get_history (default 10000, at most 10000):
 *                                    a reconcile that finds nothing looks again after this before it dials.
 */
const millis = (name: string) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `${name} must be a whole number of milliseconds, at most 999999999`)
    .transform(Number)
    .optional();

const WorkerEnv = z.object({
  BRIDGEKEEPER_SHUTDOWN_GRACE_MS: millis('BRIDGEKEEPER_SHUTDOWN_GRACE_MS'),
  // A dial attempt must finish within its 25 s deadline, the settle wait included.
  BRIDGEKEEPER_HISTORY_SETTLE_MS: millis('BRIDGEKEEPER_HISTORY_SETTLE_MS').refine(
    (value) => value === undefined || value <= MAX_HISTORY_SETTLE_MS,
    `BRIDGEKEEPER_HISTORY_SETTLE_MS must be at most ${MAX_HISTORY_SETTLE_MS} ms`,
  ),
});

export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

export interface WorkerTuning {
  shutdownGraceMs: number;
  historySettleMs?: number;
}

export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const parsed = WorkerEnv.safeParse({
    BRIDGEKEEPER_SHUTDOWN_GRACE_MS: env.BRIDGEKEEPER_SHUTDOWN_GRACE_MS || undefined,
    BRIDGEKEEPER_HISTORY_SETTLE_MS: env.BRIDGEKEEPER_HISTORY_SETTLE_MS || undefined,
  });
  if (!parsed.success) {
    throw new Error(`Invalid worker configuration: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  return {
    shutdownGraceMs: parsed.data.BRIDGEKEEPER_SHUTDOWN_GRACE_MS ?? DEFAULT_SHUTDOWN_GRACE_MS,
    historySettleMs: parsed.data.BRIDGEKEEPER_HISTORY_SETTLE_MS,
  };
}
