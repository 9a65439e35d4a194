/**
 * The patch marker that says a run is traced (src/observability/workflow/tracing-interceptor.ts), and which worker
 * records it. Pure: read by the workflow interceptor and by the worker that decides.
 */
export const TRACING_PATCH = 'otel-workflow-tracing';

/**
 * The `patchActivationCallback` of a worker that exports no traces: whether a run takes up a patch it reaches live for
 * the first time. Every other patch, always (as without a callback); the tracing patch, never, so a new run records no
 * marker and never loads the trace interceptors, whose modules, tracer provider and AsyncLocalStorage would cost it
 * about 240 KiB and 6 ms at every start and replay (docs/benchmarks.md) for spans nobody receives. The SDK asks only
 * while the marker is absent, so a run that carries it is traced on any worker and replays alike; a run without it
 * takes it up, from its next new workflow task, on the first worker with an endpoint that runs one. A worker that
 * exports traces takes no callback: each call is a synchronous wait of the workflow thread on the main thread.
 */
export function withoutTracingPatch({ patchId }: { patchId: string }): boolean {
  return patchId !== TRACING_PATCH;
}
