/**
 * `call --wait`: one progress line from the `status` query about every second until the workflow's result arrives.
 * `page --wait` shares the loop (`pollUntilResult`) but prints each new entry of the escalation's timeline as a line of
 * its own: a timeline is a log, worth keeping whole on a terminal as much as in a file.
 * On a terminal the line is rewritten in place; into a pipe or file it is written as plain lines, only when it
 * changes, so logs stay readable and contain no cursor codes.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { EscalationResult, TimelineEntry } from '../domain/escalation-types';
import type { SessionStatus, SessionSummary } from '../domain/session-types';
import type { conferenceSession } from '../workflows/conference-session';
import { escalationStatusQuery, statusQuery } from '../workflows/messages';
import { formatTimelineEntry } from './escalation-report';
import { formatStatusLine, type LineWait } from './summary-table';

export interface ProgressOptions {
  /** Where the line goes: stdout normally, stderr when stdout carries JSON. */
  out: NodeJS.WriteStream;
  intervalMs: number;
  /** Bounds each status query: without a worker a query would otherwise wait for one. */
  queryWithTimeout<T>(fn: () => Promise<T>): Promise<T>;
  /** Who holds the account's lines, asked when someone waits for one (see `line-wait.ts`). */
  lineWait?(status: SessionStatus): Promise<LineWait | undefined>;
}

/** Clear the line and write over it; a line wider than the terminal would wrap and could not be rewritten. */
function rewrite(out: NodeJS.WriteStream, line: string): void {
  const width = out.columns ? Math.max(out.columns - 1, 10) : line.length;
  const fitted = line.length > width ? `${line.slice(0, width - 1)}…` : line;
  out.write(`\r\x1b[2K${fitted}`);
}

export async function waitWithProgress(
  handle: WorkflowHandle<typeof conferenceSession>,
  options: ProgressOptions,
): Promise<SessionSummary> {
  const { out } = options;
  const tty = Boolean(out.isTTY);
  let last = '';
  let wroteInPlace = false;
  const summary = await pollUntilResult(handle.result(), options.intervalMs, async (finished) => {
    let line: string;
    try {
      const status = await options.queryWithTimeout(() => handle.query(statusQuery));
      line = formatStatusLine(status, await options.lineWait?.(status));
    } catch (error) {
      // The result promise reports a missing workflow better; anything else is a passing state worth showing.
      if (error instanceof WorkflowNotFoundError) return 'stop';
      line = finished() ? last : 'waiting for a worker to pick up the session...';
    }
    if (tty) {
      rewrite(out, line);
      wroteInPlace = true;
    } else if (line !== last) {
      out.write(`${line}\n`);
    }
    last = line;
    return undefined;
  }).finally(() => {
    if (wroteInPlace) out.write('\n');
  });
  return summary;
}

/**
 * Runs `tick` about every `intervalMs` until `result` settles or `tick` says `stop`, then returns the result. The
 * wait between ticks ends early when the result arrives; `finished()` tells `tick` whether it already has.
 */
export async function pollUntilResult<R>(
  result: Promise<R>,
  intervalMs: number,
  tick: (finished: () => boolean) => Promise<'stop' | undefined>,
): Promise<R> {
  let finished = false;
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  void settled.then(() => {
    finished = true;
  });
  while (!finished) {
    if ((await tick(() => finished)) === 'stop') break;
    // Clear the timer so that it cannot keep the process alive after the result.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, intervalMs)))]);
    clearTimeout(timer);
  }
  return result;
}

/**
 * `page --wait`: every new timeline entry of the escalation's `status` query as a line, until the result arrives;
 * then what the last query missed, from the result's own timeline. Returns the result.
 */
export async function waitWithTimeline(handle: WorkflowHandle, options: ProgressOptions): Promise<EscalationResult> {
  const { out } = options;
  let printed = 0;
  let waitingShown = false;
  const show = (timeline: TimelineEntry[]) => {
    for (const entry of timeline.slice(printed)) out.write(`${formatTimelineEntry(entry)}\n`);
    printed = Math.max(printed, timeline.length);
  };
  const result: EscalationResult = await pollUntilResult(
    handle.result() as Promise<EscalationResult>,
    options.intervalMs,
    async (finished) => {
      try {
        show((await options.queryWithTimeout(() => handle.query(escalationStatusQuery))).timeline);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'stop';
        if (!finished() && printed === 0 && !waitingShown) {
          out.write('waiting for a worker to pick up the escalation...\n');
          waitingShown = true;
        }
      }
      return undefined;
    },
  );
  show(result.timeline);
  return result;
}
