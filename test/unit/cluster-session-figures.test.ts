import type { SessionSummary } from '../../src/domain/session-types';
import type { SimCall } from '../../dev/bench/ledger';
import { sessionFigures } from '../../dev/cluster/session-figures';
import type { SessionOutcome } from '../../dev/chaos/checks';

/** The verify:cluster report's line per session: figures from the ledger, and whether the summary agrees with it. */
const ROOM = 'cluster_r_s1';
const NUMBER = '+6590100001';

const leg = (txn: string, status: string, duration: string, debit: string): SimCall =>
  ({
    txn_ref: txn,
    kind: 'conference',
    dest: NUMBER,
    room: ROOM,
    call_status_dest: status,
    duration,
    debit,
    currency: 'SGD',
    dialed_at: txn === 'T1' ? '2026-11-29T01:00:00.000Z' : '2026-11-29T01:00:10.000Z',
    ended_at: txn === 'T1' ? '2026-11-29T01:00:05.000Z' : '2026-11-29T01:01:10.000Z',
  }) as SimCall;

const calls = [leg('T1', 'busy', '0', '0.000'), leg('T2', 'answered', '2', '0.040')];

function outcome(debit: string): SessionOutcome {
  const summary = {
    room: ROOM,
    endedBy: 'completed',
    participants: [{ number: NUMBER, status: 'answered', attempts: 2, txnRefs: ['T1', 'T2'], minutes: 2, debit }],
    totals: [{ currency: 'SGD', debit, minutes: 2 }],
  } as unknown as SessionSummary;
  const plan = { workflowId: 'cluster-r-s1', room: ROOM, participants: [{ number: NUMBER }] };
  return { plan, status: 'COMPLETED', summary } as unknown as SessionOutcome;
}

describe('verify:cluster session figures', () => {
  it('counts the ledger legs of the room and takes the cost from the summary', () => {
    expect(sessionFigures(outcome('0.040'), calls)).toEqual({
      workflowId: 'cluster-r-s1',
      status: 'COMPLETED',
      endedBy: 'completed',
      participants: 1,
      legs: 2,
      answered: 1,
      minutes: 2,
      cost: 'SGD 0.040',
      matchesLedger: true,
    });
  });

  it('flags a summary one thousandth off the ledger', () => {
    expect(sessionFigures(outcome('0.041'), calls).matchesLedger).toBe(false);
  });

  it('does not match without a summary', () => {
    const { summary: _summary, ...unfinished } = outcome('0.040');
    expect(sessionFigures({ ...unfinished, status: 'RUNNING' }, calls)).toMatchObject({
      cost: '-',
      matchesLedger: false,
    });
  });
});
