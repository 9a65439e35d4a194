/**
 * Everything a conference session needs, for real, in one test process: a Temporal dev server, the Hoiio simulator
 * over HTTP, the notification receiver over HTTP, and a bridgekeeper worker wired exactly as in production. A thin
 * wrapper over `dev/stack/local-stack.ts`, which the benchmark (`dev/bench/`) builds on too.
 */
import type { SimulatorOptions } from '../../dev/simulator';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../dev/stack/local-stack';
import { startTemporalTestEnv, uniqueId } from './temporal-test-env';

export type SessionStack = LocalStack;

export async function startSessionStack(
  simulatorOptions: Partial<SimulatorOptions> = {},
  options: Pick<LocalStackOptions, 'hoiioEnv' | 'worker' | 'alertmanager'> = {},
): Promise<SessionStack> {
  return await startLocalStack({
    ...options,
    simulator: simulatorOptions,
    taskQueue: uniqueId('sessions'),
    startTemporal: startTemporalTestEnv,
  });
}

/** The environment a CLI process needs to reach the stack's Temporal and task queue, and nothing else. */
export function cliEnvFor(stack: SessionStack): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: stack.env.address,
    TEMPORAL_NAMESPACE: stack.env.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
  };
}
