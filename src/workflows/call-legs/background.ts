/** Small waiting helpers shared by workflow code. */
import { condition, isCancellation } from '@temporalio/workflow';

/** Resolves once `done()` holds or `deadline` (workflow clock) passes; waits on `done()` alone without a deadline. */
export async function waitFor(done: () => boolean, deadline: number | undefined): Promise<void> {
  if (deadline === undefined) await condition(done);
  else await condition(done, Math.max(1, deadline - Date.now()));
}

/** A loop that runs beside the main loop until stopped; `stop()` resolves once the loop has returned. */
export function inBackground(loop: (stopping: () => boolean) => Promise<void>): { stop(): Promise<void> } {
  let stopping = false;
  const done = loop(() => stopping).catch((error: unknown) => {
    // Cancelled with the workflow: the cancellation path gives every permit back and hangs up.
    if (!isCancellation(error)) throw error;
  });
  return {
    async stop() {
      stopping = true;
      await done;
    },
  };
}
