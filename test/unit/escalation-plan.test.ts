import { policySchema, validateEscalationInput, formatProblems } from '../../src/domain/escalation-input';
import { nextPosition, pagingDeadline, slotsOf } from '../../src/domain/escalation-plan';

const A = '+6591110001';
const B = '+6591110002';
const C = '+6591110003';

function policy(raw: unknown) {
  return policySchema.parse(raw);
}

describe('escalation plan', () => {
  it('rings a simultaneous step together for its whole wait', () => {
    const p = policy({ steps: [{ notify: [A, { number: B, name: 'Bo' }], waitSeconds: 120 }] });
    expect(slotsOf(p, { round: 0, step: 0 })).toEqual([
      { responders: [{ number: A }, { number: B, name: 'Bo' }], ms: 120_000 },
    ]);
  });

  it('shares a sequential step among its responders, the last slot taking the remainder', () => {
    const p = policy({ steps: [{ notify: [A, B, C], mode: 'sequential', waitSeconds: 100 }] });
    const slots = slotsOf(p, { round: 3, step: 0 });
    expect(slots.map((slot) => [slot.responders[0]!.number, slot.ms])).toEqual([
      [A, 33_333],
      [B, 33_333],
      [C, 33_334],
    ]);
  });

  it('starts each repeat of a round-robin step one responder further along, counting from repeatFrom', () => {
    const p = policy({
      steps: [
        { notify: [C], waitSeconds: 10 },
        { notify: [A, B, C], mode: 'round-robin', waitSeconds: 30 },
      ],
      repeat: 3,
      repeatFrom: 1,
    });
    const firsts = [0, 1, 2, 3].map((round) => slotsOf(p, { round, step: 1 })[0]!.responders[0]!.number);
    expect(firsts).toEqual([A, B, C, A]);
  });

  it('goes step by step, then repeats from repeatFrom as often as asked, then stops', () => {
    const p = policy({
      steps: [
        { notify: [A], waitSeconds: 10 },
        { notify: [B], waitSeconds: 10 },
      ],
      repeat: 1,
      repeatFrom: 1,
    });
    const visited = [];
    for (let at: ReturnType<typeof nextPosition> = { round: 0, step: 0 }; at; at = nextPosition(p, at))
      visited.push(at);
    expect(visited).toEqual([
      { round: 0, step: 0 },
      { round: 0, step: 1 },
      { round: 1, step: 1 },
    ]);
  });

  it('repeats until acknowledged within maxMinutes (a day when unset)', () => {
    const p = policy({ steps: [{ notify: [A], waitSeconds: 10 }], repeat: 'until-acknowledged' });
    expect(nextPosition(p, { round: 500, step: 0 })).toEqual({ round: 501, step: 0 });
    expect(pagingDeadline(p, 1_000, 1440)).toBe(1_000 + 1440 * 60_000);
    expect(pagingDeadline(policy({ steps: [{ notify: [A], waitSeconds: 10 }] }), 0, 1440)).toBeUndefined();
  });

  it('names the bad value and the rule for every problem in an input', () => {
    const checked = validateEscalationInput({
      incident: { id: 'INC 42', title: '' },
      policy: {
        steps: [{ notify: ['+65 9111 0001'], mode: 'loud', waitSeconds: 5 }],
        repeat: 'forever',
        repeatFrom: 3,
        ackDigit: '1',
        declineDigit: '1',
        maxCost: '1.0001',
      },
      bridge: { room: 'inc 42', alsoDial: [A, B, C, A] },
    });
    expect(checked.ok).toBe(false);
    const text = checked.ok ? '' : formatProblems(checked.problems);
    for (const expected of [
      'incident.id = "INC 42": must be 1 to 64 characters',
      'incident.title = "": must not be empty',
      'policy.steps[0].notify[0] = "+65 9111 0001": must be E.164',
      'policy.steps[0].mode = "loud"',
      'policy.steps[0].waitSeconds = 5',
      'policy.repeat = "forever": must be a whole number from 0 to 100 or "until-acknowledged"',
      'policy.maxCost = "1.0001"',
      'bridge.room = "inc 42"',
      'bridge.alsoDial[3] = "+6591110001": is listed twice (first at [0])',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('checks repeatFrom and the two digits against each other', () => {
    const checked = validateEscalationInput({
      incident: { id: 'INC-1', title: 'x' },
      policy: { steps: [{ notify: [A], waitSeconds: 10 }], repeatFrom: 1, ackDigit: '#', declineDigit: '#' },
      bridge: { room: 'r' },
    });
    const text = checked.ok ? '' : formatProblems(checked.problems);
    expect(text).toContain('policy.repeatFrom = 1: must name one of the 1 steps (0 to 0)');
    expect(text).toContain('policy.declineDigit = "#": must differ from ackDigit');
  });
});
