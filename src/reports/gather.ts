/**
 * What a report is made of, read from Temporal: the sessions it covers (one by id, the runs of a schedule, or every
 * session started in a time range, listed by a visibility query), each closed run's result or failure, and a
 * schedule's time zone. The only I/O of src/reports/; the rest is pure.
 */
import {
  ScheduleNotFoundError,
  WorkflowFailedError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SessionSummary } from '../domain/session-types';
import type { GatheredRun } from './report-model';

export const SESSION_WORKFLOW_TYPE = 'conferenceSession';
/** Set by Temporal on every workflow a schedule starts. */
const SCHEDULED_BY = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);
/** Results fetched at once: enough to hide round trips, few enough not to crowd the frontend. */
const FETCH_CONCURRENCY = 4;

export type ReportSelection =
  | { kind: 'session'; workflowId: string }
  | { kind: 'schedule'; scheduleId: string }
  | { kind: 'range'; since?: Date; until?: Date };

export interface Gathered {
  subject: string;
  /** The time zone of the schedule the runs came from (UTC when its spec names none), when there is one. */
  timeZone?: string;
  runs: GatheredRun[];
}

/** What a listing and a describe both tell of a run. */
type ListedRun = Pick<
  WorkflowExecutionInfo,
  'workflowId' | 'runId' | 'status' | 'startTime' | 'closeTime' | 'typedSearchAttributes'
>;

/** A failure fit for the user: the selection names nothing that exists. */
export class NothingToReport extends Error {}

export async function gather(client: Client, selection: ReportSelection): Promise<Gathered> {
  switch (selection.kind) {
    case 'session': {
      const info = await client.workflow.getHandle(selection.workflowId).describe();
      if (info.type !== SESSION_WORKFLOW_TYPE) {
        throw new NothingToReport(`workflow ${selection.workflowId} is a ${info.type}, not a ${SESSION_WORKFLOW_TYPE}`);
      }
      const runs = await fetchRuns(client, [info]);
      // A run of a schedule is dated in the schedule's time zone, as the schedule's report dates it.
      const scheduleId = runs[0]?.scheduleId;
      const timeZone = scheduleId === undefined ? undefined : await scheduleTimeZone(client, scheduleId);
      return { subject: `session ${selection.workflowId}`, ...(timeZone ? { timeZone } : {}), runs };
    }
    case 'schedule': {
      const timeZone = await scheduleTimeZone(client, selection.scheduleId);
      const runs = await fetchRuns(
        client,
        await list(client, `TemporalScheduledById = ${quoted(selection.scheduleId)}`),
      );
      if (timeZone === undefined && runs.length === 0) {
        throw new NothingToReport(`schedule ${selection.scheduleId} not found, and no session carries its id`);
      }
      const deleted = timeZone === undefined ? ' (deleted)' : '';
      return { subject: `schedule ${selection.scheduleId}${deleted}`, timeZone: timeZone ?? 'UTC', runs };
    }
    case 'range': {
      const { since, until } = selection;
      const bounds = [
        ...(since ? [`StartTime >= ${quoted(since.toISOString())}`] : []),
        ...(until ? [`StartTime < ${quoted(until.toISOString())}`] : []),
      ];
      const words = `${since ? ` from ${since.toISOString()}` : ''}${until ? ` until ${until.toISOString()}` : ''}`;
      return { subject: `sessions started${words}`, runs: await fetchRuns(client, await list(client, ...bounds)) };
    }
  }
}

/**
 * A string literal of a visibility query. The CLI lets no quote or backslash through (their escaping differs between
 * visibility stores), so quoting is enough.
 */
function quoted(text: string): string {
  if (/['"\\]/.test(text)) throw new RangeError(`${JSON.stringify(text)} cannot be quoted in a visibility query`);
  return `'${text}'`;
}

async function list(client: Client, ...conditions: string[]): Promise<WorkflowExecutionInfo[]> {
  const query = [`WorkflowType = ${quoted(SESSION_WORKFLOW_TYPE)}`, ...conditions].join(' AND ');
  const found: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query })) found.push(info);
  return found;
}

/** The schedule's IANA time zone, UTC when it names none; undefined when there is no such schedule. */
async function scheduleTimeZone(client: Client, scheduleId: string): Promise<string | undefined> {
  try {
    const description = await client.schedule.getHandle(scheduleId).describe();
    return description.spec.timezone || 'UTC';
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}

/**
 * The result or failure of each run. A run that continued as new is left out: its chain's last run carries the
 * summary of the whole session.
 */
async function fetchRuns(client: Client, infos: readonly ListedRun[]): Promise<GatheredRun[]> {
  const closed = infos.filter((info) => info.status.name !== 'CONTINUED_AS_NEW');
  const runs: GatheredRun[] = [];
  for (let i = 0; i < closed.length; i += FETCH_CONCURRENCY) {
    runs.push(...(await Promise.all(closed.slice(i, i + FETCH_CONCURRENCY).map((info) => fetchRun(client, info)))));
  }
  return runs;
}

async function fetchRun(client: Client, info: ListedRun): Promise<GatheredRun> {
  const scheduleId = info.typedSearchAttributes.get(SCHEDULED_BY);
  const run: GatheredRun = {
    workflowId: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    startedAt: info.startTime,
    ...(info.closeTime ? { closedAt: info.closeTime } : {}),
    ...(scheduleId ? { scheduleId } : {}),
  };
  if (info.status.name === 'RUNNING') return run;
  const handle = client.workflow.getHandle(info.workflowId, info.runId);
  try {
    return { ...run, summary: (await handle.result()) as SessionSummary };
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    return { ...run, failure: error.cause?.message || error.message };
  }
}
