import type { Client } from '@temporalio/client';

/** Short: a readiness probe that hangs is worse than one that says no. */
export const READINESS_DEADLINE_MS = 2_000;

/**
 * Undefined when Temporal answers a cheap call (GetSystemInfo) within the deadline, else why not, in one line that
 * names no secret (the error's name and message from the gRPC client).
 */
export async function temporalReachable(client: Client): Promise<string | undefined> {
  try {
    await client.withDeadline(Date.now() + READINESS_DEADLINE_MS, () => client.workflowService.getSystemInfo({}));
    return undefined;
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
    return `Temporal unreachable: ${text.slice(0, 200)}`;
  }
}
