/**
 * Workflow spans (`RunWorkflow`, `HandleSignal`, `StartActivity`, `SignalWorkflow`...) from the SDK's own
 * OpenTelemetry interceptors, switched on per run by a patch marker.
 *
 * Why the gate: those interceptors decide whether to await before a handler or a command from SDK flags and the SDK
 * version a history carries. Replaying our recorded histories (SDK 1.24, recorded without them), they do await, which
 * moves commands behind others issued in the same activation: every recording fails test/workflows/replay.test.ts
 * with them alone, so every workflow running when tracing came in would wedge. `patched()` is false while a history
 * without the marker replays, so its recorded part keeps its commands. Live, the worker decides
 * (src/observability/workflow/tracing-patch.ts): one that exports traces records the marker and the run is traced
 * from then on, its replays seeing the marker and the flags alike; one without an endpoint records nothing. Queries
 * and update validators may issue no command, so they are left untraced rather than asking `patched()`.
 *
 * The SDK's interceptors are loaded and built the first time a run is traced, not when it starts: an untraced run
 * never evaluates OpenTelemetry's modules nor enables their AsyncLocalStorage, which on Node.js 20 every promise of
 * the worker thread would carry. The spans reach the worker through the `exporter` sink, never during replay.
 */
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  patched,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { TRACING_PATCH } from './tracing-patch';

interface Traced {
  inbound: WorkflowInboundCallsInterceptor;
  outbound: WorkflowOutboundCallsInterceptor;
  internals: WorkflowInternalsInterceptor;
}

type Intercept = (input: unknown, next: (input: unknown) => unknown) => unknown;

/** The methods `names` of `side`, each calling the traced interceptor's once the run carries the patch, else `next`. */
function gated<T extends object>(traced: () => Traced, side: 'inbound' | 'outbound', names: (keyof T & string)[]) {
  return Object.fromEntries(
    names.map((name) => {
      const intercept: Intercept = (input, next) => {
        if (!patched(TRACING_PATCH)) return next(input);
        const interceptor = traced()[side] as Record<string, Intercept>;
        return interceptor[name]!.call(interceptor, input, next);
      };
      return [name, intercept];
    }),
  ) as Partial<T>;
}

export const interceptors = (): WorkflowInterceptors => {
  // Per run: this factory is called once for each workflow.
  let traced: Traced | undefined;
  const tracedInterceptors = (): Traced => {
    if (!traced) {
      // A plain require, resolved by the bundler, evaluated here: an `import` would evaluate it for every run, and
      // `import()` would add an await before the first traced command.
      // eslint-disable-next-line no-restricted-globals, @typescript-eslint/no-require-imports
      const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;
      traced = {
        inbound: new otel.OpenTelemetryInboundInterceptor(),
        outbound: new otel.OpenTelemetryOutboundInterceptor(),
        internals: new otel.OpenTelemetryInternalsInterceptor(),
      };
    }
    return traced;
  };
  return {
    inbound: [
      gated<WorkflowInboundCallsInterceptor>(tracedInterceptors, 'inbound', [
        'execute',
        'handleSignal',
        'handleUpdate',
      ]),
    ],
    outbound: [
      gated<WorkflowOutboundCallsInterceptor>(tracedInterceptors, 'outbound', [
        'scheduleActivity',
        'scheduleLocalActivity',
        'startChildWorkflowExecution',
        'signalWorkflow',
        'continueAsNew',
      ]),
    ],
    // Its only work is to disable the trace context's AsyncLocalStorage when the run leaves the cache.
    internals: [
      { dispose: (input, next) => (traced?.internals.dispose ? traced.internals.dispose(input, next) : next(input)) },
    ],
  };
};
