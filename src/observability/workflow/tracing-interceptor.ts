/**
 * Workflow spans (`RunWorkflow`, `HandleSignal`, `StartActivity`, `SignalWorkflow`...) from the SDK's own
 * OpenTelemetry interceptors, switched on per run by a patch marker.
 *
 * Why the gate: those interceptors decide whether to await before a handler or a command from SDK flags and the SDK
 * version a history carries. Replaying our recorded histories (SDK 1.24, recorded without them), they do await, which
 * moves commands behind others issued in the same activation: every recording fails test/workflows/replay.test.ts
 * with them alone, so every workflow running when tracing came in would wedge. `patched()` is false while an old
 * history replays, so its recorded part keeps its commands; from the run's first new workflow task (or its start, for
 * a run started with this code) the marker is recorded and the run is traced, and its replays see the marker and the
 * flags alike. Queries and update validators may issue no command, so they are left untraced rather than asking
 * `patched()`.
 *
 * The spans reach the worker through the `exporter` sink, never during replay; the worker drops them when no OTLP
 * endpoint is configured (src/observability/tracing.ts), so the commands are the same with tracing on or off.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  patched,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

export const TRACING_PATCH = 'otel-workflow-tracing';

type Intercept = (input: unknown, next: (input: unknown) => unknown) => unknown;

/** `traced`'s methods `names`, each calling it once the run carries the patch, and plain `next` before. */
function gated<T extends object>(traced: T, names: (keyof T & string)[]): Partial<T> {
  return Object.fromEntries(
    names.map((name) => {
      const method = (traced[name] as Intercept).bind(traced);
      const intercept: Intercept = (input, next) => (patched(TRACING_PATCH) ? method(input, next) : next(input));
      return [name, intercept];
    }),
  ) as Partial<T>;
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [
    gated<WorkflowInboundCallsInterceptor>(new OpenTelemetryInboundInterceptor(), [
      'execute',
      'handleSignal',
      'handleUpdate',
    ]),
  ],
  outbound: [
    gated<WorkflowOutboundCallsInterceptor>(new OpenTelemetryOutboundInterceptor(), [
      'scheduleActivity',
      'scheduleLocalActivity',
      'startChildWorkflowExecution',
      'signalWorkflow',
      'continueAsNew',
    ]),
  ],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
