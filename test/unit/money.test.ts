import { debitFor, formatMoney, parseMoney, sumMoney } from '../../src/domain/money';

describe('money in thousandths', () => {
  it.each([
    ['0.020', 20],
    ['0.14', 140],
    ['54', 54_000],
    ['54.650', 54_650],
    ['-1.5', -1_500],
    ['0.000', 0],
  ])('parses %s as %d thousandths', (text, expected) => {
    expect(parseMoney(text)).toBe(expected);
  });

  it.each(['', 'abc', '0.0201', '1e3', '1,5', '.5', ' - 1'])('rejects %j naming the value', (text) => {
    expect(() => parseMoney(text)).toThrow(JSON.stringify(text));
  });

  it.each(['999999999999999.999', '9007199254740.992', '-9007199254740.992'])(
    'rejects %s, whose thousandths are not a safe integer, naming the value and the rule',
    (text) => {
      expect(() => parseMoney(text)).toThrow(JSON.stringify(text));
      expect(() => parseMoney(text)).toThrow('safe integer');
    },
  );

  it('cuts a long bad amount in its message', () => {
    expect(() => parseMoney('1.'.repeat(150))).toThrow(`Invalid money amount "${'1.'.repeat(20)}… (300 characters): `);
  });

  it('accepts the largest amount whose thousandths are a safe integer', () => {
    expect(parseMoney('9007199254740.991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseMoney('-9007199254740.991')).toBe(-Number.MAX_SAFE_INTEGER);
  });

  it('formats with exactly three decimals', () => {
    expect(formatMoney(140)).toBe('0.140');
    expect(formatMoney(54_650)).toBe('54.650');
    expect(formatMoney(-5)).toBe('-0.005');
    expect(formatMoney(0)).toBe('0.000');
  });

  it('bills rate times whole minutes without float drift', () => {
    // 0.1 + 0.2 style drift would show up here with floats: 3 legs of 0.070 x 1 min = 0.210 exactly.
    const legs = [debitFor(parseMoney('0.070'), 1), debitFor(parseMoney('0.070'), 1), debitFor(parseMoney('0.070'), 1)];
    expect(formatMoney(sumMoney(legs))).toBe('0.210');
    expect(formatMoney(debitFor(parseMoney('0.020'), 7))).toBe('0.140');
  });

  it('refuses fractional thousandths and minutes', () => {
    expect(() => formatMoney(0.5)).toThrow('0.5');
    expect(() => debitFor(20, 1.5)).toThrow('1.5');
  });
});
