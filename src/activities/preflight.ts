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

/** Heartbeat details: the rates read so far, so a retry after a rate limit goes on where the last attempt stopped. */
interface RatesSoFar {
  byPrefix: [string, Quote][];
}

/** The reads a session makes before its first dial: nothing here dials, and nothing the workflow gets is a secret. */
export function createPreflightActivities(clientFor: (account: string) => HoiioClient) {
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
            quote = await legRate(client, number);
            // A refusal is the number's own (an invalid one): the next number of its prefix is asked about itself.
            if (quote.rate) {
              byPrefix.set(prefix, quote);
              context.heartbeat({ byPrefix: [...byPrefix] } satisfies RatesSoFar);
            }
          }
          rates.push({ number, ...quote });
        }
        const balance = await client.getBalance({ signal: attemptSignal() });
        return { balance: { currency: balance.currency, amount: formatMoney(balance.balance) }, rates };
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
