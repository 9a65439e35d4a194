import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { scrape } from './metrics';

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** The SDK's own Prometheus endpoint (Runtime telemetry), served here too so one scrape gets both. */
  sdkMetricsUrl?: string;
}

export interface RunningMetricsServer {
  url: string;
  close(): Promise<void>;
}

/** How long a scrape waits for the SDK's endpoint before answering with bridgekeeper's metrics alone. */
const SDK_SCRAPE_TIMEOUT_MS = 2_000;

/**
 * The worker's `GET /metrics`: bridgekeeper's registry and the SDK's metrics (`temporal_*`) in one text exposition.
 * The two never share a metric name, so they concatenate. Anything else is 404.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    void Promise.all([scrape(), sdkMetrics(options.sdkMetricsUrl)]).then(
      ([ours, sdk]) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${ours}\n${sdk}`),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function sdkMetrics(url: string | undefined): Promise<string> {
  if (url === undefined) return '';
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
    return response.ok ? await response.text() : '';
  } catch {
    return '';
  }
}
