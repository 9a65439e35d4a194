import { type Client, WorkflowNotFoundError } from '@temporalio/client';

export interface HistoryFigures {
  /** Events over every run of the workflow (continue-as-new chains). */
  events: number;
  runs: number;
}

/** Walks a workflow's runs from the latest back to the first (each run names the one it continued) and counts events. */
export async function historyFigures(client: Client, workflowId: string): Promise<HistoryFigures> {
  let runId: string | undefined;
  let events = 0;
  let runs = 0;
  // Bounded: a benchmark session never continues-as-new this often.
  for (let guard = 0; guard < 1_000; guard += 1) {
    let history;
    try {
      history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError && runs === 0) return { events: 0, runs: 0 };
      throw error;
    }
    const all = history.events ?? [];
    events += all.length;
    runs += 1;
    const previous = all[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return { events, runs };
    runId = previous;
  }
  throw new Error(`${workflowId}: more than 1000 runs`);
}
