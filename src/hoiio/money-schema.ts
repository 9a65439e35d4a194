import { z } from 'zod';
import { NON_NEGATIVE_MONEY_RULE, NON_NEGATIVE_MONEY_TEXT, parseMoney, type Thousandths } from '../domain/money';

/**
 * A rate or a debit as Hoiio writes it, read into exact thousandths. One rule for every way an amount reaches us
 * (a notification, a poll, a history page, a rate quote), because a negative debit subtracted from a bill or a
 * negative rate in a budget is wrong wherever it came from. The value itself is left out of the message, since a
 * notification's 400 reason reaches the log and the field may hold anything the sender chose.
 */
export const nonNegativeMoneyText = z.string().transform((text, ctx): Thousandths => {
  if (!NON_NEGATIVE_MONEY_TEXT.test(text)) {
    ctx.addIssue({ code: 'custom', message: NON_NEGATIVE_MONEY_RULE });
    return z.NEVER;
  }
  // Twelve whole digits keep the thousandths far below 2^53, so parseMoney cannot refuse what the pattern let in.
  return parseMoney(text);
});

/** The same in a JSON reply, where an amount may come as a number: 0.02 prints back as "0.02", exact to 3 decimals. */
export const nonNegativeMoney = z.union([z.string(), z.number().transform(String)]).pipe(nonNegativeMoneyText);
