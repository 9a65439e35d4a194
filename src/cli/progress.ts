/**
 * `call --wait`: one progress line from the `status` query about every second until the workflow's result arrives.
 * On a terminal the line is rewritten in place; into a pipe or file it is written as plain lines, only when it
 * changes, so logs stay readable and contain no cursor codes.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { SessionSummary } from '../domain/session-types';
import type { conferenceSession } from '../workflows/conference-session';
import { statusQuery } from '../workflows/messages';
import { formatStatusLine } from './summary-table';

export interface ProgressOptions {
  /** Where the line goes: stdout normally, stderr when stdout carries JSON. */
  out: NodeJS.WriteStream;
  intervalMs: number;
  /** Bounds each status query: without a worker a query would otherwise wait for one. */
  queryWithTimeout<T>(fn: () => Promise<T>): Promise<T>;
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
  const { out, intervalMs } = options;
  const tty = Boolean(out.isTTY);
  let finished = false;
  const result = handle.result();
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  void settled.then(() => {
    finished = true;
  });

  let last = '';
  let wroteInPlace = false;
  while (!finished) {
    let line: string;
    try {
      line = formatStatusLine(await options.queryWithTimeout(() => handle.query(statusQuery)));
    } catch (error) {
      // The result promise reports a missing workflow better; anything else is a passing state worth showing.
      if (error instanceof WorkflowNotFoundError) break;
      line = finished ? last : 'waiting for a worker to pick up the session...';
    }
    if (tty) {
      rewrite(out, line);
      wroteInPlace = true;
    } else if (line !== last) {
      out.write(`${line}\n`);
    }
    last = line;
    // Wake early when the result arrives; clear the timer so it cannot keep the process alive afterwards.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, intervalMs)))]);
    clearTimeout(timer);
  }
  if (wroteInPlace) out.write('\n');
  return result;
}
