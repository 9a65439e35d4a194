import { z } from 'zod';
import { MAX_HISTORY_SETTLE_MS } from '../activities/conference';

/**
 * The worker's own tuning, from the environment:
 *   BRIDGEKEEPER_SHUTDOWN_GRACE_MS   how long a stopping worker lets running activities finish before it cancels
 *                                    them (default 30000: a deploy lets an in-flight dial complete). A dial cancelled
 *                                    by the shutdown is retried on another worker, which reconciles it first.
 *   BRIDGEKEEPER_HISTORY_SETTLE_MS   how long a placed leg may take to appear in voice/get_history (default 10000, at most 10000):
 *                                    a reconcile that finds nothing looks again after this before it dials.
 *   BRIDGEKEEPER_MAX_CACHED_WORKFLOWS  how many workflows the worker keeps in memory between their tasks (default: the
 *                                    SDK's, sized from the heap limit, about 600 a GiB). A session costs about 0.45
 *                                    MB; one evicted is replayed from its history at its next task. Bounds a worker's
 *                                    memory (docs/deploying.md, "Bounding a worker's memory").
 */
const millis = (name: string) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `${name} must be a whole number of milliseconds, at most 999999999`)
    .transform(Number)
    .optional();

const count = (name: string) =>
  z
    .string()
    .regex(/^\d{1,7}$/, `${name} must be a whole number, at most 9999999`)
    .transform(Number)
    .refine((value) => value === 0 || value >= 2, `${name} must be 0 (no cache) or at least 2`)
    .optional();

const WorkerEnv = z.object({
  BRIDGEKEEPER_SHUTDOWN_GRACE_MS: millis('BRIDGEKEEPER_SHUTDOWN_GRACE_MS'),
  // A dial attempt must finish within its 25 s deadline, the settle wait included.
  BRIDGEKEEPER_HISTORY_SETTLE_MS: millis('BRIDGEKEEPER_HISTORY_SETTLE_MS').refine(
    (value) => value === undefined || value <= MAX_HISTORY_SETTLE_MS,
    `BRIDGEKEEPER_HISTORY_SETTLE_MS must be at most ${MAX_HISTORY_SETTLE_MS} ms`,
  ),
  BRIDGEKEEPER_MAX_CACHED_WORKFLOWS: count('BRIDGEKEEPER_MAX_CACHED_WORKFLOWS'),
});

export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

export interface WorkerTuning {
  shutdownGraceMs: number;
  historySettleMs?: number;
  /** Unset: the SDK's default. */
  maxCachedWorkflows?: number;
}

export function workerTuningFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const parsed = WorkerEnv.safeParse({
    BRIDGEKEEPER_SHUTDOWN_GRACE_MS: env.BRIDGEKEEPER_SHUTDOWN_GRACE_MS || undefined,
    BRIDGEKEEPER_HISTORY_SETTLE_MS: env.BRIDGEKEEPER_HISTORY_SETTLE_MS || undefined,
    BRIDGEKEEPER_MAX_CACHED_WORKFLOWS: env.BRIDGEKEEPER_MAX_CACHED_WORKFLOWS || undefined,
  });
  if (!parsed.success) {
    throw new Error(`Invalid worker configuration: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  return {
    shutdownGraceMs: parsed.data.BRIDGEKEEPER_SHUTDOWN_GRACE_MS ?? DEFAULT_SHUTDOWN_GRACE_MS,
    historySettleMs: parsed.data.BRIDGEKEEPER_HISTORY_SETTLE_MS,
    ...(parsed.data.BRIDGEKEEPER_MAX_CACHED_WORKFLOWS !== undefined
      ? { maxCachedWorkflows: parsed.data.BRIDGEKEEPER_MAX_CACHED_WORKFLOWS }
      : {}),
  };
}
