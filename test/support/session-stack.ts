/**
 * Everything a conference session needs, for real, in one test process: a Temporal dev server, the Hoiio simulator
 * over HTTP, the notification receiver over HTTP, and a bridgekeeper worker wired exactly as in production. A thin
 * wrapper over `dev/stack/local-stack.ts`, which the benchmark (`dev/bench/`) builds on too.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ReceiverLogEvent } from '../../src/notifications/notification-log';
import type { RunningReceiver } from '../../src/notifications/receiver';
import type { RunningSimulator, SimulatorOptions } from '../../dev/simulator';
import { startLocalStack, type LocalStackOptions } from '../../dev/stack/local-stack';
import { startTemporalTestEnv, uniqueId } from './temporal-test-env';

export interface SessionStack {
  env: TestWorkflowEnvironment;
  simulator: RunningSimulator;
  receiver: RunningReceiver;
  taskQueue: string;
  /** What the receiver logged: one event per notification. */
  receiverEvents: ReceiverLogEvent[];
  simGet<T>(path: string): Promise<T>;
  simPost(path: string, body: unknown): Promise<void>;
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSessionStack(
  simulatorOptions: Partial<SimulatorOptions> = {},
  options: Pick<LocalStackOptions, 'hoiioEnv' | 'worker'> = {},
): Promise<SessionStack> {
  // A LocalStack has every SessionStack field (and a few more the tests do not need).
  return await startLocalStack({
    ...options,
    simulator: simulatorOptions,
    taskQueue: uniqueId('sessions'),
    startTemporal: startTemporalTestEnv,
  });
}
