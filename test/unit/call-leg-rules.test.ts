import {
  batchTag,
  pairWithPermits,
  permitMoves,
  releasablePermits,
  sortUnplaced,
} from '../../src/domain/call-leg-rules';

describe('call-leg rules', () => {
  it('asks for what is missing, withdraws what is no longer wanted, and gives spare permits back', () => {
    expect(permitMoves(5, { available: 1, pending: 2 })).toEqual({ request: 2, cancelPending: false, giveBack: 0 });
    expect(permitMoves(3, { available: 1, pending: 2 })).toEqual({ request: 0, cancelPending: false, giveBack: 0 });
    expect(permitMoves(0, { available: 0, pending: 2 })).toEqual({ request: 0, cancelPending: true, giveBack: 0 });
    expect(permitMoves(2, { available: 5, pending: 0 })).toEqual({ request: 0, cancelPending: false, giveBack: 3 });
    // Pending requests are kept while anything is wanted: a grant on its way is not worth withdrawing.
    expect(permitMoves(1, { available: 0, pending: 4 })).toEqual({ request: 0, cancelPending: false, giveBack: 0 });
  });

  it('releases only permits that neither a dial in flight nor an active leg holds', () => {
    expect(releasablePermits(['p1', 'p2', 'p3', 'p4'], new Set(['p2']), ['p3'])).toEqual(['p1', 'p4']);
    expect(releasablePermits([], new Set(), [])).toEqual([]);
  });

  it('binds legs to permits in order, and leaves legs unbound when permits run out', () => {
    expect(pairWithPermits(['a', 'b', 'c'], ['p1', 'p2'])).toEqual([
      ['a', 'p1'],
      ['b', 'p2'],
      ['c', undefined],
    ]);
    expect(pairWithPermits(['a'], ['p1', 'p2'])).toEqual([['a', 'p1']]);
  });

  it('may dial again numbers of a batch that placed nothing, never those of a batch that placed part', () => {
    expect(sortUnplaced({ legs: [], notPlaced: ['+1', '+2'] })).toEqual({ notPlaced: ['+1', '+2'], unknown: [] });
    expect(sortUnplaced({ legs: [{}], notPlaced: ['+2'] })).toEqual({ notPlaced: [], unknown: ['+2'] });
    expect(sortUnplaced({ legs: [{}, {}], notPlaced: [] })).toEqual({ notPlaced: [], unknown: [] });
  });

  it('tags a batch with the caller prefix, the key and the batch number', () => {
    expect(batchTag(undefined, 'abc', 3)).toBe('bk-abc-3');
    expect(batchTag('weekly', 'abc', 3)).toBe('weekly:bk-abc-3');
  });
});
