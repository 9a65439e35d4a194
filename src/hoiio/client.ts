import { z } from 'zod';
import { HoiioInputError } from './errors';
import {
  conferenceCallParams,
  historyParams,
  ivrDialParams,
  ivrGatherParams,
  ivrHangupParams,
  ivrTransferParams,
  moderateParams,
  rateParams,
  txnRefParams,
  validateParams,
  type ConferenceCallParams,
  type HistoryParams,
  type IvrDialParams,
  type IvrGatherParams,
  type IvrHangupParams,
  type IvrTransferParams,
  type ModerateParams,
  type RateParams,
} from './params';
import {
  parseBalanceReply,
  parseCallRecordReply,
  parseConferenceCallReply,
  parseHistoryReply,
  parseIvrDialReply,
  parseIvrTransferReply,
  parseRateReply,
  type Balance,
  type ConferenceCallResult,
  type HistoryPage,
  type HoiioCallRecord,
  type IvrDialResult,
  type IvrTransferResult,
  type RateQuote,
} from './replies';
import { HoiioSecret, toSecret } from './secret';
import { DEFAULT_TIMEOUTS, HoiioTransport, type HoiioTimeouts } from './transport';

/** The simulator's address (`npm start`), the default everywhere so that nothing reaches the paid API by accident. */
export const SIMULATOR_BASE_URL = 'http://127.0.0.1:4010/open/';

export const HOIIO_ENDPOINTS = {
  conferenceCall: 'conference/call',
  /** The path every SDK used (docs/hoiio-api.md); same parameters, txn_refs possibly comma-joined. */
  legacyConference: 'voice/conference',
  moderate: 'conference/moderate',
  queryStatus: 'voice/query_status',
  hangup: 'voice/hangup',
  getHistory: 'voice/get_history',
  getRate: 'voice/get_rate',
  getBalance: 'user/get_balance',
  ivrDial: 'ivr/start/dial',
  ivrGather: 'ivr/middle/gather',
  ivrTransfer: 'ivr/end/transfer',
  ivrHangup: 'ivr/end/hangup',
} as const;

export interface HoiioClientOptions {
  /** Like `http://127.0.0.1:4010/open/`; endpoint paths are appended. Defaults to the local simulator. */
  baseUrl?: string | URL;
  appId: string;
  /** Wrapped in a HoiioSecret internally; pass one to keep it redacted on your side too. */
  accessToken: string | HoiioSecret;
  timeouts?: Partial<HoiioTimeouts>;
  /** Most sockets open to Hoiio at once (default 8, matching the 8 concurrent calls an account may place). */
  connections?: number;
  /** Send conference dials to the legacy `voice/conference` path instead of `conference/call`. */
  conferenceEndpoint?: typeof HOIIO_ENDPOINTS.conferenceCall | typeof HOIIO_ENDPOINTS.legacyConference;
  userAgent?: string;
}

export interface RequestOptions {
  /** Cancels the request (e.g. an activity's cancellation signal); the failure is then ambiguous. */
  signal?: AbortSignal;
}

const timeoutMs = z.number().int('must be whole milliseconds').positive('must be more than 0 ms');

/**
 * Strict, so a misspelt option fails. The token is only let through here and checked apart, so that a bad one is
 * never quoted back in an error message.
 */
const clientOptions = z.strictObject({
  accessToken: z.unknown(),
  baseUrl: z
    .union([z.string(), z.instanceof(URL)])
    .default(SIMULATOR_BASE_URL)
    .transform((value) => String(value))
    .refine(
      (value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol),
      'must be an http:// or https:// URL such as http://127.0.0.1:4010/open/',
    )
    .refine(
      (value) => !URL.canParse(value) || (!new URL(value).search && !new URL(value).hash),
      'must not have a query or fragment',
    ),
  appId: z.string().trim().min(1, 'must be a non-empty Hoiio application id'),
  timeouts: z
    .strictObject({ connectMs: timeoutMs.optional(), headersMs: timeoutMs.optional(), bodyMs: timeoutMs.optional() })
    .optional(),
  connections: z.number().int().min(1, 'must be at least 1').optional(),
  conferenceEndpoint: z.enum([HOIIO_ENDPOINTS.conferenceCall, HOIIO_ENDPOINTS.legacyConference]).optional(),
  userAgent: z.string().min(1).optional(),
});

/**
 * One typed method per Hoiio endpoint the project uses. Each validates its parameters locally (HoiioInputError,
 * nothing sent), POSTs them form-encoded with app_id and access_token, and validates the reply: HoiioApiError for a
 * non-success status, HoiioTransportError when no usable answer came back. No retries here: callers (Temporal
 * activities) own the retry policy and, for dials, the reconciliation an ambiguous failure calls for.
 */
export class HoiioClient {
  readonly appId: string;
  readonly baseUrl: string;
  readonly #accessToken: HoiioSecret;
  readonly #transport: HoiioTransport;
  readonly #conferenceEndpoint: string;

  constructor(options: HoiioClientOptions) {
    const parsed = validateParams(undefined, clientOptions, options);
    const token = (options as { accessToken?: unknown }).accessToken;
    if (!(token instanceof HoiioSecret) && (typeof token !== 'string' || token.trim().length === 0)) {
      throw new HoiioInputError(undefined, [{ path: 'accessToken', message: 'must be a non-empty access token' }]);
    }
    this.#accessToken = toSecret(token);
    this.appId = parsed.appId;
    this.baseUrl = parsed.baseUrl;
    this.#conferenceEndpoint = parsed.conferenceEndpoint ?? HOIIO_ENDPOINTS.conferenceCall;
    this.#transport = new HoiioTransport({
      baseUrl: new URL(parsed.baseUrl),
      timeouts: { ...DEFAULT_TIMEOUTS, ...definedOnly(parsed.timeouts ?? {}) },
      connections: parsed.connections ?? 8,
      userAgent: parsed.userAgent ?? 'bridgekeeper-hoiio-client',
    });
  }

  /** Dials up to 8 numbers, one after another, into one room (created when `room` is left out). */
  async conferenceCall(params: ConferenceCallParams, options?: RequestOptions): Promise<ConferenceCallResult> {
    const endpoint = this.#conferenceEndpoint;
    const input = validateParams(endpoint, conferenceCallParams, params);
    const reply = await this.#post(
      endpoint,
      {
        dest: input.dest.join(','),
        room: input.room,
        caller_id: input.callerId,
        tag: input.tag,
        notify_url: input.notifyUrl,
      },
      options,
    );
    return parseConferenceCallReply(endpoint, reply, input.dest.length);
  }

  /** Kicks, mutes or unmutes one participant's leg. Limited to 60 requests a minute per application. */
  async moderate(params: ModerateParams, options?: RequestOptions): Promise<void> {
    const endpoint = HOIIO_ENDPOINTS.moderate;
    const input = validateParams(endpoint, moderateParams, params);
    await this.#post(endpoint, { txn_ref: input.txnRef, action: input.action }, options);
  }

  /** The state of one leg; duration and debit are absent while it is ongoing. */
  async queryStatus(txnRef: string, options?: RequestOptions): Promise<HoiioCallRecord> {
    const endpoint = HOIIO_ENDPOINTS.queryStatus;
    const input = validateParams(endpoint, txnRefParams, { txnRef });
    const reply = await this.#post(endpoint, { txn_ref: input.txnRef }, options);
    return parseCallRecordReply(endpoint, reply);
  }

  /** Ends one leg in progress. Limited to 60 requests a minute per application. */
  async hangup(txnRef: string, options?: RequestOptions): Promise<void> {
    const endpoint = HOIIO_ENDPOINTS.hangup;
    const input = validateParams(endpoint, txnRefParams, { txnRef });
    await this.#post(endpoint, { txn_ref: input.txnRef }, options);
  }

  /** One page (1-based, at most 100 entries) of the call history between `from` and `to` (GMT+8). */
  async getHistory(params: HistoryParams = {}, options?: RequestOptions): Promise<HistoryPage> {
    const endpoint = HOIIO_ENDPOINTS.getHistory;
    const input = validateParams(endpoint, historyParams, params);
    const reply = await this.#post(
      endpoint,
      { from: input.from, to: input.to, page: input.page === undefined ? undefined : String(input.page) },
      options,
    );
    return parseHistoryReply(endpoint, reply);
  }

  /** The per-minute rate of a call between two numbers. */
  async getRate(params: RateParams, options?: RequestOptions): Promise<RateQuote> {
    const endpoint = HOIIO_ENDPOINTS.getRate;
    const input = validateParams(endpoint, rateParams, params);
    const reply = await this.#post(endpoint, { dest1: input.dest1, dest2: input.dest2 }, options);
    return parseRateReply(endpoint, reply);
  }

  /** The account's credit: balance = points + bonus, in thousandths. */
  async getBalance(options?: RequestOptions): Promise<Balance> {
    const endpoint = HOIIO_ENDPOINTS.getBalance;
    const reply = await this.#post(endpoint, {}, options);
    return parseBalanceReply(endpoint, reply);
  }

  /**
   * Dials one number for an IVR call (docs/hoiio-api.md, "IVR") that speaks `msg` once answered. The answer comes
   * at once; how the call went comes later, as notifications to `notifyUrl`.
   */
  async ivrDial(params: IvrDialParams, options?: RequestOptions): Promise<IvrDialResult> {
    const endpoint = HOIIO_ENDPOINTS.ivrDial;
    const input = validateParams(endpoint, ivrDialParams, params);
    const reply = await this.#post(
      endpoint,
      {
        dest: input.dest,
        msg: input.msg,
        caller_id: input.callerId,
        max_duration: input.maxDuration === undefined ? undefined : String(input.maxDuration),
        tag: input.tag,
        notify_url: input.notifyUrl,
      },
      options,
    );
    return parseIvrDialReply(endpoint, reply);
  }

  /** A Gather block: speaks `msg`, collects keys, and notifies `notifyUrl` with the digits. */
  async ivrGather(params: IvrGatherParams, options?: RequestOptions): Promise<void> {
    const endpoint = HOIIO_ENDPOINTS.ivrGather;
    const input = validateParams(endpoint, ivrGatherParams, params);
    await this.#post(
      endpoint,
      {
        session: input.session,
        msg: input.msg,
        max_digits: input.maxDigits === undefined ? undefined : String(input.maxDigits),
        timeout: input.timeout === undefined ? undefined : String(input.timeout),
        attempts: input.attempts === undefined ? undefined : String(input.attempts),
        tag: input.tag,
        notify_url: input.notifyUrl,
      },
      options,
    );
  }

  /**
   * The Transfer block, an End block: into a conference room (`room`; '' lets Hoiio name a new one) or to a number
   * (`dest`). A successful transfer notifies only once the call has ended.
   */
  async ivrTransfer(params: IvrTransferParams, options?: RequestOptions): Promise<IvrTransferResult> {
    const endpoint = HOIIO_ENDPOINTS.ivrTransfer;
    const input = validateParams(endpoint, ivrTransferParams, params);
    const toRoom = input.room !== undefined;
    const reply = await this.#post(
      endpoint,
      {
        session: input.session,
        dest: toRoom ? `room:${input.room ?? ''}` : input.dest,
        msg: input.msg,
        caller_id: input.callerId,
        on_failure: input.onFailure,
        tag: input.tag,
        notify_url: input.notifyUrl,
      },
      options,
    );
    return parseIvrTransferReply(endpoint, reply, toRoom);
  }

  /** The Hangup block: after `msg`, or at once with `force` (even mid-block). */
  async ivrHangup(params: IvrHangupParams, options?: RequestOptions): Promise<void> {
    const endpoint = HOIIO_ENDPOINTS.ivrHangup;
    const input = validateParams(endpoint, ivrHangupParams, params);
    await this.#post(
      endpoint,
      {
        session: input.session,
        msg: input.msg,
        force: input.force ? 'enabled' : undefined,
        tag: input.tag,
        notify_url: input.notifyUrl,
      },
      options,
    );
  }

  /** Closes the connection pool; later requests fail with a non-retryable `closed` transport error. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  async #post(
    endpoint: string,
    params: Record<string, string | undefined>,
    options: RequestOptions | undefined,
  ): Promise<Record<string, unknown>> {
    const form = new URLSearchParams();
    form.set('app_id', this.appId);
    form.set('access_token', this.#accessToken.reveal());
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) form.set(name, value);
    }
    return this.#transport.post(endpoint, form, options?.signal);
  }
}

export function createHoiioClient(options: HoiioClientOptions): HoiioClient {
  return new HoiioClient(options);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
