import { type Client, WorkflowNotFoundError } from '@temporalio/client';

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

export interface HistoryFigures {
  /** Events over every run of the workflow (continue-as-new chains). */
  events: number;
  runs: number;
  /** The same events by type (`WorkflowTaskCompleted`, `ActivityTaskScheduled`, ...). */
  byType: Map<string, number>;
}

/** Walks a workflow's runs from the latest back to the first (each run names the one it continued) and counts events. */
export async function historyFigures(client: Client, workflowId: string): Promise<HistoryFigures> {
  let runId: string | undefined;
  const figures: HistoryFigures = { events: 0, runs: 0, byType: new Map() };
  // Bounded: a benchmark session never continues-as-new this often.
  for (let guard = 0; guard < 1_000; guard += 1) {
    let history;
    try {
      history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError && figures.runs === 0) return figures;
      throw error;
    }
    const all = history.events ?? [];
    figures.events += all.length;
    figures.runs += 1;
    countByType(all, figures.byType);
    const previous = all[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return figures;
    runId = previous;
  }
  throw new Error(`${workflowId}: more than 1000 runs`);
}

/** Adds each event's type name to `into`. */
export function countByType(events: readonly HistoryEvent[], into: Map<string, number>): Map<string, number> {
  for (const event of events) {
    const name = eventTypeName(event);
    into.set(name, (into.get(name) ?? 0) + 1);
  }
  return into;
}

/** Sums `from` into `into`. */
export function addCounts(into: Map<string, number>, from: ReadonlyMap<string, number>): void {
  for (const [type, count] of from) into.set(type, (into.get(type) ?? 0) + count);
}

/** An event's type, read from the one `...EventAttributes` field it carries (`WorkflowTaskCompleted`, ...). */
function eventTypeName(event: HistoryEvent): string {
  for (const [key, value] of Object.entries(event)) {
    if (value && key.endsWith('EventAttributes')) {
      return key.charAt(0).toUpperCase() + key.slice(1, -'EventAttributes'.length);
    }
  }
  return 'Unknown';
}
