import { z } from 'zod';
import { validateEscalationInput } from '../../src/domain/escalation-input';
import { formatProblem, inputRule, showValue } from '../../src/domain/input-text';
import { formatProblems, validateSessionInput } from '../../src/domain/session-input';

describe('showValue', () => {
  it('quotes a short value whole', () => {
    expect(showValue('+65abc')).toBe('"+65abc"');
    expect(showValue('x'.repeat(40))).toBe(JSON.stringify('x'.repeat(40)));
    expect(showValue(11)).toBe('11');
    expect(showValue(true)).toBe('true');
  });

  it('cuts a long string after 40 characters and says how long it was', () => {
    const long = `+${'9'.repeat(299)}`;
    expect(showValue(long)).toBe(`"+${'9'.repeat(39)}… (300 characters)`);
  });

  it('counts characters, not UTF-16 units, and never splits one', () => {
    const shown = showValue('☎️📞'.repeat(30));
    expect(shown).toMatch(/… \(90 characters\)$/);
    expect(shown).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('cuts long JSON of other values too', () => {
    expect(showValue(Array.from({ length: 50 }, (_, i) => i))).toMatch(/^\[0,1,2,.*… \(\d+ characters\)$/);
  });
});

describe('formatProblem', () => {
  it('is where = value: rule, or where: rule without a value', () => {
    expect(formatProblem('room', 'a b', 'must be 1 to 32 characters')).toBe('room = "a b": must be 1 to 32 characters');
    expect(formatProblem('participants', undefined, 'needs at least one participant')).toBe(
      'participants: needs at least one participant',
    );
  });
});

describe('one wording for zod rules and ours', () => {
  it('words the tag limit like every other rule, and cuts the 300-character tag', () => {
    const checked = validateSessionInput({ participants: ['+6591234567'], tag: 'x'.repeat(300) });
    expect(checked.ok).toBe(false);
    const text = checked.ok ? '' : formatProblems(checked.problems);
    expect(text).toBe(`tag = "${'x'.repeat(40)}… (300 characters): must be at most 200 characters`);
  });

  it('leaves none of zod own phrasing in a bad session input', () => {
    const checked = validateSessionInput({
      participants: [{ number: '+6591234567', name: '' }],
      tag: '',
      redial: { busy: { attempts: 11, delaySeconds: 1.5 } },
      notificationGraceSeconds: 0,
      deadlineSeconds: '60',
      colour: 'red',
    });
    expect(checked.ok).toBe(false);
    const problems = checked.ok ? [] : checked.problems;
    expect(problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'participants[0].name: must not be empty',
      'tag: must not be empty',
      'redial.busy.attempts: must be at most 10',
      'redial.busy.delaySeconds: must be a whole number',
      'notificationGraceSeconds: must be at least 1',
      'deadlineSeconds: must be a number',
      ': must not have the field "colour"',
    ]);
    expect(formatProblems(problems)).toContain('(input): must not have the field "colour"');
  });

  it('says a missing field is required and an enum lists its values', () => {
    const checked = validateEscalationInput({
      incident: { id: 'INC-1', title: 'x' },
      policy: { steps: [{ notify: ['+6591110001'], mode: 'loud' }] },
      bridge: { room: 'inc_1' },
    });
    const text = checked.ok ? '' : formatProblems(checked.problems);
    expect(text).toContain('policy.steps[0].mode = "loud": must be one of "simultaneous", "sequential", "round-robin"');
    expect(text).toContain('policy.steps[0].waitSeconds: is required');
  });

  it("keeps a schema's own message over the general wording", () => {
    const schema = z.object({
      list: z.array(z.string()).max(1, 'at most one, please'),
      other: z.array(z.string()).max(1),
    });
    const parsed = schema.safeParse({ list: ['a', 'b'], other: ['a', 'b'] }, { error: inputRule });
    expect(parsed.error?.issues.map((issue) => issue.message)).toEqual([
      'at most one, please',
      'must have at most 1 entry',
    ]);
  });
});
