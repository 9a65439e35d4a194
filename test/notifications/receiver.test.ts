import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { formatHoiioDate } from '../../src/domain/hoiio-time';
import { createHoiioClient } from '../../src/hoiio/client';
import { HoiioSecret } from '../../src/hoiio/secret';
import { signNotification } from '../../src/hoiio/signature';
import {
  buildNotifyUrl,
  formatLogEvent,
  HEALTH_PATH,
  IVR_NOTIFY_PATH,
  NOTIFY_PATH,
  notifySecret,
  type ReceiverLogEvent,
  type RunningReceiver,
  startReceiver,
} from '../../src/notifications';
import { startSimulator } from '../../dev/simulator';
import type { CallEnded, IvrEvent } from '../../src/workflows/messages';
import { ivrEventSchema } from '../../src/domain/ivr-event';
import type { ReceiverLimits } from '../../src/notifications/config';
import { freePort, startProcess } from '../support/processes';
import { eventually } from '../support/wait-for';
import {
  startTemporalTestEnv,
  startTestWorker,
  stopTemporalTestEnv,
  type TestWorker,
  uniqueId,
} from '../support/temporal-test-env';
import { collectedQuery, finishSignal, signalCollector } from './support/signal-collector';
import { ivrCollectedQuery, ivrEventCollector } from './support/ivr-collector';

/**
 * The receiver over real HTTP on 127.0.0.1, signalling a real collector workflow on a real Temporal dev server.
 * Access tokens are random per run, so "the log holds no token" cannot pass by luck.
 */
const TOKENS = {
  default: randomBytes(20).toString('hex'),
  sales: randomBytes(20).toString('hex'),
};
type AccountName = keyof typeof TOKENS;

let env: TestWorkflowEnvironment;
let worker: TestWorker;
let receiver: RunningReceiver;
const events: ReceiverLogEvent[] = [];
/** Every session token and signature a test sent, to prove none reached the log. */
const secretsSent = new Set<string>();

beforeAll(async () => {
  env = await startTemporalTestEnv();
  worker = await startTestWorker(env, { workflowsPath: require.resolve('./support/workflows') });
  receiver = await startLimitedReceiver({});
});

afterAll(async () => {
  await receiver?.close();
  await stopTemporalTestEnv(env, worker);
});

function accounts(): Record<AccountName, { accessToken: HoiioSecret }> {
  return {
    default: { accessToken: new HoiioSecret(TOKENS.default) },
    sales: { accessToken: new HoiioSecret(TOKENS.sales) },
  };
}

/** A receiver on a free port of 127.0.0.1 with both test accounts, logging into `events`. */
function startLimitedReceiver(limits: Partial<ReceiverLimits>): Promise<RunningReceiver> {
  return startReceiver({
    host: '127.0.0.1',
    port: 0,
    client: env.client,
    accounts: accounts(),
    limits,
    log: (event) => events.push(event),
  });
}

async function startCollector(): Promise<WorkflowHandle<typeof signalCollector>> {
  return env.client.workflow.start(signalCollector, { taskQueue: worker.taskQueue, workflowId: uniqueId('collector') });
}

function urlFor(
  workflowId: string,
  account: AccountName = 'default',
  options: { base?: string; secret?: string; tokenAccount?: AccountName } = {},
): string {
  const secret = options.secret ?? notifySecret(new HoiioSecret(TOKENS[options.tokenAccount ?? account]));
  const url = buildNotifyUrl({ publicUrl: options.base ?? receiver.url, account, workflowId, secret });
  const token = new URL(url).searchParams.get('bk_token');
  if (token) secretsSent.add(token);
  return url;
}

/** A minute ago in Hoiio's GMT+8 wall time: well inside the receiver's age window. */
const RECENT_DATE = formatHoiioDate(Date.now() - 60_000);
const HOUR_MS = 60 * 60 * 1000;

function fields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    dest: '+6591234567',
    call_status_dest: 'answered',
    txn_ref: uniqueId('AA-C'),
    tag: 'session-42',
    date: RECENT_DATE,
    duration: '3',
    currency: 'SGD',
    rate: '0.020',
    debit: '0.060',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const form = (values: Record<string, string>): string => new URLSearchParams(values).toString();

function sign(body: string, account: AccountName = 'default'): string {
  const signature = signNotification(body, TOKENS[account]);
  secretsSent.add(signature);
  return signature;
}

interface Answer {
  status: number;
  body: { status?: string; error?: string };
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-hoiio-signature': sign(body),
  },
): Promise<Answer> {
  const response = await request(url, { method: 'POST', body, headers });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as Answer['body']) : {} };
}

async function collected(handle: WorkflowHandle): Promise<CallEnded[]> {
  return handle.query(collectedQuery);
}

/** Sends a valid notification after the ones under test and waits for it: signals arrive in order. */
async function sentinelThenCollected(handle: WorkflowHandle): Promise<CallEnded[]> {
  const txnRef = uniqueId('SENTINEL');
  const body = form(fields({ txn_ref: txnRef }));
  expect((await post(urlFor(handle.workflowId), body)).status).toBe(200);
  const seen = await collected(handle);
  expect(seen.at(-1)?.txnRef).toBe(txnRef);
  return seen;
}

describe('POST /hoiio/notify', () => {
  it('signals exactly the parsed notification and answers 200 once Temporal accepted it', async () => {
    const handle = await startCollector();
    const values = fields({ txn_ref: 'AA-C-1001', rate: '0.02', debit: '0.06' });
    const answer = await post(urlFor(handle.workflowId), form(values));
    expect(answer).toEqual({ status: 200, body: { status: 'accepted' } });

    expect(await collected(handle)).toEqual<CallEnded[]>([
      {
        txnRef: 'AA-C-1001',
        dest: '+6591234567',
        callStatus: 'answered',
        durationMinutes: 3,
        currency: 'SGD',
        rate: '0.020',
        debit: '0.060',
        date: RECENT_DATE,
        tag: 'session-42',
      },
    ]);
    expect(events.at(-1)).toMatchObject({
      outcome: 'accepted',
      status: 200,
      workflowId: handle.workflowId,
      account: 'default',
      txnRef: 'AA-C-1001',
    });
  });

  it('routes by account: a second account verifies with its own token; unknown fields and pass-on params are ignored', async () => {
    const handle = await startCollector();
    const body = form({ ...fields({ txn_ref: 'AA-C-2001', tag: undefined, date: undefined }), room: 'x', extra: 'y' });
    const url = new URL(urlFor(handle.workflowId, 'sales'));
    url.searchParams.set('username', 'alice');
    url.searchParams.set('tag', 'from-the-query-is-unsigned');
    const answer = await post(url.toString(), body, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-hoiio-signature': sign(body, 'sales').toUpperCase(),
    });
    expect(answer.status).toBe(200);
    const [payload] = await collected(handle);
    expect(payload).toEqual({
      txnRef: 'AA-C-2001',
      dest: '+6591234567',
      callStatus: 'answered',
      durationMinutes: 3,
      currency: 'SGD',
      rate: '0.020',
      debit: '0.060',
    });
  });

  it('reads the raw body whatever the content type, or with none', async () => {
    const handle = await startCollector();
    for (const contentType of ['text/plain', 'application/json', undefined]) {
      const body = form(fields({ txn_ref: uniqueId('CT') }));
      const headers: Record<string, string> = { 'x-hoiio-signature': sign(body) };
      if (contentType) headers['content-type'] = contentType;
      expect((await post(urlFor(handle.workflowId), body, headers)).status).toBe(200);
    }
    expect(await collected(handle)).toHaveLength(3);
  });

  it('rejects a wrong session token with 403', async () => {
    const handle = await startCollector();
    const other = await startCollector();
    const body = form(fields());
    // A token for another session, a token from another account's key, garbage, and one from a different secret.
    const stolen = new URL(urlFor(other.workflowId));
    stolen.searchParams.set('bk_session', handle.workflowId);
    const crossAccount = urlFor(handle.workflowId, 'default', { tokenAccount: 'sales' });
    const garbage = new URL(urlFor(handle.workflowId));
    garbage.searchParams.set('bk_token', 'f'.repeat(32));
    const otherSecret = urlFor(handle.workflowId, 'default', { secret: 'a-secret-this-receiver-does-not-use' });
    for (const url of [stolen.toString(), crossAccount, garbage.toString(), otherSecret]) {
      const answer = await post(url, body);
      expect(answer.status).toBe(403);
      expect(answer.body.error).toMatch(/token/);
    }
    expect(await sentinelThenCollected(handle)).toHaveLength(1);
  });

  it('rejects a missing, wrong or stale signature and a tampered body with 401', async () => {
    const handle = await startCollector();
    const url = urlFor(handle.workflowId);
    const body = form(fields({ debit: '0.060' }));
    const tampered = body.replace('debit=0.060', 'debit=0.000');
    expect(tampered).not.toBe(body);
    const cases: [string, Record<string, string>][] = [
      [body, { 'content-type': 'application/x-www-form-urlencoded' }],
      [body, { 'x-hoiio-signature': 'not-hex' }],
      [body, { 'x-hoiio-signature': sign(body, 'sales') }],
      [body, { 'x-hoiio-signature': sign(`${body}&x=1`) }],
      [tampered, { 'x-hoiio-signature': sign(body) }],
    ];
    for (const [sent, headers] of cases) {
      const answer = await post(url, sent, headers);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/signature/);
    }
    expect(await sentinelThenCollected(handle)).toHaveLength(1);
  });

  it('answers 404 for an unknown account or missing routing params', async () => {
    const handle = await startCollector();
    const body = form(fields());
    const unknown = buildNotifyUrl({
      publicUrl: receiver.url,
      account: 'nobody',
      workflowId: handle.workflowId,
      secret: notifySecret(new HoiioSecret(TOKENS.default)),
    });
    const prototypeName = new URL(unknown);
    prototypeName.searchParams.set('bk_account', 'constructor');
    const missing = new URL(urlFor(handle.workflowId));
    missing.searchParams.delete('bk_session');
    const repeated = new URL(urlFor(handle.workflowId));
    repeated.searchParams.append('bk_account', 'default');
    for (const url of [
      unknown,
      prototypeName.toString(),
      missing.toString(),
      repeated.toString(),
      `${receiver.url}${NOTIFY_PATH}`,
    ]) {
      expect((await post(url, body)).status).toBe(404);
    }
    expect(await sentinelThenCollected(handle)).toHaveLength(1);
  });

  it.each([
    ['duration', { duration: 'abc' }],
    ['duration', { duration: '2.5' }],
    ['dest', { dest: '123' }],
    ['call_status_dest', { call_status_dest: 'ongoing' }],
    ['debit', { debit: '0.0601' }],
    ['rate', { rate: '-0.020' }],
    ['currency', { currency: 'sgd' }],
    ['date', { date: '2024-02-31 10:00:00' }],
    ['txn_ref', { txn_ref: undefined, note: 'missing' }],
  ])('answers 400 naming %s for %j', async (field, overrides) => {
    const handle = await startCollector();
    const answer = await post(urlFor(handle.workflowId), form(fields(overrides)));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain(`${field}:`);
    expect(await sentinelThenCollected(handle)).toHaveLength(1);
  });

  it('names every bad field at once, a repeated field, and a field that is only in the unsigned query', async () => {
    const handle = await startCollector();
    const body = `${form(fields({ duration: 'abc', dest: '123', currency: undefined }))}&debit=0.070`;
    const url = new URL(urlFor(handle.workflowId));
    url.searchParams.set('currency', 'SGD');
    const answer = await post(url.toString(), body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain('duration: must be a whole number of minutes');
    expect(answer.body.error).toContain('dest: must be E.164');
    expect(answer.body.error).toContain('debit: appears 2 times');
    expect(answer.body.error).toContain('currency: is required in the signed body (it is only in the URL query)');
    expect(await sentinelThenCollected(handle)).toHaveLength(1);
  });

  it('answers 404 for a workflow that does not exist or has finished, with a valid token for it', async () => {
    const body = form(fields());
    const ghost = await post(urlFor(uniqueId('no-such-session')), body);
    expect(ghost.status).toBe(404);

    const handle = await startCollector();
    await handle.signal(finishSignal);
    await handle.result();
    const finished = await post(urlFor(handle.workflowId), body);
    expect(finished.status).toBe(404);
    expect(events.at(-1)).toMatchObject({ outcome: 'rejected', status: 404, workflowId: handle.workflowId });
  });

  it('answers 503 when Temporal does not accept the signal', async () => {
    const client = new Client({ connection: env.client.connection, namespace: uniqueId('no-such-namespace') });
    const broken = await startReceiver({ port: 0, client, accounts: accounts(), log: (event) => events.push(event) });
    try {
      const answer = await post(urlFor('any-session', 'default', { base: broken.url }), form(fields()));
      expect(answer.status).toBe(503);
      expect(events.at(-1)).toMatchObject({ outcome: 'failed', status: 503 });
    } finally {
      await broken.close();
    }
  });

  it('verifies session tokens with BRIDGEKEEPER_NOTIFY_SECRET when one is configured', async () => {
    const secret = randomBytes(24).toString('hex');
    secretsSent.add(secret);
    const configured = await startReceiver({
      port: 0,
      client: env.client,
      accounts: accounts(),
      notifySecret: secret,
      log: (event) => events.push(event),
    });
    try {
      const handle = await startCollector();
      const body = form(fields());
      const derived = await post(urlFor(handle.workflowId, 'default', { base: configured.url }), body);
      expect(derived.status).toBe(403);
      const good = await post(urlFor(handle.workflowId, 'default', { base: configured.url, secret }), body);
      expect(good.status).toBe(200);
      expect(await collected(handle)).toHaveLength(1);
    } finally {
      await configured.close();
    }
  });

  it('rejects a body over the limit with 413', async () => {
    const handle = await startCollector();
    const body = form(fields({ tag: 'x'.repeat(20_000) }));
    expect((await post(urlFor(handle.workflowId), body)).status).toBe(413);
    expect(await sentinelThenCollected(handle)).toHaveLength(1);
  });
});

describe('other routes', () => {
  it('GET /healthz answers 200', async () => {
    const response = await request(`${receiver.url}${HEALTH_PATH}`);
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ status: 'ok' });
  });

  it('other methods on the notify path answer 405, other paths 404', async () => {
    const get = await request(`${receiver.url}${NOTIFY_PATH}`);
    await get.body.dump();
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const put = await request(`${receiver.url}${NOTIFY_PATH}`, { method: 'PUT', body: 'x' });
    await put.body.dump();
    expect(put.statusCode).toBe(405);
    for (const [method, path] of [
      ['POST', '/notify'],
      ['GET', '/'],
      ['POST', '/hoiio/notify/extra'],
    ] as const) {
      const response = await request(`${receiver.url}${path}`, { method, body: method === 'POST' ? 'x' : undefined });
      await response.body.dump();
      expect(response.statusCode).toBe(404);
    }
  });
});

describe('with the Hoiio simulator', () => {
  it("delivers a simulated leg's real, signed notification to the workflow", async () => {
    // The simulator's built-in account signs with demo-token; a receiver that knows that account takes its POSTs.
    const demoToken = new HoiioSecret('demo-token');
    const simReceiver = await startReceiver({
      port: 0,
      client: env.client,
      accounts: { default: { accessToken: demoToken } },
      log: (event) => events.push(event),
    });
    const sim = await startSimulator({ port: 0, timeScale: 600 });
    const hoiio = createHoiioClient({ baseUrl: sim.baseUrl, appId: 'demo-app', accessToken: 'demo-token' });
    try {
      const talker = '+6591000001';
      const busy = '+6591000002';
      const config = await request(`${sim.origin}/_sim/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          scripts: {
            [talker]: { outcome: 'answered', ringSeconds: 5, talkSeconds: 150 },
            [busy]: { outcome: 'busy', ringSeconds: 5 },
          },
        }),
      });
      expect(config.statusCode).toBe(200);
      await config.body.dump();

      const handle = await startCollector();
      const notifyUrl = buildNotifyUrl({
        publicUrl: simReceiver.url,
        account: 'default',
        workflowId: handle.workflowId,
        secret: notifySecret(demoToken),
      });
      const { txnRefs } = await hoiio.conferenceCall({ dest: [talker, busy], tag: 'sim-session', notifyUrl });

      const seen = await eventually('both notifications in the workflow', async () => {
        const payloads = await collected(handle);
        return payloads.length >= 2 ? payloads : undefined;
      });
      const calls = (await (await request(`${sim.origin}/_sim/calls`)).body.json()) as {
        calls: {
          txn_ref: string;
          dest: string;
          call_status_dest: string;
          duration: string;
          rate: string;
          debit: string;
          currency: string;
        }[];
      };
      const expected = calls.calls.map((call) => ({
        txnRef: call.txn_ref,
        dest: call.dest,
        callStatus: call.call_status_dest,
        durationMinutes: Number(call.duration),
        currency: call.currency,
        rate: call.rate,
        debit: call.debit,
        tag: 'sim-session',
      }));
      const byTxn = (a: { txnRef: string }, b: { txnRef: string }) => a.txnRef.localeCompare(b.txnRef);
      expect(seen.map(({ date: _date, ...rest }) => rest).sort(byTxn)).toEqual(expected.sort(byTxn));
      expect(new Set(seen.map((payload) => payload.txnRef))).toEqual(new Set(txnRefs));
      expect(seen.find((payload) => payload.dest === talker)).toMatchObject({
        callStatus: 'answered',
        durationMinutes: 3,
      });
      expect(seen.find((payload) => payload.dest === busy)).toMatchObject({ callStatus: 'busy', durationMinutes: 0 });

      const deliveries = await eventually('the simulator to record both deliveries', async () => {
        const response = await request(`${sim.origin}/_sim/notifications`);
        const { notifications } = (await response.body.json()) as {
          notifications: { outcome: string; http_status: number | null }[];
        };
        return notifications.every((entry) => entry.outcome !== 'pending') && notifications.length === 2
          ? notifications
          : undefined;
      });
      expect(deliveries.map((entry) => [entry.outcome, entry.http_status])).toEqual([
        ['delivered', 200],
        ['delivered', 200],
      ]);
    } finally {
      await hoiio.close();
      await sim.close();
      await simReceiver.close();
    }
  });
});

describe('npm run receiver', () => {
  it('starts from the environment, takes a notification, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const secret = randomBytes(24).toString('hex');
    secretsSent.add(secret);
    const receiverProcess = startProcess('npm', ['run', '--silent', 'receiver'], {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      RECEIVER_PORT: String(port),
      BRIDGEKEEPER_NOTIFY_SECRET: secret,
      HOIIO_BASE_URL: 'http://127.0.0.1:4010/open/',
      HOIIO_ACCESS_TOKEN: TOKENS.default,
      HOIIO_ACCOUNTS: '',
    });
    try {
      await receiverProcess.waitFor(`listening on http://127.0.0.1:${port}/hoiio/notify`, 60_000);
      const health = await request(`http://127.0.0.1:${port}${HEALTH_PATH}`);
      expect(health.statusCode).toBe(200);
      await health.body.dump();

      const handle = await startCollector();
      const url = urlFor(handle.workflowId, 'default', { base: `http://127.0.0.1:${port}`, secret });
      expect((await post(url, form(fields({ txn_ref: 'AA-C-MAIN' })))).status).toBe(200);
      expect((await collected(handle)).map((payload) => payload.txnRef)).toEqual(['AA-C-MAIN']);
      await receiverProcess.waitFor('txn_ref=AA-C-MAIN');
    } finally {
      receiverProcess.child.kill('SIGTERM');
    }
    expect(await receiverProcess.exited).toEqual({ code: 0, signal: null });
    const output = receiverProcess.output();
    expect(output).toContain('notification accepted 200');
    for (const value of [TOKENS.default, secret, ...secretsSent]) expect(output).not.toContain(value);
  });
});

describe('replays', () => {
  it('acknowledges a repeat of a delivered notification with 200 but does not signal it again, and counts it', async () => {
    const handle = await startCollector();
    const url = urlFor(handle.workflowId);
    const body = form(fields({ txn_ref: uniqueId('REPLAY') }));
    expect(await post(url, body)).toEqual({ status: 200, body: { status: 'accepted' } });
    const before = receiver.counters();
    for (let copy = 0; copy < 3; copy += 1) {
      expect(await post(url, body)).toEqual({ status: 200, body: { status: 'duplicate' } });
    }
    expect(events.at(-1)).toMatchObject({ outcome: 'duplicate', status: 200, workflowId: handle.workflowId });
    expect(receiver.counters().duplicates).toBe(before.duplicates + 3);
    expect((await sentinelThenCollected(handle)).map((payload) => payload.txnRef)).toHaveLength(2);
  });

  it('signals two copies arriving at once only once', async () => {
    const handle = await startCollector();
    const url = urlFor(handle.workflowId);
    const body = form(fields({ txn_ref: uniqueId('TWIN') }));
    const answers = await Promise.all([post(url, body), post(url, body), post(url, body)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(answers.filter((answer) => answer.body.status === 'accepted')).toHaveLength(1);
    expect(await sentinelThenCollected(handle)).toHaveLength(2);
  });

  it('remembers a bounded number of txn_refs: the least recent is forgotten first', async () => {
    const small = await startLimitedReceiver({ replayCacheSize: 2 });
    try {
      const handle = await startCollector();
      const url = urlFor(handle.workflowId, 'default', { base: small.url });
      const notification = (name: string): string => form(fields({ txn_ref: uniqueId(`LRU-${name}`) }));
      const [a, b, c] = [notification('A'), notification('B'), notification('C')];
      for (const body of [a, b, c]) expect((await post(url, body)).body.status).toBe('accepted');
      expect((await post(url, c)).body.status).toBe('duplicate');
      expect((await post(url, a)).body.status).toBe('accepted');
      expect(await collected(handle)).toHaveLength(4);
    } finally {
      await small.close();
    }
  });

  it('refuses a notification whose date is older than the window with 422, and counts it', async () => {
    const handle = await startCollector();
    const url = urlFor(handle.workflowId);
    const before = receiver.counters();
    const stale = await post(url, form(fields({ date: formatHoiioDate(Date.now() - 25 * HOUR_MS) })));
    expect(stale.status).toBe(422);
    expect(stale.body.error).toMatch(/older than 24 h/);
    expect(events.at(-1)).toMatchObject({ outcome: 'rejected', status: 422, workflowId: handle.workflowId });
    expect(receiver.counters().stale).toBe(before.stale + 1);
    const recent = await post(url, form(fields({ date: formatHoiioDate(Date.now() - 23 * HOUR_MS) })));
    expect(recent.status).toBe(200);
    expect(await sentinelThenCollected(handle)).toHaveLength(2);
  });
});

describe('slow and excess connections', () => {
  interface Slow {
    socket: Socket;
    /** Resolves with the ms from connect to close, and whatever the server wrote. */
    closed: Promise<{ afterMs: number; received: string }>;
    stop(): void;
  }

  /**
   * A client that sends a notification's request line and headers one byte every 100 ms and never finishes, or,
   * `silent`, that connects and sends nothing at all.
   */
  function slowClient(port: number, silent = false): Promise<Slow> {
    const head = `POST ${NOTIFY_PATH}?bk_session=x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(500)}\r\n`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      let received = '';
      let sent = 0;
      let dribble: NodeJS.Timeout | undefined;
      const startedAt = Date.now();
      const closed = new Promise<{ afterMs: number; received: string }>((done) => {
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(dribble);
          done({ afterMs: Date.now() - startedAt, received });
        });
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        if (!silent) {
          dribble = setInterval(() => {
            if (sent < head.length && !socket.destroyed) socket.write(head[sent++] ?? '');
          }, 100);
        }
        resolve({ socket, closed, stop: () => socket.destroy() });
      });
    });
  }

  const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> =>
    Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);

  async function connectionsOf(running: RunningReceiver): Promise<number> {
    return new Promise((resolve, reject) =>
      running.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  }

  it('closes connections that dribble their headers, or send nothing, once the request timeout passes', async () => {
    const requestTimeoutMs = 1_000;
    const guarded = await startLimitedReceiver({ requestTimeoutMs });
    const clients = await Promise.all(
      Array.from({ length: 50 }, (_, index) => slowClient(guarded.port, index % 10 === 0)),
    );
    try {
      const results = await Promise.all(clients.map((client) => within(client.closed, 6_000)));
      for (const result of results) {
        expect(result).toBeDefined();
        expect(result?.afterMs).toBeGreaterThanOrEqual(requestTimeoutMs - 100);
        // Node checks the deadlines every second at most, so a connection may outlive its timeout by that much.
        expect(result?.afterMs).toBeLessThan(requestTimeoutMs + 2_500);
      }
      const health = await request(`${guarded.url}${HEALTH_PATH}`);
      expect(health.statusCode).toBe(200);
      await health.body.dump();
    } finally {
      for (const client of clients) client.stop();
      await guarded.close();
    }
  });

  it('refuses connections beyond the cap, counts them, and takes new ones once the held ones are gone', async () => {
    const maxConnections = 4;
    const capped = await startLimitedReceiver({ maxConnections });
    try {
      const holders = await Promise.all(Array.from({ length: maxConnections }, () => slowClient(capped.port)));
      try {
        await eventually('the server to hold every connection', async () =>
          (await connectionsOf(capped)) === maxConnections ? true : undefined,
        );
        const extra = await slowClient(capped.port);
        const refused = await within(extra.closed, 1_000);
        extra.stop();
        expect(refused).toBeDefined();
        expect(refused?.received).toBe('');
        expect(capped.counters().connectionsDropped).toBe(1);
        for (const holder of holders) expect(holder.socket.destroyed).toBe(false);
      } finally {
        for (const holder of holders) holder.stop();
      }
      await eventually('the held connections to go', async () =>
        (await connectionsOf(capped)) === 0 ? true : undefined,
      );
      const handle = await startCollector();
      const answer = await post(urlFor(handle.workflowId, 'default', { base: capped.url }), form(fields()));
      expect(answer.status).toBe(200);
    } finally {
      await capped.close();
    }
  });
});

describe('POST /hoiio/ivr', () => {
  async function startIvrCollector(): Promise<WorkflowHandle<typeof ivrEventCollector>> {
    return env.client.workflow.start(ivrEventCollector, {
      taskQueue: worker.taskQueue,
      workflowId: uniqueId('ivr-collector'),
    });
  }

  function ivrUrlFor(workflowId: string, account: AccountName = 'default'): string {
    const secret = notifySecret(new HoiioSecret(TOKENS[account]));
    const url = buildNotifyUrl({ publicUrl: receiver.url, account, workflowId, secret, path: IVR_NOTIFY_PATH });
    secretsSent.add(new URL(url).searchParams.get('bk_token') ?? '');
    return url;
  }

  /** One block's notification of an IVR call; `undefined` leaves a field out. */
  function ivrFields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const all: Record<string, string | undefined> = {
      session: 'S-IVR-1',
      // Unique, since the replay guard is the receiver's, across workflows.
      txn_ref: uniqueId('AA-I'),
      tag: 'bk-esc:INC-42:t1:dial',
      call_state: 'ongoing',
      dest: '+6591234567',
      dial_status: 'answered',
      ...overrides,
    };
    return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  async function ivrCollected(handle: WorkflowHandle): Promise<IvrEvent[]> {
    return handle.query(ivrCollectedQuery);
  }

  /** A valid notification after the ones under test, awaited: signals arrive in order. */
  async function ivrSentinelThenCollected(handle: WorkflowHandle): Promise<IvrEvent[]> {
    const txnRef = uniqueId('IVR-SENTINEL');
    expect((await post(ivrUrlFor(handle.workflowId), form(ivrFields({ txn_ref: txnRef })))).status).toBe(200);
    const seen = await ivrCollected(handle);
    expect(seen.at(-1)?.txnRef).toBe(txnRef);
    return seen;
  }

  it('signals each block of one call as ivrEvent, exactly as parsed, all under one txn_ref', async () => {
    const handle = await startIvrCollector();
    const url = ivrUrlFor(handle.workflowId);
    const txn_ref = 'AA-I-1';
    const blocks = [
      ivrFields({ txn_ref, call_state: 'ringing', dial_status: '', tag: 'bk-esc:INC-42:t1:dial' }),
      ivrFields({ txn_ref, call_state: 'ongoing', dial_status: 'answered' }),
      ivrFields({
        txn_ref,
        call_state: 'ongoing',
        dial_status: undefined,
        tag: 'bk-esc:INC-42:t1:gather',
        digits: '1',
      }),
      ivrFields({
        txn_ref,
        call_state: 'ended',
        dial_status: 'answered',
        tag: 'bk-esc:INC-42:t1:hangup',
        date: RECENT_DATE,
        duration: '2',
        currency: 'SGD',
        rate: '0.05',
        debit: '0.100',
        unknown_field: 'ignored',
      }),
    ];
    for (const block of blocks) {
      expect(await post(url, form(block))).toEqual({ status: 200, body: { status: 'accepted' } });
    }
    const seen = await ivrCollected(handle);
    expect(seen).toEqual<IvrEvent[]>([
      {
        txnRef: 'AA-I-1',
        session: 'S-IVR-1',
        callState: 'ringing',
        tag: 'bk-esc:INC-42:t1:dial',
        dest: '+6591234567',
      },
      {
        txnRef: 'AA-I-1',
        session: 'S-IVR-1',
        callState: 'ongoing',
        tag: 'bk-esc:INC-42:t1:dial',
        dest: '+6591234567',
        dialStatus: 'answered',
      },
      {
        txnRef: 'AA-I-1',
        session: 'S-IVR-1',
        callState: 'ongoing',
        tag: 'bk-esc:INC-42:t1:gather',
        dest: '+6591234567',
        digits: '1',
      },
      {
        txnRef: 'AA-I-1',
        session: 'S-IVR-1',
        callState: 'ended',
        tag: 'bk-esc:INC-42:t1:hangup',
        dest: '+6591234567',
        dialStatus: 'answered',
        durationMinutes: 2,
        currency: 'SGD',
        rate: '0.050',
        debit: '0.100',
        date: RECENT_DATE,
      },
    ]);
    for (const payload of seen) expect(ivrEventSchema.safeParse(payload).success).toBe(true);
    expect(events.at(-1)).toMatchObject({
      source: 'ivr',
      outcome: 'accepted',
      status: 200,
      workflowId: handle.workflowId,
      txnRef: 'AA-I-1',
      callState: 'ended',
    });
    expect(formatLogEvent(events.at(-1)!)).toMatch(/^ivr notification accepted 200 .*call_state=ended/);
  });

  it('keeps an empty digits field (no key pressed) apart from a missing one', async () => {
    const handle = await startIvrCollector();
    const url = ivrUrlFor(handle.workflowId);
    expect((await post(url, form(ivrFields({ tag: 'gather', digits: '' })))).status).toBe(200);
    expect((await post(url, form(ivrFields({ tag: 'gather' })))).status).toBe(200);
    const seen = await ivrCollected(handle);
    expect(seen.map((event) => event.digits)).toEqual(['', undefined]);
  });

  it('acknowledges a copy of the same notification with 200 without signalling it again; a different block of the call is not a copy', async () => {
    const handle = await startIvrCollector();
    const url = ivrUrlFor(handle.workflowId);
    const txnRef = uniqueId('AA-I');
    const gather = form(ivrFields({ txn_ref: txnRef, tag: 'gather', dial_status: undefined, digits: '2' }));
    const before = receiver.counters();
    expect(await post(url, gather)).toEqual({ status: 200, body: { status: 'accepted' } });
    expect(await post(url, gather)).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect(events.at(-1)).toMatchObject({ source: 'ivr', outcome: 'duplicate', status: 200 });
    // Same txn_ref, state and tag, but other keys pressed (a retried gather): a new notification.
    const other = form(ivrFields({ txn_ref: txnRef, tag: 'gather', dial_status: undefined, digits: '1' }));
    expect((await post(url, other)).body.status).toBe('accepted');
    // Three copies at once: one signal.
    const ended = form(ivrFields({ txn_ref: txnRef, call_state: 'ended', tag: 'hangup' }));
    const answers = await Promise.all([post(url, ended), post(url, ended), post(url, ended)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(answers.filter((answer) => answer.body.status === 'accepted')).toHaveLength(1);
    expect(receiver.counters().duplicates).toBe(before.duplicates + 3);
    const seen = await ivrSentinelThenCollected(handle);
    expect(seen.map((event) => [event.callState, event.digits])).toEqual([
      ['ongoing', '2'],
      ['ongoing', '1'],
      ['ended', undefined],
      ['ongoing', undefined],
    ]);
  });

  it('does not take a conference notification with the same txn_ref for a copy, nor the other way round', async () => {
    const ivr = await startIvrCollector();
    const session = await startCollector();
    const txnRef = uniqueId('AA-X');
    expect((await post(urlFor(session.workflowId), form(fields({ txn_ref: txnRef })))).body.status).toBe('accepted');
    expect((await post(ivrUrlFor(ivr.workflowId), form(ivrFields({ txn_ref: txnRef })))).body.status).toBe('accepted');
  });

  it.each([
    ['call_state', { call_state: 'dialing' }],
    ['call_state', { call_state: undefined }],
    ['session', { session: undefined }],
    ['session', { session: 'has space' }],
    ['txn_ref', { txn_ref: '' }],
    ['dial_status', { dial_status: 'ongoing' }],
    ['transfer_status', { transfer_status: 'maybe' }],
    ['digits', { digits: '12a' }],
    ['dest', { dest: '6591234567' }],
    ['duration', { duration: '1.5' }],
    ['rate', { rate: '-0.050' }],
    ['debit', { debit: '0.0501' }],
    ['currency', { currency: 'sgd' }],
    ['date', { date: '2024-02-30 10:00:00' }],
  ])('answers 400 naming %s for %j', async (field, overrides) => {
    const handle = await startIvrCollector();
    const answer = await post(ivrUrlFor(handle.workflowId), form(ivrFields(overrides)));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain(`${field}:`);
    expect(await ivrSentinelThenCollected(handle)).toHaveLength(1);
  });

  it('names a field that is only in the unsigned query, and a repeated one', async () => {
    const handle = await startIvrCollector();
    const url = new URL(ivrUrlFor(handle.workflowId));
    url.searchParams.set('call_state', 'ended');
    const answer = await post(url.toString(), `${form(ivrFields({ call_state: undefined }))}&digits=1&digits=2`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain('call_state: is required in the signed body (it is only in the URL query)');
    expect(answer.body.error).toContain('digits: appears 2 times');
  });

  it('checks routing, session token and signature like a conference notification: 404, 403, 401', async () => {
    const handle = await startIvrCollector();
    const body = form(ivrFields());
    const missing = new URL(ivrUrlFor(handle.workflowId));
    missing.searchParams.delete('bk_account');
    expect((await post(missing.toString(), body)).status).toBe(404);
    const forged = new URL(ivrUrlFor(handle.workflowId));
    forged.searchParams.set('bk_token', '0'.repeat(32));
    expect((await post(forged.toString(), body)).status).toBe(403);
    const wrongKey = await post(ivrUrlFor(handle.workflowId), body, { 'x-hoiio-signature': sign(body, 'sales') });
    expect(wrongKey.status).toBe(401);
    expect((await post(ivrUrlFor(handle.workflowId), body, {})).status).toBe(401);
    // A conference leg's session token is the same token: only the path differs.
    expect(new URL(ivrUrlFor(handle.workflowId)).searchParams.get('bk_token')).toBe(
      new URL(urlFor(handle.workflowId)).searchParams.get('bk_token'),
    );
    expect(await ivrSentinelThenCollected(handle)).toHaveLength(1);
  });

  it('answers 422 for a date older than the window, 404 for no running workflow, 405 for other methods', async () => {
    const handle = await startIvrCollector();
    const before = receiver.counters();
    const stale = await post(
      ivrUrlFor(handle.workflowId),
      form(ivrFields({ call_state: 'ended', date: formatHoiioDate(Date.now() - 25 * HOUR_MS) })),
    );
    expect(stale.status).toBe(422);
    expect(receiver.counters().stale).toBe(before.stale + 1);
    expect((await post(ivrUrlFor(uniqueId('no-such-escalation')), form(ivrFields()))).status).toBe(404);
    const get = await request(`${receiver.url}${IVR_NOTIFY_PATH}`);
    await get.body.dump();
    expect(get.statusCode).toBe(405);
    expect(await ivrSentinelThenCollected(handle)).toHaveLength(1);
  });
});

describe('the receiver log', () => {
  it('holds workflow ids, statuses and reasons, but no access token, session token or signature', () => {
    expect(events.length).toBeGreaterThan(20);
    expect(new Set(events.map((event) => event.status))).toEqual(new Set([200, 400, 401, 403, 404, 413, 422, 503]));
    const text = [JSON.stringify(events), ...events.map(formatLogEvent)].join('\n');
    expect(text).toContain('workflow');
    for (const token of Object.values(TOKENS)) expect(text).not.toContain(token);
    expect(secretsSent.size).toBeGreaterThan(10);
    for (const secret of secretsSent) {
      expect(text).not.toContain(secret);
      expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
    }
  });
});
