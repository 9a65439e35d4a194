import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { Worker } from '@temporalio/worker';
import { conferenceSession } from '../../src/workflows';
import { TRACING_PATCH } from '../../src/observability/workflow/tracing-patch';
import { patchMarkers } from '../support/patch-markers';
import { productionReplayOptions } from '../support/replay-options';
import { freePort, startProcess, stopProcesses, type RunningProcess } from '../support/processes';
import { startTemporalTestEnv, uniqueId } from '../support/temporal-test-env';
import { waitFor } from '../support/wait-for';

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT on the worker and the receiver run from their entry points, pointing at a tiny OTLP/HTTP
 * (JSON) receiver in this test: the receiver's span for a notification is the parent of the signal its client sends
 * (whose headers carry the trace to Temporal), the worker's workflow span for that signal is its child, and the
 * workflow's dial activity is traced from its scheduling to its run. The traced run's history must replay, with the
 * tracing interceptors and without an endpoint (src/observability/workflow/tracing-interceptor.ts).
 */
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: Omit<Span, 'service'>[] }[];
  }[];
}

describe('traces', () => {
  let env: TestWorkflowEnvironment | undefined;
  let simulator: RunningSimulator | undefined;
  let collector: Server | undefined;
  const processes: RunningProcess[] = [];
  const spans: Span[] = [];

  afterAll(async () => {
    await stopProcesses(processes, simulator, env);
    await new Promise((resolve) => collector?.close(resolve));
  });

  it('traces a notification through its signal into the workflow, and the workflow’s dial', async () => {
    collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const exported = JSON.parse(body) as OtlpExport;
        for (const resource of exported.resourceSpans) {
          const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const scope of resource.scopeSpans) for (const span of scope.spans) spans.push({ ...span, service });
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve));
    const otlp = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

    env = await startTemporalTestEnv();
    simulator = await startSimulator({ port: 0, timeScale: 600 });
    const receiverPort = await freePort();
    const taskQueue = uniqueId('traces');
    const processEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOIIO_BASE_URL: simulator.baseUrl,
      HOIIO_APP_ID: DEMO_ACCOUNT.appId,
      HOIIO_ACCESS_TOKEN: DEMO_ACCOUNT.accessToken,
      RECEIVER_PORT: String(receiverPort),
      BRIDGEKEEPER_PUBLIC_URL: `http://127.0.0.1:${receiverPort}`,
      BRIDGEKEEPER_METRICS_PORT: String(await freePort()),
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const worker = startProcess('node', ['--import', 'tsx', 'src/worker.ts'], processEnv);
    const receiver = startProcess('node', ['--import', 'tsx', 'src/receiver.ts'], processEnv);
    processes.push(worker, receiver);
    await worker.waitFor('Worker polling task queue');
    await receiver.waitFor('bridgekeeper receiver listening');

    const workflowId = uniqueId('traced-session');
    const summary = await env.client.workflow.execute(conferenceSession, {
      taskQueue,
      workflowId,
      args: [{ participants: ['+6591000301'] }],
    });
    expect(summary.legs.endedBy.notification).toBe(1);

    const found = await waitFor(
      // Names and ids only: a failure's message stays readable.
      () =>
        Promise.resolve(
          spans.map(({ name, traceId, spanId, parentSpanId, service }) => ({
            name,
            traceId,
            spanId,
            parentSpanId,
            service,
          })),
        ),
      (all) => {
        const notification = all.find((s) => s.name === 'notification conference');
        const signal = all.find((s) => s.parentSpanId === notification?.spanId);
        return (
          signal !== undefined &&
          all.some((s) => s.parentSpanId === signal.spanId) &&
          all.some((s) => s.name === 'RunActivity:placeConferenceCall') &&
          all.some((s) => s.name === 'RunWorkflow:conferenceSession')
        );
      },
      'the receiver’s notification and signal spans, the workflow’s span for the signal and the dial’s spans',
    );
    const notification = found.find((s) => s.name === 'notification conference')!;
    const signal = found.find((s) => s.parentSpanId === notification.spanId)!;
    expect([notification, signal].map(({ name, service, traceId }) => ({ name, service, traceId }))).toEqual([
      { name: 'notification conference', service: 'bridgekeeper-receiver', traceId: notification.traceId },
      { name: 'SignalWorkflow:callEnded', service: 'bridgekeeper-receiver', traceId: notification.traceId },
    ]);
    // Into the workflow: its handler's span is the signal's child, in the same trace, exported by the worker.
    const handled = found.find((s) => s.parentSpanId === signal.spanId)!;
    expect({ name: handled.name, service: handled.service, traceId: handled.traceId }).toEqual({
      name: 'HandleSignal:callEnded',
      service: 'bridgekeeper-worker',
      traceId: notification.traceId,
    });
    // The dial: scheduled inside the run's span, run by the activity worker as its child.
    const run = found.find((s) => s.name === 'RunWorkflow:conferenceSession')!;
    const scheduled = found.find((s) => s.name === 'StartActivity:placeConferenceCall' && s.traceId === run.traceId);
    const dial = found.find((s) => s.name === 'RunActivity:placeConferenceCall')!;
    expect(scheduled?.parentSpanId).toBe(run.spanId);
    expect({ parent: dial.parentSpanId, traceId: dial.traceId, service: dial.service }).toEqual({
      parent: scheduled?.spanId,
      traceId: run.traceId,
      service: 'bridgekeeper-worker',
    });

    // A worker with an endpoint takes the run's tracing up at its start (src/observability/workflow/tracing-patch.ts).
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    expect(patchMarkers(history)).toContain(TRACING_PATCH);
    await Worker.runReplayHistory(productionReplayOptions(), history, workflowId);
  }, 180_000);
});
