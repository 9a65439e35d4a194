import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';

/** 422 is the receiver's own answer for a notification too old to deliver; deliverSignal never gives it. */
export type Delivery = { status: 200; reason: string } | { status: 404 | 422 | 503; reason: string };

/**
 * Sends one signal (`callEnded` to a session, `ivrEvent` to an escalation) to the workflow's current run and says
 * how that went, as the HTTP status to answer: 200 once the server has accepted the signal, 404 when there is no
 * running workflow of that id (never started, or already closed), 503 for anything else (server unreachable,
 * deadline, namespace problems): the notification was not delivered, and the workflow will have to learn what it
 * said some other way (a session polls the leg).
 */
export async function deliverSignal<Args extends unknown[]>(
  client: Client,
  workflowId: string,
  signal: SignalDefinition<Args>,
  args: Args,
  timeoutMs: number,
): Promise<Delivery> {
  try {
    await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.getHandle(workflowId).signal(signal, ...args),
    );
    return { status: 200, reason: `signalled ${signal.name}` };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { status: 404, reason: 'no running workflow with this id' };
    return { status: 503, reason: `signal failed: ${describeError(error)}` };
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return 'unknown error';
}
