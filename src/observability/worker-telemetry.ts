import { createServer } from 'node:net';
import { DefaultLogger, type Logger, Runtime } from '@temporalio/worker';
import { startMetricsServer, type RunningMetricsServer } from './metrics-server';

export const DEFAULT_METRICS_PORT = 9464;

export interface MetricsConfig {
  /** Undefined: no metrics endpoint (BRIDGEKEEPER_METRICS_PORT=off). */
  port: number | undefined;
  host: string;
}

/**
 * BRIDGEKEEPER_METRICS_PORT (default 9464, `off` for none) and BRIDGEKEEPER_METRICS_HOST (default 127.0.0.1; a
 * container sets 0.0.0.0): where the worker serves `/metrics`.
 */
export function metricsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MetricsConfig {
  const host = env.BRIDGEKEEPER_METRICS_HOST || '127.0.0.1';
  const text = env.BRIDGEKEEPER_METRICS_PORT || String(DEFAULT_METRICS_PORT);
  if (text === 'off') return { port: undefined, host };
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new Error(
      `BRIDGEKEEPER_METRICS_PORT must be a port number from 1 to 65535, or off; got ${JSON.stringify(text)}`,
    );
  }
  return { port, host };
}

export interface WorkerTelemetryOptions {
  metrics: MetricsConfig;
  logger?: Logger;
  /** Passed to Runtime.install; `npm start` orders its own shutdown and passes []. */
  shutdownSignals?: NodeJS.Signals[];
}

/**
 * Installs the SDK's Runtime (once per process) with its Prometheus exporter on a private loopback port, and serves
 * bridgekeeper's metrics with the SDK's on the public `/metrics`. Returns the server, or undefined when metrics are off.
 */
export async function startWorkerTelemetry(options: WorkerTelemetryOptions): Promise<RunningMetricsServer | undefined> {
  const logger = options.logger ?? new DefaultLogger('INFO');
  const signals = options.shutdownSignals === undefined ? {} : { shutdownSignals: options.shutdownSignals };
  if (options.metrics.port === undefined) {
    Runtime.install({ logger, ...signals });
    return undefined;
  }
  const sdkPort = await installWithSdkMetrics(logger, signals);
  try {
    return await startMetricsServer({
      host: options.metrics.host,
      port: options.metrics.port,
      sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics`,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${options.metrics.port} on ${options.metrics.host} is already in use: stop what holds it or set BRIDGEKEEPER_METRICS_PORT`,
      );
    }
    throw error;
  }
}

const SDK_PORT_ATTEMPTS = 5;

/**
 * The SDK's exporter needs a fixed address, and cannot tell which port it got from port 0: it takes a port the OS
 * handed out a moment before. Another process may take that port in between (the install then fails with the OS's
 * "Address already in use"); the install is retried on a fresh port, since a failed one installs nothing.
 */
export async function installWithSdkMetrics(
  logger: Logger,
  signals: { shutdownSignals?: NodeJS.Signals[] },
  pickPort: () => Promise<number> = freeLoopbackPort,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickPort();
    try {
      Runtime.install({
        logger,
        ...signals,
        telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } },
      });
      return port;
    } catch (error) {
      if (attempt >= SDK_PORT_ATTEMPTS || !/address already in use/i.test((error as Error).message)) throw error;
    }
  }
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
