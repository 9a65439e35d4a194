/**
 * Money as integer thousandths of a currency unit. Hoiio quotes rates and debits with exactly three decimals
 * ("0.020"), so thousandths are exact; floats are not, and a summary must add up to the cent.
 */
import { showValue } from './input-text';

export type Thousandths = number;

const MONEY_TEXT = /^(-?)(\d{1,15})(?:\.(\d{1,3}))?$/;
/**
 * What a rate or a debit must look like: no sign, at most 3 decimals, and at most 12 whole digits, the cap the
 * callEnded payload schema (call-ended.ts) holds it to, so what the receiver accepts the session accepts too.
 */
export const NON_NEGATIVE_MONEY_TEXT = /^\d{1,12}(?:\.\d{1,3})?$/;
export const NON_NEGATIVE_MONEY_RULE =
  'must be a non-negative decimal with at most 12 digits before the point and 3 after, such as "0.020"';

/**
 * Parses a decimal string with at most three decimals ("0.02", "0.140", "54") into thousandths. Amounts past
 * ±9007199254740.991 are refused: their thousandths would not be a safe integer, so sums would silently round.
 */
export function parseMoney(text: string): Thousandths {
  const match = MONEY_TEXT.exec(text.trim());
  if (!match) {
    throw new RangeError(`Invalid money amount ${showValue(text)}: expected a decimal with at most 3 decimals`);
  }
  const [, sign, whole = '', fraction = ''] = match;
  // BigInt first: the float product of 15 digits and 1000 may already be rounded, so checking it would be too late.
  const exact = BigInt(whole) * 1000n + BigInt(fraction.padEnd(3, '0'));
  if (exact > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(
      `Invalid money amount ${showValue(text)}: its thousandths must be a safe integer ` +
        `(at most ${formatMoney(Number.MAX_SAFE_INTEGER)} in magnitude)`,
    );
  }
  const value = Number(exact);
  return sign === '-' && value !== 0 ? -value : value;
}

/** Formats thousandths as a decimal string with exactly three decimals, as Hoiio does ("0.140"). */
export function formatMoney(amount: Thousandths): string {
  assertThousandths(amount);
  const sign = amount < 0 ? '-' : '';
  const magnitude = Math.abs(amount);
  const whole = Math.floor(magnitude / 1000);
  const fraction = String(magnitude % 1000).padStart(3, '0');
  return `${sign}${whole}.${fraction}`;
}

/** Debit for a leg: the per-minute rate times whole billed minutes. */
export function debitFor(rate: Thousandths, minutes: number): Thousandths {
  assertThousandths(rate);
  if (!Number.isSafeInteger(minutes) || minutes < 0) {
    throw new RangeError(`Invalid billed minutes ${minutes}: expected a whole number of minutes >= 0`);
  }
  const debit = rate * minutes;
  assertThousandths(debit);
  return debit;
}

export function sumMoney(amounts: Iterable<Thousandths>): Thousandths {
  let total = 0;
  for (const amount of amounts) {
    assertThousandths(amount);
    total += amount;
  }
  assertThousandths(total);
  return total;
}

function assertThousandths(amount: number): void {
  if (!Number.isSafeInteger(amount)) {
    throw new RangeError(`Invalid money amount ${amount}: expected an integer number of thousandths`);
  }
}
