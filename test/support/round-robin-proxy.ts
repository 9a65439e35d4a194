/**
 * A load balancer in front of several receivers, as production puts one public URL before them: each request goes to
 * the next upstream in turn, and one that refuses the connection (a receiver that is down) is skipped for the next,
 * as a balancer's health-based failover does. A request an upstream accepted and then dropped is not sent again (a
 * balancer does not repeat a POST it has forwarded): it answers 502, and Hoiio does not resend.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  /** e.g. http://127.0.0.1:40123: what BRIDGEKEEPER_PUBLIC_URL names. */
  url: string;
  /** Requests each upstream answered, by its index in `upstreams`. */
  answered: number[];
  /**
   * Runs `action` once, while the next request to upstream `index` is in flight (its headers sent, its body not yet):
   * a receiver killed then loses that request, as one killed mid-request does. Resolves when the action has run.
   */
  onceInFlight(index: number, action: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

interface Forwarded {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function forward(
  port: number,
  request: http.IncomingMessage,
  body: Buffer,
  inFlight: (() => Promise<void>) | undefined,
): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      // A fresh connection each time (no keep-alive pool), so `inFlight` runs once it is connected.
      { host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers, agent: false },
      (reply) => {
        const chunks: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => chunks.push(chunk));
        reply.on('end', () =>
          resolve({ status: reply.statusCode ?? 502, headers: reply.headers, body: Buffer.concat(chunks) }),
        );
        reply.on('error', reject);
      },
    );
    upstream.on('error', reject);
    if (!inFlight) {
      upstream.end(body);
      return;
    }
    upstream.flushHeaders();
    upstream.once('socket', (socket) =>
      socket.once('connect', () => void inFlight().finally(() => upstream.destroyed || upstream.end(body))),
    );
  });
}

export async function startRoundRobinProxy(upstreamPorts: readonly number[]): Promise<RoundRobinProxy> {
  const answered = upstreamPorts.map(() => 0);
  let next = 0;
  let interception: { index: number; run: () => Promise<void> } | undefined;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const first = next;
        next = (next + 1) % upstreamPorts.length;
        for (let i = 0; i < upstreamPorts.length; i += 1) {
          const index = (first + i) % upstreamPorts.length;
          const intercepted = interception?.index === index ? interception : undefined;
          if (intercepted) interception = undefined;
          try {
            const reply = await forward(upstreamPorts[index]!, request, body, intercepted?.run);
            answered[index] = answered[index]! + 1;
            response.writeHead(reply.status, reply.headers).end(reply.body);
            return;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') continue;
            break;
          }
        }
        response.writeHead(502).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    onceInFlight: (index, action) =>
      new Promise<void>((resolve, reject) => {
        interception = { index, run: () => action().then(resolve, reject) };
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
