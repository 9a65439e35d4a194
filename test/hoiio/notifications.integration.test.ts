import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { verifyNotificationSignature } from '../../src/hoiio';
import { DEMO, eventually, SimHarness } from './sim-harness';

/**
 * A real POST from the simulator to a real local HTTP server when a leg ends, checked with the client's
 * verifyNotificationSignature: the untouched body passes, a tampered body or a wrong key fails.
 */
interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let harness: SimHarness;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];

const TALKER = '+6574000001'; // answered, 90 s of talk: 2 billed minutes
const KICKED = '+6574000002';

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  harness = await SimHarness.start({
    // 1 simulated minute a real second: a kick sent within a second of the answer bills exactly 1 minute, even on a loaded machine.
    timeScale: 60,
    outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    timing: { ringSeconds: { min: 1, max: 1 }, talkSeconds: { min: 1e7, max: 1e7 } },
    scripts: { [TALKER]: { outcome: 'answered', ringSeconds: 6, talkSeconds: 90 } },
  });
});
afterAll(async () => {
  await harness.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

async function notificationFor(txnRef: string): Promise<Received> {
  return eventually(`the notification of ${txnRef}`, () =>
    Promise.resolve(
      received.find((entry) => new URLSearchParams(entry.body.toString('utf8')).get('txn_ref') === txnRef),
    ),
  );
}

it('a leg that ends is notified with every documented field, signed with the access token', async () => {
  const client = harness.client();
  const { txnRefs } = await client.conferenceCall({
    dest: [TALKER],
    tag: 'session-9',
    notifyUrl: `${receiverUrl}/hoiio/notify?session=s-9&route=r1`,
  });
  const notification = await notificationFor(txnRefs[0]!);

  expect(notification.headers['content-type']).toContain('application/x-www-form-urlencoded');
  // Pass-on params of notify_url come back on the notification.
  const url = new URL(notification.url, receiverUrl);
  expect(url.pathname).toBe('/hoiio/notify');
  expect(url.searchParams.get('session')).toBe('s-9');
  expect(url.searchParams.get('route')).toBe('r1');

  const fields = Object.fromEntries(new URLSearchParams(notification.body.toString('utf8')));
  expect(fields).toEqual({
    dest: TALKER,
    call_status_dest: 'answered',
    txn_ref: txnRefs[0],
    tag: 'session-9',
    date: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/) as string,
    duration: '2',
    currency: 'SGD',
    rate: '0.020',
    debit: '0.040',
  });

  const signature = notification.headers['x-hoiio-signature'];
  expect(verifyNotificationSignature(notification.body, signature, DEMO.accessToken)).toBe(true);
  expect(verifyNotificationSignature(notification.body.toString('utf8'), signature, DEMO.accessToken)).toBe(true);
  expect(verifyNotificationSignature(notification.body, (signature as string).toUpperCase(), DEMO.accessToken)).toBe(
    true,
  );

  // One changed byte, the debit rewritten, or the wrong key: rejected.
  const tampered = notification.body.toString('utf8').replace('debit=0.040', 'debit=0.000');
  expect(tampered).not.toBe(notification.body.toString('utf8'));
  expect(verifyNotificationSignature(tampered, signature, DEMO.accessToken)).toBe(false);
  expect(
    verifyNotificationSignature(Buffer.concat([notification.body, Buffer.from('&x=1')]), signature, DEMO.accessToken),
  ).toBe(false);
  expect(verifyNotificationSignature(notification.body, signature, 'another-token')).toBe(false);
  expect(verifyNotificationSignature(notification.body, undefined, DEMO.accessToken)).toBe(false);
});

it('a kicked leg is notified too, and the notification agrees with query_status', async () => {
  const client = harness.client();
  const { txnRefs } = await client.conferenceCall({ dest: [KICKED], notifyUrl: `${receiverUrl}/hoiio/notify` });
  const txnRef = txnRefs[0]!;
  await eventually('the answer', async () =>
    (await harness.calls()).find((call) => call.txn_ref === txnRef && call.state === 'answered'),
  );
  await client.moderate({ txnRef, action: 'kick' });
  const notification = await notificationFor(txnRef);
  expect(
    verifyNotificationSignature(notification.body, notification.headers['x-hoiio-signature'], DEMO.accessToken),
  ).toBe(true);

  const fields = new URLSearchParams(notification.body.toString('utf8'));
  // No tag was sent, so none comes back.
  expect(fields.has('tag')).toBe(false);
  const record = await client.queryStatus(txnRef);
  expect(record.callStatus).toBe(fields.get('call_status_dest'));
  expect(String(record.durationMinutes)).toBe(fields.get('duration'));
  expect(record.debit).toBe(20);
  expect(fields.get('debit')).toBe('0.020');
});
