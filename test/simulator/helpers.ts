import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { request } from 'undici';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../dev/simulator';
import type { SimCall } from '../../dev/simulator';

export const DEMO = { app_id: 'demo-app', access_token: 'demo-token' } as const;

/** A simulator on a free port, silent; calls last an hour unless a test scripts them shorter. */
export function start(options: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  return startSimulator({ host: '127.0.0.1', port: 0, ...options });
}

export interface ApiReply {
  http: number;
  body: Record<string, unknown> & { status?: string };
  text: string;
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Send demo-app's credentials first (default true). */
  auth?: boolean;
}

/** One Hoiio API request over real HTTP: GET puts the params in the query, POST in a form body. */
export async function api(
  sim: RunningSimulator,
  endpoint: string,
  params: Record<string, string> = {},
  { method = 'POST', auth = true }: CallOptions = {},
): Promise<ApiReply> {
  const form = new URLSearchParams({ ...(auth ? DEMO : {}), ...params }).toString();
  const url = method === 'GET' ? `${sim.baseUrl}${endpoint}?${form}` : `${sim.baseUrl}${endpoint}`;
  return send(url, method, method === 'GET' ? undefined : form);
}

/** A raw body (to send bytes no encoder would produce). */
export async function apiRaw(sim: RunningSimulator, endpoint: string, body: string | Buffer): Promise<ApiReply> {
  return send(`${sim.baseUrl}${endpoint}`, 'POST', body);
}

async function send(url: string, method: string, body: string | Buffer | undefined): Promise<ApiReply> {
  const response = await request(url, {
    method: method as 'POST',
    body,
    headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const text = await response.body.text();
  let parsed: ApiReply['body'] = {};
  try {
    parsed = JSON.parse(text) as ApiReply['body'];
  } catch {
    // Injected transport faults answer HTML on purpose.
  }
  return { http: response.statusCode, body: parsed, text };
}

export async function simGet<T = Record<string, unknown>>(sim: RunningSimulator, path: string): Promise<T> {
  const response = await request(`${sim.origin}${path}`);
  return (await response.body.json()) as T;
}

export async function simPost(
  sim: RunningSimulator,
  path: string,
  json: unknown,
): Promise<{ http: number; body: Record<string, unknown> }> {
  const response = await request(`${sim.origin}${path}`, {
    method: 'POST',
    body: JSON.stringify(json),
    headers: { 'content-type': 'application/json' },
  });
  return { http: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
}

export type { SimCall };

export async function calls(sim: RunningSimulator): Promise<SimCall[]> {
  return (await simGet<{ calls: SimCall[] }>(sim, '/_sim/calls')).calls;
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real local HTTP server that records every POST it receives and answers `status` (200 by default). */
export class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        res.writeHead(this.status).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** n distinct Singapore numbers: +6590000001, +6590000002, ... */
export function numbers(n: number, base = 90_000_000): string[] {
  return Array.from({ length: n }, (_, index) => `+65${base + index + 1}`);
}

/** Keeps the listed numbers on the line for an hour of simulated time. */
export function longCalls(
  dests: string[],
): Record<string, { outcome: 'answered'; ringSeconds: number; talkSeconds: number }> {
  return Object.fromEntries(dests.map((dest) => [dest, { outcome: 'answered', ringSeconds: 1, talkSeconds: 3_600 }]));
}

/** `expect.stringMatching` typed as unknown, so strict lint does not see an `any` flowing into objects. */
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern) as unknown;
