import { formatProblem } from '../domain/input-text';
import { classifyStatus, type HoiioErrorCategory, type StatusScope } from './statuses';

/**
 * Everything the client throws. Three kinds, because callers act on them differently:
 * - HoiioInputError: we refused to send (bad parameter or config). Never retry; fix the input.
 * - HoiioApiError: Hoiio answered with a non-success `status`. What it means (retryable, ambiguous, scope) comes
 *   from the status table, `statuses.ts`.
 * - HoiioTransportError: no usable answer (5xx, timeout, connection, unreadable reply). `ambiguous` says whether the
 *   request may have reached Hoiio and acted: a dial retried after an ambiguous failure must reconcile first.
 *
 * None of them ever carries the access token: messages name the endpoint and the status, never the request body,
 * and the underlying undici error (which knows no body either) is kept as the non-enumerable `cause`.
 */
export abstract class HoiioError extends Error {
  abstract readonly retryable: boolean;

  protected constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface HoiioInputIssue {
  /** Where the bad value is, e.g. `dest[2]`, `room`, `HOIIO_ACCESS_TOKEN`. */
  path: string;
  /** The bad value, when it is a plain one worth showing (never for a secret). */
  value?: unknown;
  /** The rule it breaks, in words. */
  message: string;
}

function describeInputIssues(issues: readonly HoiioInputIssue[]): string {
  return issues.map((issue) => formatProblem(issue.path, issue.value, issue.message)).join('; ');
}

/** A parameter broke a documented rule; nothing was sent. The message names every bad value and its rule. */
export class HoiioInputError extends HoiioError {
  readonly retryable = false;
  readonly endpoint: string | undefined;
  readonly issues: readonly HoiioInputIssue[];

  constructor(endpoint: string | undefined, issues: readonly HoiioInputIssue[]) {
    const where = endpoint ? ` for ${endpoint}` : '';
    super(`Invalid Hoiio parameters${where}: ${describeInputIssues(issues)}`);
    this.endpoint = endpoint;
    this.issues = issues;
  }
}

/** Hoiio answered `status` other than `success_ok`. Unknown statuses keep their raw text and category `unknown`. */
export class HoiioApiError extends HoiioError {
  readonly status: string;
  readonly endpoint: string;
  readonly category: HoiioErrorCategory;
  readonly retryable: boolean;
  /** The request may have been carried out all the same (a status we do not know, a fault on Hoiio's side). */
  readonly ambiguous: boolean;
  readonly scope: StatusScope;

  constructor(endpoint: string, status: string) {
    const { category, retryable, ambiguous, scope } = classifyStatus(status);
    super(`Hoiio ${endpoint} answered ${status} (${category}, ${retryable ? 'retryable' : 'not retryable'})`);
    this.status = status;
    this.endpoint = endpoint;
    this.category = category;
    this.retryable = retryable;
    this.ambiguous = ambiguous;
    this.scope = scope;
  }
}

export type HoiioTransportReason =
  | 'connect' // never reached Hoiio: refused, DNS, connect timeout
  | 'timeout' // sent, but no (complete) answer in time
  | 'network' // the connection broke mid-request
  | 'http_status' // an HTTP status that is not a Hoiio answer (5xx, or a 4xx without a JSON status)
  | 'non_json' // the body is not a JSON object with a `status`
  | 'invalid_reply' // success_ok, but the fields do not match the documented shape
  | 'aborted' // the caller's AbortSignal fired
  | 'closed'; // the client was closed

export interface HoiioTransportErrorInit {
  endpoint: string;
  reason: HoiioTransportReason;
  retryable: boolean;
  /** True when Hoiio may have received and acted on the request (e.g. a timeout after sending). */
  ambiguous: boolean;
  httpStatus?: number;
  detail: string;
  cause?: unknown;
}

/** No usable answer from Hoiio. Retryable unless the fault is ours (closed client, abort, a 4xx page). */
export class HoiioTransportError extends HoiioError {
  readonly endpoint: string;
  readonly reason: HoiioTransportReason;
  readonly retryable: boolean;
  readonly ambiguous: boolean;
  readonly httpStatus: number | undefined;

  constructor(init: HoiioTransportErrorInit) {
    const http = init.httpStatus === undefined ? '' : ` (HTTP ${init.httpStatus})`;
    super(`Hoiio ${init.endpoint} transport failure, ${init.reason}${http}: ${init.detail}`, { cause: init.cause });
    this.endpoint = init.endpoint;
    this.reason = init.reason;
    this.retryable = init.retryable;
    this.ambiguous = init.ambiguous;
    this.httpStatus = init.httpStatus;
  }
}

export function isHoiioError(error: unknown): error is HoiioError {
  return error instanceof HoiioError;
}

/** The environment does not describe a usable Hoiio account. Issues name the variable, never a token's value. */
export class HoiioConfigError extends HoiioError {
  readonly retryable = false;
  readonly issues: readonly HoiioInputIssue[];

  constructor(issues: readonly HoiioInputIssue[]) {
    super(`Invalid Hoiio configuration: ${describeInputIssues(issues)}`);
    this.issues = issues;
  }
}
