import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

/**
 * OpenTelemetry traces, exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set and off
 * otherwise (the API's no-op tracer: nothing is recorded). The exporter reads the standard OTEL_* variables itself
 * (headers, timeout); OTEL_SERVICE_NAME names the service.
 */
export interface Tracing {
  /** The workflow's spans (exported from the sandbox through a sink) join the process's own batches. */
  readonly processor: BatchSpanProcessor;
  readonly resource: Resource;
  shutdown(): Promise<void>;
}

export function startTracing(defaultServiceName: string, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || defaultServiceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // Global, with W3C trace context; the receiver's span must stay current across the awaits up to the signal.
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  return { processor, resource, shutdown: () => provider.shutdown() };
}

/** The Temporal client's interceptors: its calls (a signal, a start) carry the current span to the workflow. */
export function tracingClientInterceptors(tracing: Tracing | undefined) {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {};
}

/**
 * The worker's end of the workflow spans' sink (src/observability/workflow/tracing-interceptor.ts). Every worker
 * bundles the interceptor, and a run that took tracing up is traced wherever it runs next, since its commands depend
 * on it; without an endpoint its spans are dropped here. Sinks are not called during replay, so a replayed span is not
 * sent twice.
 */
export function tracingWorkflowSinks(tracing: Tracing | undefined): InjectedSinks<OpenTelemetrySinks> {
  if (tracing) return { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) };
  return { exporter: { export: { fn: () => undefined } } };
}

/** What a worker adds for its activities' spans, joined to the workflow's trace by the activity's headers. */
export function tracingActivityInterceptors(tracing: Tracing | undefined): ActivityInterceptorsFactory[] {
  if (!tracing) return [];
  return [
    (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
  ];
}
