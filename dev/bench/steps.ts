/**
 * Where a freed line's idle time goes: the cost of each step on the refill path, read from the workflow histories'
 * event times and the simulator's ledger. Each step is measured on its own (a distribution per step, not one chain),
 * so the p50s add up to roughly the refill p50 and the biggest one is what to work on.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { SimCall } from './ledger';
import { percentile } from './ledger';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Real milliseconds per step, by step name. */
export type StepSamples = Map<string, number[]>;

/** The refill path in order; a step missing from a run (no sample) is left out of the report. */
export const REFILL_PATH = [
  'leg end (ledger) → callEnded signal in session history',
  'session: callEnded signal → workflow task started',
  'session: workflow task, started → completed',
  'session → budget: releasePermits sent → delivered',
  'budget: releasePermits signal → workflow task started',
  'budget: workflow task, started → completed',
  'budget → session: permitsGranted sent → delivered',
  'session: permitsGranted signal → workflow task started',
  'session: placeConferenceCall scheduled → started',
  'session: placeConferenceCall started → completed (HTTP inside)',
  'placeConferenceCall started → leg dialed (ledger)',
];

function add(samples: StepSamples, step: string, ms: number): void {
  // A step whose first event is outside the events read (the budget's, from before the scenario) has no duration.
  if (Number.isNaN(ms)) return;
  const list = samples.get(step);
  if (list) list.push(ms);
  else samples.set(step, [ms]);
}

const id = (value: unknown): number => Number(value);

/** Adds one workflow's history (all of its events, in order) to `samples`; `role` names it in the step names. */
export function addHistorySteps(
  samples: StepSamples,
  role: 'session' | 'budget',
  events: readonly HistoryEvent[],
  ledger: ReadonlyMap<string, SimCall>,
): void {
  const byId = new Map(events.map((event) => [id(event.eventId), event]));
  const at = (event: HistoryEvent | undefined): number => (event?.eventTime ? tsToMs(event.eventTime) : NaN);
  events.forEach((event, index) => {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (signaled) {
      const name = signaled.signalName ?? '?';
      const taskStarted = events.slice(index + 1).find((later) => later.workflowTaskStartedEventAttributes);
      if (taskStarted) add(samples, `${role}: ${name} signal → workflow task started`, at(taskStarted) - at(event));
      const payload = signaled.input?.payloads?.[0];
      if (name === 'callEnded' && payload) {
        const { txnRef } = defaultPayloadConverter.fromPayload<{ txnRef: string }>(payload);
        const ended = ledger.get(txnRef)?.ended_at;
        if (ended)
          add(samples, 'leg end (ledger) → callEnded signal in session history', at(event) - Date.parse(ended));
      }
    }
    const completed = event.workflowTaskCompletedEventAttributes;
    if (completed) {
      add(
        samples,
        `${role}: workflow task, started → completed`,
        at(event) - at(byId.get(id(completed.startedEventId))),
      );
    }
    const delivered = event.externalWorkflowExecutionSignaledEventAttributes;
    if (delivered) {
      const initiated = byId.get(id(delivered.initiatedEventId));
      const name = initiated?.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ?? '?';
      const to = role === 'session' ? 'budget' : 'session';
      add(samples, `${role} → ${to}: ${name} sent → delivered`, at(event) - at(initiated));
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const scheduled = byId.get(id(started.scheduledEventId));
      const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      add(samples, `${role}: ${type} scheduled → started`, at(event) - at(scheduled));
    }
    const done = event.activityTaskCompletedEventAttributes;
    if (done) {
      const startedEvent = byId.get(id(done.startedEventId));
      const scheduled = byId.get(id(startedEvent?.activityTaskStartedEventAttributes?.scheduledEventId));
      const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
      add(
        samples,
        `${role}: ${type} started → completed${type === 'placeConferenceCall' ? ' (HTTP inside)' : ''}`,
        at(event) - at(startedEvent),
      );
      const result = done.result?.payloads?.[0];
      if (type === 'placeConferenceCall' && result) {
        const placed = defaultPayloadConverter.fromPayload<{ legs?: Array<{ txnRef: string }> }>(result);
        const first = placed.legs?.[0]?.txnRef;
        const dialed = first === undefined ? undefined : ledger.get(first)?.dialed_at;
        if (dialed)
          add(samples, 'placeConferenceCall started → leg dialed (ledger)', Date.parse(dialed) - at(startedEvent));
      }
    }
  });
}

export interface StepRow {
  step: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** The refill path's steps first, in order, then every other step seen. */
export function stepRows(samples: StepSamples): StepRow[] {
  const order = [...REFILL_PATH, ...[...samples.keys()].filter((step) => !REFILL_PATH.includes(step)).sort()];
  return order
    .filter((step) => samples.has(step))
    .map((step) => {
      const values = samples.get(step) ?? [];
      return { step, count: values.length, p50Ms: percentile(values, 50), p99Ms: percentile(values, 99) };
    });
}
