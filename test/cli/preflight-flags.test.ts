/**
 * `call`'s pre-flight and cost-cap flags: `--expected-minutes`, `--allow-partial`, `--max-cost <currency>:<amount>`.
 * What they turn into is checked as a pure function; bad values are checked on the real CLI, which must exit 2
 * naming the value and the rule before it connects to anything (its Temporal address here leads nowhere).
 */
import { buildSessionInput } from '../../src/cli/session-args';
import { runCli } from './run-cli';

describe('call flags for pre-flight and maxCost', () => {
  it('become expectedMinutes, onShortCredit and maxCost per currency', () => {
    expect(
      buildSessionInput(['+6591234567'], {
        name: [],
        expectedMinutes: '15',
        allowPartial: true,
        maxCost: ['SGD:5.000', 'USD:2'],
      }),
    ).toEqual({
      ok: true,
      input: {
        participants: ['+6591234567'],
        expectedMinutes: 15,
        onShortCredit: 'partial',
        maxCost: { SGD: '5.000', USD: '2' },
      },
    });
  });

  it('names every bad value and its rule', () => {
    const built = buildSessionInput(['+6591234567'], {
      name: [],
      expectedMinutes: 'half an hour',
      maxCost: ['5.000', 'SGD:1.5555', 'USD:1', 'USD:2', 'sgd:1'],
    });
    expect(built.ok).toBe(false);
    const text = built.ok ? '' : built.problems.join('\n');
    expect(text).toContain('--expected-minutes "half an hour": must be a whole number of minutes');
    expect(text).toContain('--max-cost "5.000": must be <currency>:<amount>, e.g. SGD:5.000');
    expect(text).toContain('--max-cost "USD:2": must name a currency not capped already');
    expect(text).toMatch(/maxCost\.SGD = "1\.5555": must be a non-negative decimal/);
    expect(text).toContain('maxCost.sgd: must be an ISO 4217 currency code');
    expect(built.ok ? 0 : built.problems.length).toBe(5);
  });

  it.each([
    [['--expected-minutes', '0'], /expectedMinutes = 0: /],
    [['--expected-minutes', '2.5'], /--expected-minutes "2\.5": must be a whole number of minutes/],
    [['--max-cost', 'SGD'], /--max-cost "SGD": must be <currency>:<amount>/],
    [['--max-cost', 'SGD:-1'], /maxCost\.SGD = "-1": must be a non-negative decimal/],
    [['--max-cost', 'SGD:0'], /maxCost\.SGD = "0": must be more than 0/],
  ])('the CLI exits 2 on %j, naming the value and the rule, and connects to nothing', async (flags, problem) => {
    const run = await runCli(['call', '+6591234567', ...flags], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(problem);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
