import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { callEndedSignal, type CallEnded } from '../workflows/messages';

/** 422 is the receiver's own answer for a notification too old to deliver; deliverCallEnded never gives it. */
export type Delivery = { status: 200; reason: string } | { status: 404 | 422 | 503; reason: string };

/**
 * Signals `callEnded` to the session's current run and says how that went, as the HTTP status to answer:
 * 200 once the server has accepted the signal, 404 when there is no running workflow of that id (never started, or
 * already closed), 503 for anything else (server unreachable, deadline, namespace problems): the notification was
 * not delivered, and the session will have to find the leg's end by polling.
 */
export async function deliverCallEnded(
  client: Client,
  workflowId: string,
  payload: CallEnded,
  timeoutMs: number,
): Promise<Delivery> {
  try {
    await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.getHandle(workflowId).signal(callEndedSignal, payload),
    );
    return { status: 200, reason: 'signalled callEnded' };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { status: 404, reason: 'no running workflow with this id' };
    return { status: 503, reason: `signal failed: ${describeError(error)}` };
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return 'unknown error';
}
