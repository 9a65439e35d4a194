import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { verifyNotificationSignature } from '../hoiio/signature';
import { consoleReceiverLog, loggable, type ReceiverLog, type ReceiverLogEvent } from './notification-log';
import { describeIssues, parseNotification } from './notification-schema';
import { NOTIFY_PATH } from './notify-url';
import { type ReceiverAccounts, Router } from './routing';
import { deliverCallEnded } from './signal-delivery';

export const HEALTH_PATH = '/healthz';
const SIGNATURE_HEADER = 'x-hoiio-signature';
/** A notification is a few hundred bytes; anything near this is not one. */
const DEFAULT_BODY_LIMIT = 16 * 1024;
const DEFAULT_SIGNAL_TIMEOUT_MS = 10_000;

export interface ReceiverOptions {
  /** A Temporal client on the namespace the session workflows run in. */
  client: Client;
  /** Configured Hoiio accounts by name (e.g. `hoiioConfigFromEnv().accounts`); only their tokens are used. */
  accounts: ReceiverAccounts;
  /** BRIDGEKEEPER_NOTIFY_SECRET; without it, each account's session-token key derives from its access token. */
  notifySecret?: string;
  /** One event per notification; default: a line on the console. */
  log?: ReceiverLog;
  /** How long to wait for Temporal to accept the signal before answering 503. Default 10 s. */
  signalTimeoutMs?: number;
  /** Largest accepted body in bytes. Default 16 KiB. */
  bodyLimit?: number;
}

/**
 * The notification receiver as a Fastify app (not yet listening). `POST /hoiio/notify` checks, in this order:
 * routing params and account (404), session token (403), `X-Hoiio-Signature` over the raw body (401), the form
 * fields (400, naming each bad field); then signals `callEnded` and answers 200 only once Temporal accepted it
 * (404 for no such running workflow, 503 when the signal could not be delivered). A rejected notification changes
 * nothing. `GET /healthz` answers 200.
 */
export function createReceiver(options: ReceiverOptions): FastifyInstance {
  const log = options.log ?? consoleReceiverLog;
  const router = new Router(options.accounts, options.notifySecret);
  const signalTimeoutMs = options.signalTimeoutMs ?? DEFAULT_SIGNAL_TIMEOUT_MS;

  // No Fastify logger: it would print request URLs, and notify_url's query holds the session token.
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, return503OnClosing: true });

  // The signature covers the exact bytes Hoiio sent, so the body stays raw; any content type (or none) is read so.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.get(HEALTH_PATH, () => ({ status: 'ok' }));

  app.post(NOTIFY_PATH, async (request, reply) => {
    const event = await handleNotification(request, router, options.client, signalTimeoutMs);
    log(event);
    return reply.code(event.status).send(event.status === 200 ? { status: 'accepted' } : { error: event.reason });
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: NOTIFY_PATH,
    handler: (_request, reply) => reply.code(405).header('allow', 'POST').send({ error: 'method not allowed' }),
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    // Body too large, a broken stream and the like: nothing was signalled. Log the path, never the query.
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const reason = error.code ?? (status === 500 ? 'internal error' : 'bad request');
    if (request.routeOptions.url === NOTIFY_PATH) log({ outcome: 'rejected', status, reason });
    return reply.code(status).send({ error: reason });
  });

  return app;
}

async function handleNotification(
  request: FastifyRequest,
  router: Router,
  client: Client,
  signalTimeoutMs: number,
): Promise<ReceiverLogEvent> {
  const query = new URL(request.url, 'http://receiver.invalid').searchParams;
  const routed = router.resolve(query);
  if (!routed.ok) {
    const { status, reason, workflowId, account } = routed;
    return { outcome: 'rejected', status, reason, workflowId, account };
  }
  const { workflowId, account, accessToken } = routed.route;
  const where = { workflowId: loggable(workflowId), account };

  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (!verifyNotificationSignature(raw, request.headers[SIGNATURE_HEADER], accessToken.reveal())) {
    const reason = request.headers[SIGNATURE_HEADER] === undefined ? 'signature missing' : 'signature does not match';
    return { outcome: 'rejected', status: 401, reason, ...where };
  }

  const parsed = parseNotification(raw.toString('utf8'), query);
  if (!parsed.ok) {
    const reason = `invalid notification: ${describeIssues(parsed.issues)}`;
    return { outcome: 'rejected', status: 400, reason, ...where, txnRef: parsed.txnRef };
  }
  const { payload } = parsed;
  const delivery = await deliverCallEnded(client, workflowId, payload, signalTimeoutMs);
  return {
    outcome: delivery.status === 200 ? 'accepted' : delivery.status === 404 ? 'rejected' : 'failed',
    status: delivery.status,
    reason: delivery.reason,
    ...where,
    txnRef: payload.txnRef,
    callStatus: payload.callStatus,
  };
}

export interface StartReceiverOptions extends ReceiverOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4020; 0 picks a free port. */
  port?: number;
}

export interface RunningReceiver {
  /** Where it listens, e.g. http://127.0.0.1:4020 (no trailing slash). */
  url: string;
  host: string;
  port: number;
  app: FastifyInstance;
  /** Stops listening, lets requests in flight finish (their signals included), then resolves. */
  close(): Promise<void>;
}

export async function startReceiver(options: StartReceiverOptions): Promise<RunningReceiver> {
  const { host = '127.0.0.1', port = 4020, ...receiverOptions } = options;
  const app = createReceiver(receiverOptions);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    app,
    close: () => (closing ??= app.close()),
  };
}
