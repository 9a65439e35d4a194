import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseHoiioDate } from '../domain/hoiio-time';
import { verifyNotificationSignature } from '../hoiio/signature';
import { scrape } from '../observability/metrics';
import { countNotification } from '../observability/notification-metrics';
import { temporalReachable } from '../observability/readiness';
import { traceNotification } from '../observability/notification-span';
import { callEndedSignal, type CallEnded, ivrEventSignal, type IvrEvent } from '../workflows/messages';
import { ALERTMANAGER_PATH, type AlertmanagerOptions, registerAlertmanager } from './alertmanager';
import { DEFAULT_RECEIVER_LIMITS, DEFAULT_SIGNAL_TIMEOUT_MS, type ReceiverLimits } from './config';
import { describeIssues, type FormParse } from './form-fields';
import { parseIvrNotification } from './ivr-notification-schema';
import { consoleReceiverLog, loggable, type ReceiverLog, type ReceiverLogEvent } from './notification-log';
import { parseNotification } from './notification-schema';
import { IVR_NOTIFY_PATH, NOTIFY_PATH } from './notify-url';
import { ReplayGuard } from './replay-guard';
import { type ReceiverAccounts, Router } from './routing';
import { type Delivery, deliverSignal } from './signal-delivery';

export const HEALTH_PATH = '/healthz';
/** 200 while Temporal answers, 503 otherwise: a load balancer sends Hoiio's notifications only where they can land. */
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';
const SIGNATURE_HEADER = 'x-hoiio-signature';
/** A notification is a few hundred bytes; anything near this is not one. */
const DEFAULT_BODY_LIMIT = 16 * 1024;
/** How often Node looks for connections past their request deadline; its default of 30 s would let them linger. */
const MAX_DEADLINE_CHECK_INTERVAL_MS = 1_000;

/** What the receiver turned away or did not signal, since it started. */
export interface ReceiverCounters {
  /** Notifications already signalled (a conference txn_ref, an IVR notification): answered 200, not signalled again. */
  duplicates: number;
  /** Notifications whose `date` was older than the age window: answered 422. */
  stale: number;
  /** Connections closed on accept because maxConnections were open. */
  connectionsDropped: number;
}

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
  /** Timeouts, connection caps and the replay defences; each defaults to DEFAULT_RECEIVER_LIMITS. */
  limits?: Partial<ReceiverLimits>;
  /** `POST /alertmanager`, which starts and resolves escalations; absent, the path answers 404. */
  alertmanager?: AlertmanagerOptions;
}

/** The Fastify app with its counters. */
export interface Receiver {
  app: FastifyInstance;
  counters: () => ReceiverCounters;
}

/**
 * The notification receiver as a Fastify app (not yet listening). `POST /hoiio/notify` (a conference leg's end) and
 * `POST /hoiio/ivr` (a block of an IVR call) check, in this order: routing params and account (404), session token
 * (403), `X-Hoiio-Signature` over the raw body (401), the form fields (400, naming each bad field); then signal
 * `callEnded` or `ivrEvent` and answer 200 only once Temporal accepted it (404 for no such running workflow, 503 when
 * the signal could not be delivered). A rejected notification changes nothing. A notification already signalled is
 * answered 200 without a second signal; a `date` older than the age window is answered 422. `GET /healthz` answers
 * 200, `GET /readyz` 200 while Temporal answers (503 otherwise), `GET /metrics` the process's metrics. With `alertmanager` options, `POST /alertmanager` takes Alertmanager's webhook (alertmanager.ts).
 */
export function createReceiver(options: ReceiverOptions): Receiver {
  const log = options.log ?? consoleReceiverLog;
  const router = new Router(options.accounts, options.notifySecret);
  const signalTimeoutMs = options.signalTimeoutMs ?? DEFAULT_SIGNAL_TIMEOUT_MS;
  const limits: ReceiverLimits = { ...DEFAULT_RECEIVER_LIMITS, ...options.limits };
  if (limits.connectionTimeoutMs <= signalTimeoutMs) {
    // The socket is silent while the signal is under way; an idle timeout shorter than that would cut it off.
    throw new RangeError(
      `connectionTimeoutMs (${limits.connectionTimeoutMs}) must exceed the signal timeout (${signalTimeoutMs} ms)`,
    );
  }
  const counters: ReceiverCounters = { duplicates: 0, stale: 0, connectionsDropped: 0 };
  const checks: NotificationChecks = {
    router,
    client: options.client,
    signalTimeoutMs,
    replays: new ReplayGuard<Delivery>(limits.replayCacheSize),
    maxAgeMs: limits.maxNotificationAgeMs,
    counters,
  };

  // No Fastify logger: it would print request URLs, and notify_url's query holds the session token.
  // Fastify leaves request and idle timeouts off, so a client sending headers a byte at a time, or nothing at all,
  // would hold a connection (and a file descriptor) for ever; these bound every stage of a connection's life.
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Fastify's reply to a malformed URL echoes it; a caller gets a short plain message. (A request that is not HTTP
    // at all gets Node's plain 400, 408 or 431 from Fastify's client error handler, which names no internals.)
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(400).send({ error: plainError(error, 400, 0) });
    },
    return503OnClosing: true,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      // Node's headers deadline defaults to 60 s whatever requestTimeout says; it may not exceed requestTimeout.
      headersTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(MAX_DEADLINE_CHECK_INTERVAL_MS, limits.requestTimeoutMs),
    },
  });
  app.server.maxConnections = limits.maxConnections;
  app.server.on('drop', () => {
    counters.connectionsDropped += 1;
  });

  // The signature covers the exact bytes Hoiio sent, so the body stays raw; any content type (or none) is read so.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.get(HEALTH_PATH, () => ({ status: 'ok' }));
  app.get(READY_PATH, async (_request, reply) => {
    const problem = await temporalReachable(options.client);
    if (problem === undefined) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', reason: problem });
  });
  app.get(METRICS_PATH, async (_request, reply) =>
    reply.header('content-type', 'text/plain; version=0.0.4').send(await scrape()),
  );

  for (const kind of [CONFERENCE, IVR] as NotificationKind<unknown>[]) {
    app.post(kind.path, async (request, reply) => {
      const started = performance.now();
      const event = await traceNotification(kind.source, () => handleNotification(request, kind, checks));
      countNotification(event, (performance.now() - started) / 1000);
      log(event);
      if (event.status !== 200) return reply.code(event.status).send({ error: event.reason });
      return reply.code(200).send({ status: event.outcome === 'duplicate' ? 'duplicate' : 'accepted' });
    });
  }
  if (options.alertmanager !== undefined) {
    registerAlertmanager(app, options.alertmanager, { client: options.client, log, timeoutMs: signalTimeoutMs });
  }

  const postOnly = [NOTIFY_PATH, IVR_NOTIFY_PATH, ...(options.alertmanager === undefined ? [] : [ALERTMANAGER_PATH])];
  for (const path of postOnly) {
    app.route({
      method: ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: path,
      handler: (_request, reply) => reply.code(405).header('allow', 'POST').send({ error: 'method not allowed' }),
    });
  }

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    // Body too large, a broken stream and the like: nothing was signalled. Log the path, never the query.
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const reason = plainError(error, status, request.routeOptions.bodyLimit);
    const source = SOURCE_OF_PATH[request.routeOptions.url ?? ''];
    if (source !== undefined && source !== 'alertmanager')
      countNotification({ source, outcome: 'rejected', status, reason }, 0);
    if (source !== undefined) log({ source, outcome: 'rejected', status, reason });
    return reply.code(status).send({ error: reason });
  });

  return { app, counters: () => ({ ...counters }) };
}

/**
 * Fastify's errors that a caller can cause, in words: its codes (FST_ERR_CTP_BODY_TOO_LARGE) mean nothing to the
 * caller, and its own messages may echo the URL, whose query holds the session token.
 */
function plainError(error: { code?: string }, status: number, bodyLimit: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `body too large: the limit is ${formatBytes(bodyLimit)}`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported Content-Type: the header is empty or malformed';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the body is not as long as its Content-Length says';
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return 'malformed URL';
    default:
      return status === 500 ? 'internal error' : 'bad request';
  }
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

const SOURCE_OF_PATH: Record<string, ReceiverLogEvent['source']> = {
  [NOTIFY_PATH]: 'conference',
  [IVR_NOTIFY_PATH]: 'ivr',
  [ALERTMANAGER_PATH]: 'alertmanager',
};

/** What differs between the notifications Hoiio sends: their path, fields, replay key and signal. */
interface NotificationKind<Payload> {
  path: string;
  source: 'conference' | 'ivr';
  parse(rawBody: string, query: URLSearchParams): FormParse<Payload>;
  /**
   * What makes two notifications the same one. Keyed by account too, since two accounts' txn_refs are not known to
   * be distinct.
   */
  replayKey(account: string, payload: Payload): string;
  /** What the log may say about it. */
  about(payload: Payload): Pick<ReceiverLogEvent, 'txnRef' | 'callStatus' | 'callState'>;
  date(payload: Payload): string | undefined;
  deliver(client: Client, workflowId: string, payload: Payload, timeoutMs: number): Promise<Delivery>;
}

/** A conference leg notifies once, when it ends: its txn_ref is the notification. */
const CONFERENCE: NotificationKind<CallEnded> = {
  path: NOTIFY_PATH,
  source: 'conference',
  parse: parseNotification,
  replayKey: (account, payload) => `${account}\u0000${payload.txnRef}`,
  about: (payload) => ({ txnRef: payload.txnRef, callStatus: payload.callStatus }),
  date: (payload) => payload.date,
  deliver: (client, workflowId, payload, timeoutMs) =>
    deliverSignal(client, workflowId, callEndedSignal, [payload], timeoutMs),
};

/**
 * An IVR call notifies after every block (ringing, a dial answered, keys gathered, a transfer, the end), all with one
 * txn_ref, so the txn_ref alone would take the second block for a replay of the first. The key is the whole
 * notification as parsed: only a copy of the same notification (every field the same) is a duplicate.
 */
const IVR: NotificationKind<IvrEvent> = {
  path: IVR_NOTIFY_PATH,
  source: 'ivr',
  parse: parseIvrNotification,
  replayKey: (account, payload) =>
    `${account}\u0000ivr\u0000${createHash('sha256').update(JSON.stringify(payload)).digest('base64')}`,
  about: (payload) => ({ txnRef: payload.txnRef, callState: payload.callState }),
  date: (payload) => payload.date,
  deliver: (client, workflowId, payload, timeoutMs) =>
    deliverSignal(client, workflowId, ivrEventSignal, [payload], timeoutMs),
};

interface NotificationChecks {
  router: Router;
  client: Client;
  signalTimeoutMs: number;
  replays: ReplayGuard<Delivery>;
  maxAgeMs: number;
  counters: ReceiverCounters;
}

async function handleNotification<Payload>(
  request: FastifyRequest,
  kind: NotificationKind<Payload>,
  checks: NotificationChecks,
): Promise<ReceiverLogEvent> {
  const { router, client, signalTimeoutMs, replays, maxAgeMs, counters } = checks;
  const source = kind.source;
  const query = new URL(request.url, 'http://receiver.invalid').searchParams;
  const routed = router.resolve(query);
  if (!routed.ok) {
    const { status, reason, workflowId, account } = routed;
    return { source, outcome: 'rejected', status, reason, workflowId, account };
  }
  const { workflowId, account, accessToken } = routed.route;
  const where = { source, workflowId: loggable(workflowId), account };

  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (!verifyNotificationSignature(raw, request.headers[SIGNATURE_HEADER], accessToken.reveal())) {
    const reason = request.headers[SIGNATURE_HEADER] === undefined ? 'signature missing' : 'signature does not match';
    return { outcome: 'rejected', status: 401, reason, ...where };
  }

  const parsed = kind.parse(raw.toString('utf8'), query);
  if (!parsed.ok) {
    const reason = `invalid notification: ${describeIssues(parsed.issues)}`;
    return { outcome: 'rejected', status: 400, reason, ...where, txnRef: parsed.txnRef };
  }
  const { payload } = parsed;
  const about = { ...where, ...kind.about(payload) };

  // Replays are judged only after the signature: an unauthenticated caller must learn nothing about what was seen.
  const guarded = await replays.once(
    kind.replayKey(account, payload),
    async (): Promise<Delivery> => {
      const date = kind.date(payload);
      const endedAt = date === undefined ? undefined : parseHoiioDate(date);
      if (endedAt !== undefined && Date.now() - endedAt > maxAgeMs) {
        // 422, not 400: the fields are well formed and signed, yet the notification is too old to act on; a 4xx
        // because sending the same bytes again can never succeed. A separate status tells a replay from a broken
        // sender in the log.
        return { status: 422, reason: `notification date ${date} is older than ${describeAge(maxAgeMs)}` };
      }
      return kind.deliver(client, workflowId, payload, signalTimeoutMs);
    },
    (delivery) => delivery.status === 200,
  );
  if (guarded.duplicate) {
    counters.duplicates += 1;
    return { outcome: 'duplicate', status: 200, reason: 'already signalled: not signalled again', ...about };
  }
  const delivery = guarded.outcome;
  if (delivery.status === 422) counters.stale += 1;
  return {
    outcome: delivery.status === 200 ? 'accepted' : delivery.status === 503 ? 'failed' : 'rejected',
    status: delivery.status,
    reason: delivery.reason,
    ...about,
  };
}

function describeAge(ms: number): string {
  const hours = ms / 3_600_000;
  return Number.isInteger(hours) ? `${hours} h` : `${Math.round(ms / 1000)} s`;
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
  /** A snapshot of what was turned away or not signalled since start. */
  counters: () => ReceiverCounters;
  /** Stops listening, lets requests in flight finish (their signals included), then resolves. */
  close(): Promise<void>;
}

export async function startReceiver(options: StartReceiverOptions): Promise<RunningReceiver> {
  const { host = '127.0.0.1', port = 4020, ...receiverOptions } = options;
  const { app, counters } = createReceiver(receiverOptions);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    app,
    counters,
    close: () => (closing ??= app.close()),
  };
}
