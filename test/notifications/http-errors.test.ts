import { Client, Connection } from '@temporalio/client';
import { connect } from 'node:net';
import { request } from 'undici';
import { HoiioSecret } from '../../src/hoiio/secret';
import {
  ALERTMANAGER_PATH,
  IVR_NOTIFY_PATH,
  NOTIFY_PATH,
  type ReceiverLogEvent,
  type RunningReceiver,
  startReceiver,
} from '../../src/notifications';

/**
 * What a caller sees when the HTTP request itself is wrong (too large, no content type, a malformed URL or request
 * line): a status and a short plain message, never Fastify's error codes. The real receiver over HTTP on 127.0.0.1;
 * these requests are turned away before any signal, so its Temporal connection is never opened.
 */
const TOKEN = 'alertmanager-token-of-good-length';
let receiver: RunningReceiver;
const events: ReceiverLogEvent[] = [];

beforeAll(async () => {
  receiver = await startReceiver({
    host: '127.0.0.1',
    port: 0,
    client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    accounts: { default: { accessToken: new HoiioSecret('test-token') } },
    alertmanager: { token: TOKEN, policies: new Map(), taskQueue: 'unused' },
    log: (event) => events.push(event),
  });
});

afterAll(() => receiver?.close());

/** One request written by hand, for what no HTTP client would send; the answer's status line and body. */
function rawRequest(text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(receiver.port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (chunk: Buffer) => (out += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1]);
      resolve({ status, body: out.slice(out.indexOf('\r\n\r\n') + 4) });
    });
  });
}

const TWENTY_MB = Buffer.alloc(20 * 1024 * 1024, 'a');

it.each([
  [NOTIFY_PATH, '16 KiB'],
  [IVR_NOTIFY_PATH, '16 KiB'],
  [ALERTMANAGER_PATH, '1 MiB'],
])('answers a 20 MB body on %s with 413 and the limit, %s', async (path, limit) => {
  const response = await request(`${receiver.url}${path}`, {
    method: 'POST',
    body: TWENTY_MB,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${TOKEN}` },
  });
  expect(response.statusCode).toBe(413);
  expect(await response.body.json()).toEqual({ error: `body too large: the limit is ${limit}` });
  expect(events.at(-1)).toMatchObject({ status: 413, reason: `body too large: the limit is ${limit}` });
});

it('answers an empty Content-Type with 415 in words', async () => {
  const answer = await rawRequest(
    `POST ${NOTIFY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: \r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`,
  );
  expect(answer.status).toBe(415);
  expect(JSON.parse(answer.body)).toEqual({ error: 'unsupported Content-Type: the header is empty or malformed' });
});

it('answers a malformed URL with 400 in words, without echoing it', async () => {
  const answer = await rawRequest('POST /hoiio/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(answer.status).toBe(400);
  expect(JSON.parse(answer.body)).toEqual({ error: 'malformed URL' });
});
