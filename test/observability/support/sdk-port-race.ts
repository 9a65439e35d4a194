/**
 * A child process for sdk-metrics-port.test.ts (the SDK's Runtime is installed once per process): the first port
 * offered to the SDK's exporter is taken by someone else in the moment after it was found free, as another process
 * may do; prints the port the exporter got.
 */
import { createServer } from 'node:net';
import { DefaultLogger } from '@temporalio/worker';
import { freeLoopbackPort, installWithSdkMetrics } from '../../../src/observability/worker-telemetry';

async function main(): Promise<void> {
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as { port: number }).port;
  const offered = [taken];
  const port = await installWithSdkMetrics(new DefaultLogger('WARN'), {}, async () =>
    offered.length > 0 ? offered.shift()! : freeLoopbackPort(),
  );
  const reply = await fetch(`http://127.0.0.1:${port}/metrics`);
  console.log(JSON.stringify({ taken, port, status: reply.status }));
  process.exit(0);
}

void main().catch((error: unknown) => {
  console.log(JSON.stringify({ error: (error as Error).message }));
  process.exit(1);
});
