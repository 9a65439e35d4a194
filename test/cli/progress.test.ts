/**
 * The `--wait` printers on their own: a stand-in handle whose query answers from a script and whose result arrives
 * after a few polls, written into a stream that is not a terminal (as in a log or a pipe).
 */
import { PassThrough } from 'node:stream';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { waitWithProgress, waitWithTimeline } from '../../src/cli/progress';
import type { EscalationResult, EscalationStatus, TimelineEntry } from '../../src/domain/escalation-types';
import type { SessionStatus, SessionSummary } from '../../src/domain/session-types';

/** A handle whose n-th query answers `answers[n]` (a thrown error when it is one) and whose result comes after them. */
function scriptedHandle<S, R>(answers: (S | Error)[], result: R): WorkflowHandle {
  let polls = 0;
  let finish: (value: R) => void = () => undefined;
  const done = new Promise<R>((resolve) => (finish = resolve));
  return {
    query: () => {
      const answer = answers[Math.min(polls, answers.length - 1)];
      polls += 1;
      if (polls >= answers.length) setTimeout(() => finish(result), 5);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    result: () => done,
  } as unknown as WorkflowHandle;
}

function capture(): { out: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const options = (out: NodeJS.WriteStream) => ({
  out,
  intervalMs: 1,
  queryWithTimeout: <T>(fn: () => Promise<T>) => fn(),
});

describe('waitWithProgress (call --wait)', () => {
  it('writes a line only when it changes, says when no worker answers, and returns the summary', async () => {
    const status = (activeLegs: number): SessionStatus => ({
      room: 'r',
      phase: 'running',
      participants: [],
      counts: { 'in-call': activeLegs },
      activeLegs,
      costSoFar: [],
    });
    const summary = { room: 'r' } as SessionSummary;
    const { out, text } = capture();
    const handle = scriptedHandle<SessionStatus, SessionSummary>(
      [new Error('deadline'), status(2), status(2), status(1)],
      summary,
    );
    expect(await waitWithProgress(handle as never, options(out))).toBe(summary);
    expect(text()).toBe(
      'waiting for a worker to pick up the session...\n' +
        'running | 2 in-call | 2 active legs | cost 0\n' +
        'running | 1 in-call | 1 active leg | cost 0\n',
    );
  });
});

describe('waitWithTimeline (page --wait)', () => {
  const entry = (at: number, event: TimelineEntry['event'], number?: string): TimelineEntry => ({
    at,
    round: 0,
    step: 0,
    event,
    ...(number ? { number } : {}),
  });
  const timeline = [
    entry(0, 'step-started'),
    entry(1000, 'rang', '+6591230001'),
    entry(2000, 'acknowledged', '+6591230001'),
    entry(3000, 'bridged'),
  ];
  const status = (count: number) => ({ timeline: timeline.slice(0, count) }) as EscalationStatus;

  it('prints each entry once, in order, the ones the polls missed from the result', async () => {
    const result = { timeline } as EscalationResult;
    const { out, text } = capture();
    const handle = scriptedHandle<EscalationStatus, EscalationResult>(
      [new Error('deadline'), new Error('deadline'), status(1), status(2), status(2)],
      result,
    );
    expect(await waitWithTimeline(handle, options(out))).toBe(result);
    expect(text()).toBe(
      [
        'waiting for a worker to pick up the escalation...',
        '1970-01-01T00:00:00Z round 1 step 1 step-started',
        '1970-01-01T00:00:01Z round 1 step 1 rang +6591230001',
        '1970-01-01T00:00:02Z round 1 step 1 acknowledged +6591230001',
        '1970-01-01T00:00:03Z round 1 step 1 bridged',
        '',
      ].join('\n'),
    );
  });

  it('stops polling a workflow that is not there and lets the result say so', async () => {
    const missing = new WorkflowNotFoundError('not found', 'escalation:x', undefined);
    const handle = {
      query: () => Promise.reject(missing),
      result: () => Promise.reject(missing),
    } as unknown as WorkflowHandle;
    await expect(waitWithTimeline(handle, options(capture().out))).rejects.toBe(missing);
  });
});
