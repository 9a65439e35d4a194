/**
 * The fast tier: the real `conferenceSession` and `callBudget` workflows on a local dev server, with Hoiio played by
 * stub activities (`stub-hoiio.ts`), so that each of the session's decisions is checked in seconds. The slow tier
 * (`../conference-session.test.ts`, `../session-faults.test.ts`) runs the same workflows against the simulator.
 */
import { formatMoney, parseMoney, sumMoney } from '../../../src/domain/money';
import { conferenceSession } from '../../../src/workflows';
import { endUpdate, statusQuery } from '../../../src/workflows/messages';
import { uniqueId } from '../../support/temporal-test-env';
import { useStubHoiioStack } from './stub-hoiio';

type SessionInput = Parameters<typeof conferenceSession>[0];

const stack = useStubHoiioStack();
const { hoiio } = stack;

/** n distinct numbers, e.g. +6590000001. */
function numbers(n: number, base: number): string[] {
  return Array.from({ length: n }, (_, i) => `+65${base + i + 1}`);
}

/** Each test dials from an account of its own, so the stub can tell its requests apart. */
function account(): string {
  return uniqueId('acct')
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-');
}

async function startSession(input: SessionInput) {
  return await stack.client().workflow.start(conferenceSession, {
    taskQueue: stack.taskQueue(),
    workflowId: uniqueId('fast-session'),
    args: [input],
  });
}

describe('conferenceSession decisions (stub Hoiio)', () => {
  it('dials at most 8 numbers per request and 8 legs in the room, and sums the money exactly', async () => {
    const acct = account();
    const participants = numbers(20, 90_000_000);
    // 0.1 + 0.2 is not 0.3 in floating point: the summary must still say 0.300.
    const rates = ['0.100', '0.200', '0.013'];
    hoiio.behave(acct, {
      fate: (number) => ({ status: 'answered', minutes: 1, rate: rates[participants.indexOf(number) % 3]! }),
    });
    const summary = await (await startSession({ participants, account: acct })).result();

    const requests = hoiio.requestsOf(acct);
    expect(requests.flatMap((request) => request.numbers).sort()).toEqual([...participants].sort());
    for (const request of requests) expect(request.numbers.length).toBeLessThanOrEqual(8);
    expect(hoiio.peakInRoom).toBeLessThanOrEqual(8);
    expect(hoiio.peakOnAccount).toBeLessThanOrEqual(8);
    expect(summary.outcomes).toEqual({ answered: 20 });
    expect(summary.requests.conferenceCall).toBe(requests.length);
    const expected = formatMoney(sumMoney(participants.map((_, i) => parseMoney(rates[i % 3]!))));
    expect(summary.totals).toEqual([{ currency: 'SGD', debit: expected, minutes: 20 }]);
    expect(expected).toBe('2.178'); // 7 × 0.100 + 7 × 0.200 + 6 × 0.013
    for (const [i, p] of summary.participants.entries()) expect(p.debit).toBe(rates[i % 3]);
    expect(summary.legs.endedBy).toEqual({ notification: 20, poll: 0, assumed: 0 });
  });

  it('splits a batch Hoiio refuses because of one number, so only that number fails', async () => {
    const acct = account();
    const participants = numbers(4, 90_100_000);
    const bad = participants[2]!;
    hoiio.behave(acct, {
      refuse: (request) => (request.numbers.includes(bad) ? 'error_dest_not_supported' : undefined),
    });
    const summary = await (await startSession({ participants, account: acct })).result();

    // The whole batch first; once refused, each number alone, in order: only the bad one is refused again.
    const dials = hoiio.dials.filter((request) => request.account === acct);
    expect(dials.map((request) => request.numbers)).toEqual([participants, ...participants.map((number) => [number])]);
    expect(hoiio.requestsOf(acct).map((request) => request.numbers)).toEqual(
      participants.filter((number) => number !== bad).map((number) => [number]),
    );
    const byNumber = new Map(summary.participants.map((p) => [p.number, p]));
    expect(byNumber.get(bad)).toMatchObject({ status: 'failed', reason: 'error_dest_not_supported', attempts: 1 });
    for (const number of participants.filter((n) => n !== bad)) {
      expect(byNumber.get(number)).toMatchObject({ status: 'answered', attempts: 1 });
    }
  });

  it('reconciles a dial whose reply was lost by its tag, and adopts its legs instead of dialing again', async () => {
    const acct = account();
    const participants = numbers(3, 90_200_000);
    hoiio.behave(acct, { loseReply: () => true });
    const summary = await (await startSession({ participants, account: acct })).result();

    const requests = hoiio.requestsOf(acct);
    expect(requests).toHaveLength(1);
    const reconciles = hoiio.reconciles.filter((request) => request.account === acct);
    expect(reconciles.map((request) => request.tag)).toEqual([requests[0]!.tag]);
    expect(summary.outcomes).toEqual({ answered: 3 });
    expect(summary.participants.every((p) => p.txnRefs.length === 1 && p.attempts === 1)).toBe(true);
    expect(summary.requests.historyLookups).toBe(1);
  });

  it('never redials unseen the numbers a partly placed, lost dial does not show', async () => {
    const acct = account();
    const participants = numbers(3, 90_300_000);
    const shown = participants.slice(0, 2);
    hoiio.behave(acct, { place: () => shown, loseReply: () => true });
    const summary = await (await startSession({ participants, account: acct })).result();

    expect(hoiio.requestsOf(acct)).toHaveLength(1);
    const byNumber = new Map(summary.participants.map((p) => [p.number, p]));
    for (const number of shown) expect(byNumber.get(number)?.status).toBe('answered');
    expect(byNumber.get(participants[2]!)).toMatchObject({ status: 'failed', reason: 'dial_outcome_unknown' });
  });

  it('applies an end that arrives before the dial reply names its leg', async () => {
    const acct = account();
    const participants = numbers(2, 90_400_000);
    hoiio.behave(acct, {
      endBeforeReply: true,
      fate: () => ({ status: 'answered', minutes: 2, rate: '0.015' }),
    });
    const summary = await (await startSession({ participants, account: acct })).result();

    expect(summary.outcomes).toEqual({ answered: 2 });
    expect(summary.legs.endedBy).toEqual({ notification: 2, poll: 0, assumed: 0 });
    expect(summary.legs.duplicateNotifications).toBe(0);
    expect(summary.requests.statusPolls).toBe(0);
    expect(summary.totals).toEqual([{ currency: 'SGD', debit: '0.060', minutes: 4 }]);
  });

  it('settles a leg from status polls when no notification comes', async () => {
    const acct = account();
    const [number] = numbers(1, 90_500_000);
    hoiio.behave(acct, {
      notifyAfterMs: 'never',
      poll: (txnRef, index) =>
        index === 0
          ? { ongoing: true }
          : {
              ongoing: false,
              end: {
                txnRef,
                callStatus: 'answered',
                durationMinutes: 3,
                currency: 'SGD',
                rate: '0.035',
                debit: '0.105',
              },
            },
    });
    const summary = await (
      await startSession({ participants: [number!], account: acct, notificationGraceSeconds: 1 })
    ).result();

    const txnRef = summary.participants[0]!.txnRefs[0]!;
    expect(hoiio.polls.filter((polled) => polled === txnRef)).toHaveLength(2);
    expect(summary.requests.statusPolls).toBe(2);
    expect(summary.legs.endedBy).toEqual({ notification: 0, poll: 1, assumed: 0 });
    expect(summary.participants[0]).toMatchObject({ status: 'answered', minutes: 3, debit: '0.105', rate: '0.035' });
  });

  it('hangs up every live leg on `end`, and cancels whoever still waits', async () => {
    const acct = account();
    const participants = numbers(10, 90_600_000);
    hoiio.behave(acct, { notifyAfterMs: 'never', fate: () => ({ status: 'answered', minutes: 5, rate: '0.020' }) });
    const handle = await startSession({ participants, account: acct });
    for (;;) {
      const status = await handle.query(statusQuery);
      if (status.activeLegs === 8) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const result = await handle.executeUpdate(endUpdate, { args: [{ reason: 'meeting over' }] });
    const summary = await handle.result();

    expect(result).toEqual({ hungUp: 8, cancelled: 2 });
    const live = summary.participants.filter((p) => p.txnRefs.length > 0);
    expect(hoiio.hangups.sort()).toEqual(live.map((p) => p.txnRefs[0]!).sort());
    expect(summary.endedBy).toBe('end-request');
    expect(summary.requests.hangups).toBe(8);
    expect(summary.outcomes).toEqual({ answered: 8, cancelled: 2 });
    expect(summary.participants.filter((p) => p.status === 'cancelled').map((p) => p.reason)).toEqual([
      'ended: meeting over',
      'ended: meeting over',
    ]);
    expect(summary.totals).toEqual([{ currency: 'SGD', debit: '0.800', minutes: 40 }]);
  });
});
