import { z } from 'zod';
import { parseHoiioDate } from '../domain/hoiio-time';
import { parseMoney, type Thousandths } from '../domain/money';
import { HoiioApiError, HoiioTransportError } from './errors';
import { nonNegativeMoney } from './money-schema';
import { SUCCESS } from './statuses';

/**
 * Reply parsing, pure so it can be tested without a network. Hoiio writes every number as a JSON string ("7",
 * "0.020") and money with three decimals, so counts become integers and money becomes integer thousandths through
 * parseMoney: a float never holds an amount, and rates and debits are never negative. Empty strings count as absent, since loosely built JSON APIs of that
 * era send `""` for "no value"; unknown extra fields are ignored so that a new Hoiio field breaks nothing.
 */

export const callStatuses = ['answered', 'unanswered', 'failed', 'busy', 'ongoing'] as const;
export type CallStatus = (typeof callStatuses)[number];

/** One call leg as voice/query_status and voice/get_history describe it. */
export interface HoiioCallRecord {
  txnRef: string;
  tag?: string;
  /** An IVR call's session id, where the record gives one (the simulator's does; Hoiio's is not documented). */
  session?: string;
  dest?: string;
  callStatus: CallStatus;
  /** GMT+8 "YYYY-MM-DD HH:MM:SS", as Hoiio wrote it. */
  date?: string;
  /** `date` as epoch milliseconds, for arithmetic. */
  dateEpochMs?: number;
  /** Whole billed minutes; absent while the call is ongoing. */
  durationMinutes?: number;
  currency?: string;
  /** Per-minute rate. */
  rate?: Thousandths;
  /** Total charge; absent while the call is ongoing. */
  debit?: Thousandths;
}

export interface ConferenceCallResult {
  /** One per destination, in the order of `dest`. */
  txnRefs: string[];
  room: string;
}

/** ivr/start/dial's answer: the call's IVR session (every later block names it) and its transaction. */
export interface IvrDialResult {
  session: string;
  txnRef: string;
}

/** ivr/end/transfer's answer: the room, when the transfer was into one. */
export interface IvrTransferResult {
  room?: string;
}

export interface HistoryPage {
  entriesCount: number;
  totalEntriesCount: number;
  entries: HoiioCallRecord[];
}

export interface RateQuote {
  currency: string;
  rate: Thousandths;
  talktimeMinutes?: number;
}

export interface Balance {
  currency: string;
  balance: Thousandths;
  points: Thousandths;
  bonus: Thousandths;
}

const absentIfEmpty = (value: unknown): unknown => (value === '' || value === null ? undefined : value);

function optional<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess(absentIfEmpty, schema.optional());
}

const text = z.string().min(1);

const count = z
  .union([z.string().regex(/^\d{1,15}$/, 'expected a whole number written as a string'), z.number().int().min(0)])
  .transform(Number);

/** Signed, for balances only: whether a postpaid balance can go below zero is not documented, so it is not refused. */
const signedMoney = z.union([z.string(), z.number()]).transform((value, ctx): Thousandths => {
  try {
    return parseMoney(String(value));
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const currency = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code');

const hoiioDate = z.string().refine((value) => parseHoiioDate(value) !== undefined, 'expected "YYYY-MM-DD HH:MM:SS"');

/**
 * A conference leg is reported in dest1/call_status_dest1 (voice/query_status's two-leg shape); the notification's
 * single-leg names dest/call_status_dest are accepted too, since which one Hoiio uses for a conference leg is not
 * documented (docs/hoiio-api.md, "voice/query_status").
 */
const rawCallRecord = z.looseObject({
  txn_ref: text,
  tag: optional(z.string()),
  session: optional(z.string()),
  dest: optional(z.string()),
  dest1: optional(z.string()),
  call_status_dest: optional(z.enum(callStatuses)),
  call_status_dest1: optional(z.enum(callStatuses)),
  date: optional(hoiioDate),
  duration: optional(count),
  currency: optional(currency),
  rate: optional(nonNegativeMoney),
  debit: optional(nonNegativeMoney),
});

const callRecord = rawCallRecord.transform((raw, ctx): HoiioCallRecord => {
  const callStatus = raw.call_status_dest1 ?? raw.call_status_dest;
  if (callStatus === undefined) {
    ctx.addIssue({ code: 'custom', path: ['call_status_dest1'], message: 'missing call status' });
    return z.NEVER;
  }
  const record: HoiioCallRecord = { txnRef: raw.txn_ref, callStatus };
  const dest = raw.dest1 ?? raw.dest;
  if (raw.tag !== undefined) record.tag = raw.tag;
  if (raw.session !== undefined) record.session = raw.session;
  if (dest !== undefined) record.dest = dest;
  if (raw.date !== undefined) {
    record.date = raw.date;
    record.dateEpochMs = parseHoiioDate(raw.date);
  }
  if (raw.currency !== undefined) record.currency = raw.currency;
  if (raw.rate !== undefined) record.rate = raw.rate;
  // Hoiio leaves duration and debit out while the call is ongoing; a placeholder "0" then would read as a bill.
  if (callStatus !== 'ongoing') {
    if (raw.duration !== undefined) record.durationMinutes = raw.duration;
    if (raw.debit !== undefined) record.debit = raw.debit;
  }
  return record;
});

/** `txn_refs` is a JSON array on conference/call; the legacy voice/conference answered a comma-joined string. */
const txnRefs = z
  .union([z.array(text), z.string()])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((ref) => ref.trim()).filter(Boolean));

const conferenceCallReply = z.looseObject({ txn_refs: txnRefs, room: text });

const ivrDialReply = z.looseObject({ session: text, txn_ref: text });

const ivrTransferReply = z.looseObject({ room: optional(text) });

const historyReply = z.looseObject({
  entries_count: count,
  total_entries_count: count,
  entries: z.preprocess(absentIfEmpty, z.array(callRecord).default([])),
});

const rateReply = z.looseObject({ currency, rate: nonNegativeMoney, talktime: optional(count) });

const balanceReply = z.looseObject({ currency, balance: signedMoney, points: signedMoney, bonus: signedMoney });

/**
 * Reads a reply body: a JSON object with a string `status`, or a HoiioTransportError (the body is not a Hoiio answer,
 * e.g. a proxy's HTML page; Hoiio may have acted, so it is ambiguous). A non-success status throws HoiioApiError.
 */
export function readEnvelope(endpoint: string, body: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw nonJson(endpoint, 'the body is not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw nonJson(endpoint, 'the body is not a JSON object');
  }
  const envelope = json as Record<string, unknown>;
  if (typeof envelope.status !== 'string' || envelope.status.length === 0) {
    throw nonJson(endpoint, 'the JSON object has no status');
  }
  if (envelope.status !== SUCCESS) throw new HoiioApiError(endpoint, envelope.status);
  return envelope;
}

function nonJson(endpoint: string, detail: string): HoiioTransportError {
  return new HoiioTransportError({ endpoint, reason: 'non_json', retryable: true, ambiguous: true, detail });
}

/**
 * Parses a success reply. A mismatch is a contract problem that a retry will not fix (not retryable), yet Hoiio said
 * success_ok and may have dialed (ambiguous).
 */
function parseSuccess<Schema extends z.ZodType>(endpoint: string, schema: Schema, reply: unknown): z.output<Schema> {
  const result = schema.safeParse(reply);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(reply)'}: ${issue.message}`);
  throw invalidReply(endpoint, problems.join('; '));
}

function invalidReply(endpoint: string, detail: string): HoiioTransportError {
  return new HoiioTransportError({ endpoint, reason: 'invalid_reply', retryable: false, ambiguous: true, detail });
}

export function parseConferenceCallReply(endpoint: string, reply: unknown, destCount: number): ConferenceCallResult {
  const parsed = parseSuccess(endpoint, conferenceCallReply, reply);
  if (parsed.txn_refs.length !== destCount) {
    // Without one txn_ref per number we cannot tell which leg is whose: never guess.
    throw invalidReply(endpoint, `txn_refs has ${parsed.txn_refs.length} entries for ${destCount} destinations`);
  }
  return { txnRefs: parsed.txn_refs, room: parsed.room };
}

export function parseIvrDialReply(endpoint: string, reply: unknown): IvrDialResult {
  const parsed = parseSuccess(endpoint, ivrDialReply, reply);
  return { session: parsed.session, txnRef: parsed.txn_ref };
}

export function parseIvrTransferReply(endpoint: string, reply: unknown, toRoom: boolean): IvrTransferResult {
  const parsed = parseSuccess(endpoint, ivrTransferReply, reply);
  // A transfer into a room that answers no room leaves us not knowing where the call went: never guess.
  if (toRoom && parsed.room === undefined) throw invalidReply(endpoint, 'room: missing for a transfer into a room');
  return parsed.room === undefined ? {} : { room: parsed.room };
}

export function parseCallRecordReply(endpoint: string, reply: unknown): HoiioCallRecord {
  return parseSuccess(endpoint, callRecord, reply);
}

export function parseHistoryReply(endpoint: string, reply: unknown): HistoryPage {
  const parsed = parseSuccess(endpoint, historyReply, reply);
  return {
    entriesCount: parsed.entries_count,
    totalEntriesCount: parsed.total_entries_count,
    entries: parsed.entries,
  };
}

export function parseRateReply(endpoint: string, reply: unknown): RateQuote {
  const parsed = parseSuccess(endpoint, rateReply, reply);
  const quote: RateQuote = { currency: parsed.currency, rate: parsed.rate };
  if (parsed.talktime !== undefined) quote.talktimeMinutes = parsed.talktime;
  return quote;
}

export function parseBalanceReply(endpoint: string, reply: unknown): Balance {
  const parsed = parseSuccess(endpoint, balanceReply, reply);
  return { currency: parsed.currency, balance: parsed.balance, points: parsed.points, bonus: parsed.bonus };
}
