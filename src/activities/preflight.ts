import { Context } from '@temporalio/activity';
import { formatMoney } from '../domain/money';
import type { PreflightReadings } from '../domain/preflight';
import type { HoiioClient } from '../hoiio/client';
import { HoiioApiError } from '../hoiio/errors';
import { attemptSignal } from './attempt';
import { toFailure } from './hoiio-failure';

export interface PreflightRequest {
  account: string;
  /** The roster's numbers, in roster order. */
  numbers: string[];
}

type Quote = Omit<PreflightReadings['rates'][number], 'number'>;

/**
 * Numbers that share their first four digits are priced alike (docs/hoiio-api.md, "Assumptions"): rates go by
 * destination prefix, and four digits hold a country code and the start of its national ranges (mobile or fixed).
 * One request per prefix keeps a large roster within get_rate's 60 requests a minute.
 */
const RATE_PREFIX_LENGTH = '+6591'.length;

/** A rate read is reused by this worker's pre-flights for this long: Hoiio's rates change rarely. */
export const RATE_REUSE_MS = 60 * 60_000;
/**
 * Balance reads of one account start at least this far apart, so one worker stays within get_balance's 60 requests a
 * minute however many sessions start at once; the pre-flights that ask meanwhile share the next read.
 */
export const BALANCE_READ_SPACING_MS = 1_000;

/** Heartbeat details: the rates read so far, so a retry after a rate limit goes on where the last attempt stopped. */
interface RatesSoFar {
  byPrefix: [string, Quote][];
}

/** The reads a session makes before its first dial: nothing here dials, and nothing the workflow gets is a secret. */
export function createPreflightActivities(clientFor: (account: string) => HoiioClient) {
  const sharedRates = new SharedReads<Quote>(RATE_REUSE_MS);
  const balances = new FreshReads<PreflightReadings['balance']>(BALANCE_READ_SPACING_MS);
  return {
    /**
     * The per-minute rate of a conference leg to each number (voice/get_rate, once per prefix), then the balance
     * (user/get_balance). Both are limited to 60 requests a minute: a rate limit fails the attempt (retried with
     * backoff), and the rates already read are kept in the heartbeat, so the next attempt goes on from there.
     */
    async preflightCheck(request: PreflightRequest): Promise<PreflightReadings> {
      const context = Context.current();
      const earlier = context.info.heartbeatDetails as RatesSoFar | undefined;
      const byPrefix = new Map(earlier?.byPrefix ?? []);
      const client = clientFor(request.account);
      try {
        const rates: PreflightReadings['rates'] = [];
        for (const number of request.numbers) {
          const prefix = number.slice(0, RATE_PREFIX_LENGTH);
          let quote = byPrefix.get(prefix);
          if (!quote) {
            let ours = false;
            const shared = await sharedRates.read(
              `${request.account} ${prefix}`,
              () => {
                ours = true;
                return legRate(client, number);
              },
              (q) => !!q.rate,
            );
            // Another number's refusal says nothing of this one: it is asked about itself.
            quote = shared.rate || ours ? shared : await legRate(client, number);
            // A refusal is the number's own (an invalid one): the next number of its prefix is asked about itself.
            if (quote.rate) {
              byPrefix.set(prefix, quote);
              context.heartbeat({ byPrefix: [...byPrefix] } satisfies RatesSoFar);
            }
          }
          rates.push({ number, ...quote });
        }
        const balance = await balances.read(request.account, async () => {
          const read = await client.getBalance({ signal: attemptSignal() });
          return { currency: read.currency, amount: formatMoney(read.balance) };
        });
        return { balance, rates };
      } catch (error) {
        throw toFailure(error);
      }
    },
  };
}

/**
 * voice/get_rate prices a two-leg call, dest1 plus dest2; a conference leg has one destination, so it is priced as
 * half of a call from the number to itself, rounded up to the thousandth (docs/hoiio-api.md, "Assumptions"). A
 * number Hoiio will not price (invalid, not supported) is kept as refused: its dial fails on its own and costs
 * nothing.
 */
async function legRate(client: HoiioClient, number: string): Promise<Quote> {
  try {
    const quote = await client.getRate({ dest1: number, dest2: number }, { signal: attemptSignal() });
    return { rate: { currency: quote.currency, amount: formatMoney(Math.ceil(quote.rate / 2)) } };
  } catch (error) {
    if (error instanceof HoiioApiError && error.scope === 'number') return { refused: error.status };
    throw error;
  }
}

/**
 * Rate reads shared by this worker's activities: a read in flight, or done less than `reuseMs` ago, answers whoever
 * asks for the same key, so concurrent pre-flights make one request. A failed read is not kept.
 */
class SharedReads<T> {
  private readonly reads = new Map<string, { doneAt?: number; value: Promise<T> }>();

  constructor(private readonly reuseMs: number) {}

  read(key: string, fetch: () => Promise<T>, keep: (value: T) => boolean): Promise<T> {
    const earlier = this.reads.get(key);
    if (earlier && (earlier.doneAt === undefined || Date.now() - earlier.doneAt < this.reuseMs)) return earlier.value;
    const entry: { doneAt?: number; value: Promise<T> } = { value: fetch() };
    this.reads.set(key, entry);
    const forget = (): void => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    };
    entry.value.then((result) => (keep(result) ? (entry.doneAt = Date.now()) : forget()), forget);
    return entry.value;
  }
}

/**
 * Reads that are never older than the question, shared by this worker's activities: whoever asks is answered by a
 * read of its key that starts after it asked (a session started after a top-up or a spend sees it), and reads of one
 * key start at least `spacingMs` apart, so everyone who asks while the next read waits for its turn shares it.
 */
class FreshReads<T> {
  private readonly keys = new Map<string, { lastStart: number; next?: Promise<T> }>();

  constructor(private readonly spacingMs: number) {}

  read(key: string, fetch: () => Promise<T>): Promise<T> {
    let line = this.keys.get(key);
    if (!line) this.keys.set(key, (line = { lastStart: Number.NEGATIVE_INFINITY }));
    if (line.next) return line.next;
    const wait = line.lastStart + this.spacingMs - Date.now();
    if (wait <= 0) {
      line.lastStart = Date.now();
      return fetch();
    }
    const next = new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => {
      line.next = undefined;
      line.lastStart = Date.now();
      return fetch();
    });
    line.next = next;
    return next;
  }
}
