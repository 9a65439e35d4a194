import { request } from 'undici';
import { createHoiioClient, type HoiioClient, type HoiioClientOptions } from '../../src/hoiio';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../dev/simulator';
import type { SimCall, SimStats } from '../../dev/simulator';
import { simGet, simPost } from '../../dev/simulator/inspection-client';
export { eventually } from '../support/wait-for';

/**
 * Drives the real simulator over HTTP: its /_sim/ inspection routes, and raw Hoiio requests for the statuses the
 * client refuses to provoke (it validates those parameters locally). Raw requests use undici directly, not our client.
 */

export const DEMO = { appId: 'demo-app', accessToken: 'demo-token' } as const;
/** The demo account as Hoiio form params, for raw requests. */
export const DEMO_AUTH = { app_id: DEMO.appId, access_token: DEMO.accessToken } as const;

export type { SimCall, SimStats };

export class SimHarness {
  private readonly clients: HoiioClient[] = [];

  private constructor(readonly sim: RunningSimulator) {}

  static async start(options: Partial<SimulatorOptions> = {}): Promise<SimHarness> {
    return new SimHarness(await startSimulator({ port: 0, ...options }));
  }

  /** A client on this simulator (demo account unless told otherwise), closed with the harness. */
  client(options: Partial<HoiioClientOptions> = {}): HoiioClient {
    const client = createHoiioClient({ baseUrl: this.sim.baseUrl, ...DEMO, ...options });
    this.clients.push(client);
    return client;
  }

  config(patch: Record<string, unknown>): Promise<void> {
    return simPost(this.sim.origin, '/_sim/config', patch);
  }

  reset(): Promise<void> {
    return simPost(this.sim.origin, '/_sim/reset', {});
  }

  async calls(): Promise<SimCall[]> {
    return (await simGet<{ calls: SimCall[] }>(this.sim.origin, '/_sim/calls')).calls;
  }

  stats(): Promise<SimStats> {
    return simGet<SimStats>(this.sim.origin, '/_sim/stats');
  }

  /** A Hoiio request sent by hand, for what our client will not send. Returns the HTTP status and the raw body. */
  async raw(
    endpoint: string,
    body: string | Buffer,
    method: 'POST' | 'PUT' | 'DELETE' | 'GET' = 'POST',
  ): Promise<{ statusCode: number; body: string }> {
    const response = await request(`${this.sim.baseUrl}${endpoint}`, {
      method,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: method === 'GET' ? undefined : body,
    });
    return { statusCode: response.statusCode, body: await response.body.text() };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
    await this.sim.close();
  }
}

/**
 * One simulator for the whole test file, reset and given `config` before each test. Returns the harness as a getter:
 * it exists once the file's `beforeAll` has run.
 */
export function useSimHarness(
  config: Record<string, unknown>,
  options: Partial<SimulatorOptions> = {},
): () => SimHarness {
  let harness: SimHarness | undefined;
  const started = (): SimHarness => {
    if (!harness) throw new Error('useSimHarness: the simulator has not started (beforeAll failed?)');
    return harness;
  };
  beforeAll(async () => {
    harness = await SimHarness.start(options);
  });
  afterAll(() => harness?.close());
  beforeEach(async () => {
    await started().reset();
    await started().config(config);
  });
  return started;
}

/** The rejection of `promise`, or a failure if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** Eight distinct Singapore numbers starting at +6580000000 + offset. */
export function numbers(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, index) => `+658${String(offset + index).padStart(7, '0')}`);
}
