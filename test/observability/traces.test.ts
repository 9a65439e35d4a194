import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { conferenceSession } from '../../src/workflows';
import { freePort, startProcess, stopProcesses, type RunningProcess } from '../support/processes';
import { startTemporalTestEnv, uniqueId } from '../support/temporal-test-env';
import { waitFor } from '../support/wait-for';

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT on the worker and the receiver run from their entry points, pointing at a tiny OTLP/HTTP
 * (JSON) receiver in this test: the receiver's span for a notification is the parent of the signal its client sends
 * (whose headers carry the trace to Temporal), and the worker exports its activities' spans. The workflow's own spans
 * are not there: the SDK's OpenTelemetry workflow interceptors break the replay of recorded histories
 * (docs/observability.md, "Traces").
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

  it('traces a notification into its signal, and the worker’s activities', async () => {
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

    const summary = await env.client.workflow.execute(conferenceSession, {
      taskQueue,
      workflowId: uniqueId('traced-session'),
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
        return (
          notification !== undefined &&
          all.some((s) => s.parentSpanId === notification.spanId) &&
          all.some((s) => s.name === 'RunActivity:placeConferenceCall')
        );
      },
      'the notification and signal spans of the receiver and the dial span of the worker',
    );
    const notification = found.find((s) => s.name === 'notification conference')!;
    const signal = found.find((s) => s.parentSpanId === notification.spanId)!;
    expect([notification, signal].map(({ name, service, traceId }) => ({ name, service, traceId }))).toEqual([
      { name: 'notification conference', service: 'bridgekeeper-receiver', traceId: notification.traceId },
      { name: 'SignalWorkflow:callEnded', service: 'bridgekeeper-receiver', traceId: notification.traceId },
    ]);
    expect(found.find((s) => s.name === 'RunActivity:placeConferenceCall')?.service).toBe('bridgekeeper-worker');
  }, 180_000);
});
