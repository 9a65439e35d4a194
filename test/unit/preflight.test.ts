import { maxCostReached } from '../../src/domain/cost-cap';
import { decidePreflight, DEFAULT_EXPECTED_MINUTES, type PreflightReadings } from '../../src/domain/preflight';
import { validateSessionInput } from '../../src/domain/session-input';

const sgd = (amount: string) => ({ currency: 'SGD', amount });

function readings(balance: string, rates: (string | { refused: string } | [string, string])[]): PreflightReadings {
  return {
    balance: sgd(balance),
    rates: rates.map((rate, i) => {
      const number = `+659000000${i}`;
      if (typeof rate === 'string') return { number, rate: sgd(rate) };
      if (Array.isArray(rate)) return { number, rate: { currency: rate[0], amount: rate[1] } };
      return { number, refused: rate.refused };
    }),
  };
}

describe('decidePreflight', () => {
  it('forecasts participants × per-minute rate × expected minutes, exactly, and dials all when covered', () => {
    const decision = decidePreflight(readings('1.000', ['0.020', '0.050']), {
      expectedMinutes: 10,
      onShortCredit: 'refuse',
    });
    expect(decision).toEqual({
      dial: 'all',
      figures: { expectedMinutes: 10, balance: sgd('1.000'), forecast: [sgd('0.700')] },
    });
  });

  it('is exact to the thousandth and covers a forecast equal to the balance', () => {
    const decision = decidePreflight(readings('0.021', ['0.001', '0.001', '0.001']), {
      expectedMinutes: 7,
      onShortCredit: 'refuse',
    });
    expect(decision).toMatchObject({ dial: 'all', figures: { forecast: [sgd('0.021')] } });
  });

  it('refuses a forecast over the balance, naming both, the participants and the minutes', () => {
    const decision = decidePreflight(readings('0.100', ['0.020', '0.020', '0.020']), {
      expectedMinutes: DEFAULT_EXPECTED_MINUTES,
      onShortCredit: 'refuse',
    });
    expect(decision.dial).toBe('none');
    const message = decision.dial === 'none' ? decision.message : '';
    expect(message).toContain('SGD 1.800');
    expect(message).toContain('SGD 0.100');
    expect(message).toContain('3 participants');
    expect(message).toContain(`${DEFAULT_EXPECTED_MINUTES} min`);
    expect(message).toContain('nobody was dialed');
  });

  it('with partial, dials the roster prefix the balance covers and names the rest', () => {
    const input = readings('1.000', ['0.020', '0.050', '0.020', '0.020', '0.001']);
    const decision = decidePreflight(input, { expectedMinutes: 10, onShortCredit: 'partial' });
    expect(decision).toEqual({
      dial: 'some',
      // The fifth would fit on its own, but a partial run is a prefix of the roster: who comes first goes first.
      notDialed: [input.rates[3]!.number, input.rates[4]!.number],
      figures: {
        expectedMinutes: 10,
        balance: sgd('1.000'),
        forecast: [sgd('1.110')],
        partial: { dialed: 3, notDialed: 2, forecast: [sgd('0.900')] },
      },
    });
  });

  it('with partial, refuses when not even the first participant is covered', () => {
    const decision = decidePreflight(readings('0.100', ['0.020']), { expectedMinutes: 30, onShortCredit: 'partial' });
    expect(decision.dial).toBe('none');
  });

  it('counts a number Hoiio will not price as costing nothing: its dial is refused on its own', () => {
    const decision = decidePreflight(readings('0.200', ['0.020', { refused: 'error_dest1_not_supported' }]), {
      expectedMinutes: 10,
      onShortCredit: 'refuse',
    });
    expect(decision).toMatchObject({ dial: 'all', figures: { forecast: [sgd('0.200')] } });
  });

  it('refuses a rate in a currency the balance is not in: there is nothing to pay it from', () => {
    const decision = decidePreflight(readings('100.000', ['0.020', ['USD', '0.030']]), {
      expectedMinutes: 10,
      onShortCredit: 'refuse',
    });
    expect(decision.dial).toBe('none');
    expect(decision.figures.forecast).toEqual([sgd('0.200'), { currency: 'USD', amount: '0.300' }]);
    expect(decision.dial === 'none' ? decision.message : '').toContain('USD 0.300');
  });
});

describe('maxCostReached', () => {
  const spent = (debit: string) => [{ currency: 'SGD', debit, minutes: 1 }];

  it('says why once the cost so far reaches the cap in its currency', () => {
    expect(maxCostReached({ SGD: '0.100' }, spent('0.099'))).toBeUndefined();
    expect(maxCostReached({ SGD: '0.100' }, spent('0.100'))).toBe('maxCost SGD 0.100 reached: SGD 0.100 spent');
    expect(maxCostReached({ SGD: '0.100' }, spent('0.120'))).toBe('maxCost SGD 0.100 reached: SGD 0.120 spent');
  });

  it('caps each currency on its own', () => {
    expect(maxCostReached({ USD: '0.050' }, spent('9.000'))).toBeUndefined();
    expect(maxCostReached({ USD: '0.050', SGD: '1' }, spent('1.000'))).toBe(
      'maxCost SGD 1.000 reached: SGD 1.000 spent',
    );
  });
});

describe('session input: pre-flight and maxCost', () => {
  const participants = ['+6591230001'];

  it('accepts expectedMinutes, onShortCredit and maxCost per currency', () => {
    const input = { participants, expectedMinutes: 15, onShortCredit: 'partial', maxCost: { SGD: '5.000' } };
    expect(validateSessionInput(input)).toEqual({ ok: true, value: input });
  });

  it('names every bad value and its rule', () => {
    const checked = validateSessionInput({
      participants,
      expectedMinutes: 0,
      onShortCredit: 'maybe',
      maxCost: { SGD: '5.0001', sgd: '1.000', USD: '0' },
    });
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    const text = problems.map((p) => `${p.path} = ${JSON.stringify(p.value)}: ${p.message}`).join('\n');
    expect(text).toMatch(/expectedMinutes = 0: .*1/);
    expect(text).toMatch(/onShortCredit = "maybe": .*refuse.*partial/);
    expect(text).toMatch(/maxCost\.SGD = "5\.0001": must be a non-negative decimal/);
    expect(text).toMatch(/maxCost\.sgd.*ISO 4217/);
    expect(text).toMatch(/maxCost\.USD = "0": must be more than 0/);
  });

  it('refuses an empty maxCost', () => {
    expect(validateSessionInput({ participants, maxCost: {} })).toMatchObject({
      ok: false,
      problems: [{ path: 'maxCost', message: expect.stringContaining('at least one currency') as unknown }],
    });
  });
});
