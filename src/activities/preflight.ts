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

/** Heartbeat details: the rates read so far, so a retry after a rate limit goes on where the last attempt stopped. */
interface RatesSoFar {
  rates: PreflightReadings['rates'];
}

/** The reads a session makes before its first dial: nothing here dials, and nothing the workflow gets is a secret. */
export function createPreflightActivities(clientFor: (account: string) => HoiioClient) {
  return {
    /**
     * The per-minute rate of a conference leg to each number (voice/get_rate), then the balance (user/get_balance).
     * Both are limited to 60 requests a minute: a rate limit fails the attempt (retried with backoff), and the rates
     * already read are kept in the heartbeat, so a large roster gets through a minute at a time.
     */
    async preflightCheck(request: PreflightRequest): Promise<PreflightReadings> {
      const context = Context.current();
      const earlier = context.info.heartbeatDetails as RatesSoFar | undefined;
      const rates = [...(earlier?.rates ?? [])];
      const client = clientFor(request.account);
      try {
        for (const number of request.numbers.slice(rates.length)) {
          rates.push(await legRate(client, number));
          context.heartbeat({ rates } satisfies RatesSoFar);
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
async function legRate(client: HoiioClient, number: string): Promise<PreflightReadings['rates'][number]> {
  try {
    const quote = await client.getRate({ dest1: number, dest2: number }, { signal: attemptSignal() });
    return { number, rate: { currency: quote.currency, amount: formatMoney(Math.ceil(quote.rate / 2)) } };
  } catch (error) {
    if (error instanceof HoiioApiError && error.scope === 'number') return { number, refused: error.status };
    throw error;
  }
}
