import { Pool } from 'undici';
import { measureHoiioRequest } from '../observability/hoiio-metrics';
import { HoiioTransportError, type HoiioTransportReason } from './errors';
import { readEnvelope } from './replies';

/**
 * The HTTP side of the client: one undici Pool per client (Hoiio is a single origin, so a Pool keeps its connections
 * alive across requests), form-urlencoded POSTs, and the mapping of every way HTTP can fail to a HoiioTransportError
 * that says whether Hoiio may have acted. Knows nothing about endpoints beyond their path.
 */

export interface HoiioTimeouts {
  /** TCP (and TLS) connect. Nothing was sent when it fires, so the failure is not ambiguous. */
  connectMs: number;
  /** From sending the request to receiving the reply's headers: Hoiio may be acting on it when this fires. */
  headersMs: number;
  /** Longest silence while reading the reply body. */
  bodyMs: number;
}

export const DEFAULT_TIMEOUTS: HoiioTimeouts = { connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 };

/** Replies are small (a history page holds at most 100 entries); a runaway body is not a Hoiio answer. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface TransportOptions {
  baseUrl: URL;
  timeouts: HoiioTimeouts;
  /** Most sockets kept open to Hoiio at once. */
  connections: number;
  userAgent: string;
}

export class HoiioTransport {
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #userAgent: string;
  #closed = false;

  constructor(options: TransportOptions) {
    this.#pool = new Pool(options.baseUrl.origin, {
      connections: options.connections,
      connectTimeout: options.timeouts.connectMs,
      headersTimeout: options.timeouts.headersMs,
      bodyTimeout: options.timeouts.bodyMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
    const path = options.baseUrl.pathname;
    this.#basePath = path.endsWith('/') ? path : `${path}/`;
    this.#userAgent = options.userAgent;
  }

  /**
   * POSTs `params` to `<base path><endpoint>` and returns the reply's JSON object once its status is success_ok.
   * Throws HoiioApiError for any other status and HoiioTransportError when there is no usable answer.
   */
  post(endpoint: string, params: URLSearchParams, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return measureHoiioRequest(endpoint, () => this.#post(endpoint, params, signal));
  }

  async #post(endpoint: string, params: URLSearchParams, signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (this.#closed) {
      throw new HoiioTransportError({
        endpoint,
        reason: 'closed',
        retryable: false,
        ambiguous: false,
        detail: 'the client is closed',
      });
    }
    let statusCode: number;
    let body: string;
    try {
      const response = await this.#pool.request({
        method: 'POST',
        path: `${this.#basePath}${endpoint}`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          accept: 'application/json',
          'user-agent': this.#userAgent,
        },
        body: params.toString(),
        signal,
      });
      statusCode = response.statusCode;
      body = await response.body.text();
    } catch (error) {
      // undici rejects with the signal's reason, whatever the caller passed to abort(): check the signal itself.
      throw transportFailure(endpoint, error, signal?.aborted === true);
    }
    return interpret(endpoint, statusCode, body);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }
}

/**
 * Hoiio signals results in the JSON `status` with HTTP 200 (docs/hoiio-api.md, "Requests and replies"). A 5xx is a fault in front of or inside
 * Hoiio: retryable, and ambiguous since it may have acted. Other codes are read as JSON first (the Java SDK does the
 * same), and only when that fails treated as transport faults: a 404 or a redirect means a wrong base URL.
 */
function interpret(endpoint: string, statusCode: number, body: string): Record<string, unknown> {
  if (statusCode >= 500) {
    throw new HoiioTransportError({
      endpoint,
      reason: 'http_status',
      retryable: true,
      ambiguous: true,
      httpStatus: statusCode,
      detail: 'server error',
    });
  }
  if (statusCode >= 200 && statusCode < 300) return readEnvelope(endpoint, body);
  try {
    return readEnvelope(endpoint, body);
  } catch (error) {
    if (!(error instanceof HoiioTransportError)) throw error;
    throw new HoiioTransportError({
      endpoint,
      reason: 'http_status',
      retryable: statusCode === 408 || statusCode === 429,
      ambiguous: false,
      httpStatus: statusCode,
      detail: 'not a Hoiio reply (check HOIIO_BASE_URL)',
    });
  }
}

interface Classified {
  reason: HoiioTransportReason;
  retryable: boolean;
  ambiguous: boolean;
}

/** Before the connection exists nothing was sent: these are the only failures known not to have reached Hoiio. */
const CONNECT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function classifyFailure(error: unknown, aborted: boolean): Classified {
  const code = errorCode(error);
  if (code && CONNECT_CODES.has(code)) return { reason: 'connect', retryable: true, ambiguous: false };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { reason: 'timeout', retryable: true, ambiguous: true };
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return { reason: 'invalid_reply', retryable: false, ambiguous: true };
  if (code === 'UND_ERR_CLOSED') return { reason: 'closed', retryable: false, ambiguous: false };
  if (aborted || code === 'UND_ERR_ABORTED') {
    // The caller gave up (e.g. a cancelled activity); whether the request went out is unknown.
    return { reason: 'aborted', retryable: false, ambiguous: true };
  }
  // A socket reset or anything unforeseen: the request may have gone out.
  return { reason: 'network', retryable: true, ambiguous: true };
}

function transportFailure(endpoint: string, error: unknown, aborted: boolean): HoiioTransportError {
  const classified = classifyFailure(error, aborted);
  const code = errorCode(error);
  // undici's messages name the host and port at most; they never contain the request body, so the token stays out.
  const message = error instanceof Error ? error.message : String(error);
  return new HoiioTransportError({
    endpoint,
    ...classified,
    detail: code ? `${code}: ${message}` : message,
    cause: error,
  });
}

function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
