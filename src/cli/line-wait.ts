/**
 * Who holds the account's lines, for a session that waits for one: the session's status names its budget, and the
 * budget's `budgetState` query names every holder and the queue. `status` and `call --wait` both ask it.
 */
import type { Client } from '@temporalio/client';
import type { SessionStatus } from '../domain/session-types';
import { budgetStateQuery } from '../workflows/messages';
import type { LineWait } from './summary-table';

/**
 * The budget's view when someone in the session (`holder`, its workflow id) waits for a line; undefined when nobody
 * does, or when the budget does not answer: the session's own status is still worth showing without it.
 */
export async function lineWaitOf(
  client: Client,
  holder: string,
  status: SessionStatus,
  withTimeout: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<LineWait | undefined> {
  const budgetId = status.permits?.budget;
  if (!budgetId || !status.participants.some((p) => p.waiting?.kind === 'no-line')) return undefined;
  try {
    return { budget: await withTimeout(() => client.workflow.getHandle(budgetId).query(budgetStateQuery)), holder };
  } catch {
    return undefined;
  }
}
