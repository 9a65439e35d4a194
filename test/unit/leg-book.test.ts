import { CallCounters, emptyCounters } from '../../src/domain/call-counters';
import { LegBook, type EndReport, type LegListener, type LegRecord } from '../../src/domain/leg-book';

const GRACE_MS = 60_000;

function book(snapshot = { legs: [], earlyEnds: [] } as ConstructorParameters<typeof LegBook>[0]) {
  const events: string[] = [];
  const listener: LegListener = {
    legPlaced: (leg: LegRecord) => events.push(`placed ${leg.txnRef}`),
    legEnded: (leg: LegRecord) => events.push(`ended ${leg.txnRef} ${leg.end!.status} ${leg.end!.source}`),
    endCorrected: (leg: LegRecord) => events.push(`corrected ${leg.txnRef} ${leg.end!.status}`),
  };
  const counters = new CallCounters(emptyCounters());
  const legs = new LegBook(snapshot, { graceMs: GRACE_MS, maxPollIntervalMs: 5 * GRACE_MS }, counters, listener);
  return { legs, counters, events };
}

function report(txnRef: string, extra: Partial<EndReport> = {}): EndReport {
  return {
    txnRef,
    callStatus: 'answered',
    durationMinutes: 2,
    currency: 'SGD',
    rate: '0.020',
    debit: '0.040',
    ...extra,
  };
}

describe('LegBook', () => {
  it('tells its listener of each leg placed and ended, and keeps the permit of each active leg', () => {
    const { legs, events } = book();
    legs.legPlaced('+651', 'T1', 'p1', 0);
    legs.legPlaced('+652', 'T2', undefined, 0);
    expect(legs.permitsOfActiveLegs()).toEqual(['p1']);
    expect(legs.recordEnd(report('T1'), 'notification', 10)).toBe('recorded');
    expect(events).toEqual(['placed T1', 'placed T2', 'ended T1 answered notification']);
    expect(legs.activeLegs().map((leg) => leg.txnRef)).toEqual(['T2']);
    expect(legs.activeLegOf('+652')?.txnRef).toBe('T2');
    expect(legs.get('T1')?.end).toMatchObject({ debit: 40, rate: 20, minutes: 2 });
  });

  it('keeps an end that beats the dial reply, and applies it when the leg is placed', () => {
    const { legs, events } = book();
    expect(legs.recordEnd(report('T1'), 'notification', 0)).toBe('early');
    expect(legs.recordEnd(report('T1'), 'notification', 0)).toBe('duplicate');
    legs.legPlaced('+651', 'T1', 'p1', 5);
    expect(events).toEqual(['placed T1', 'ended T1 answered notification']);
    expect(legs.activeLegs()).toEqual([]);
    expect(legs.snapshot().earlyEnds).toEqual([]);
  });

  it('counts a duplicate notification once and changes nothing', () => {
    const { legs, counters, events } = book();
    legs.legPlaced('+651', 'T1', undefined, 0);
    legs.recordEnd(report('T1'), 'notification', 0);
    expect(legs.recordEnd(report('T1', { debit: '9.000' }), 'notification', 0)).toBe('duplicate');
    expect(legs.recordEnd(report('T1'), 'poll', 0)).toBe('duplicate');
    expect(counters.read().duplicateNotifications).toBe(1);
    expect(legs.get('T1')?.end?.debit).toBe(40);
    expect(events.filter((event) => event.startsWith('ended'))).toHaveLength(1);
  });

  it('polls after the grace period, then less and less often up to the cap', () => {
    const { legs } = book();
    legs.legPlaced('+651', 'T1', undefined, 0);
    expect(legs.nextPollAt()).toBe(GRACE_MS);
    expect(legs.legsDueForPoll(GRACE_MS - 1)).toEqual([]);
    expect(legs.legsDueForPoll(GRACE_MS)).toHaveLength(1);
    legs.pollAgainLater('T1', GRACE_MS);
    expect(legs.nextPollAt()).toBe(GRACE_MS + 2 * GRACE_MS);
    for (let i = 0; i < 5; i += 1) legs.pollAgainLater('T1', 0);
    expect(legs.nextPollAt()).toBe(5 * GRACE_MS);
  });

  it('settles a leg Hoiio keeps not knowing as failed, billing nothing, and lets a real report correct it', () => {
    const { legs, counters, events } = book();
    legs.legPlaced('+651', 'T1', undefined, 0);
    expect(legs.legUnknown('T1', 1, 3)).toBe(false);
    expect(legs.legUnknown('T1', 2, 3)).toBe(false);
    expect(legs.legUnknown('T1', 3, 3)).toBe(true);
    expect(legs.get('T1')?.end).toMatchObject({ status: 'failed', source: 'assumed', debit: 0 });
    expect(legs.recordEnd(report('T1'), 'notification', 4)).toBe('corrected');
    expect(legs.get('T1')?.end).toMatchObject({ status: 'answered', source: 'notification', debit: 40 });
    expect(counters.read().correctedEnds).toBe(1);
    expect(events).toEqual(['placed T1', 'ended T1 failed assumed', 'corrected T1 answered']);
  });

  it('takes an end without a cost as provisional until an authoritative report comes', () => {
    const { legs } = book();
    legs.legPlaced('+651', 'T1', undefined, 0);
    legs.recordEnd(report('T1', { debit: '0.000', provisional: true }), 'poll', 1);
    expect(legs.recordEnd(report('T1', { provisional: true }), 'poll', 2)).toBe('duplicate');
    expect(legs.recordEnd(report('T1'), 'notification', 3)).toBe('corrected');
    expect(legs.get('T1')?.end?.provisional).toBeUndefined();
  });

  it('carries active legs whole and ended legs compact over a snapshot', () => {
    const { legs } = book();
    legs.legPlaced('+651', 'T1', 'p1', 0);
    legs.legPlaced('+652', 'T2', 'p2', 0);
    legs.recordEnd(report('T2', { provisional: true }), 'poll', 1);
    legs.recordEnd(report('T9'), 'notification', 1);
    const snapshot = JSON.parse(JSON.stringify(legs.snapshot())) as ReturnType<LegBook['snapshot']>;
    expect(snapshot.legs.map((leg) => leg.txnRef)).toEqual(['T1']);
    // Provisional, then when it was dialed (0) and when its end became known (1).
    expect(snapshot.endedLegs).toEqual([['T2', '+652', 'answered', 2, 'SGD', 20, 40, 'poll', 1, 0, 1]]);
    const restored = book(snapshot).legs;
    expect(restored.get('T2')).toMatchObject({ dialedAt: 0, endedAt: 1 });
    expect(restored.activeLegs().map((leg) => leg.txnRef)).toEqual(['T1']);
    expect(restored.get('T2')?.end).toMatchObject({ provisional: true, debit: 40 });
    expect(restored.recordEnd(report('T9'), 'notification', 2)).toBe('duplicate');
  });
});
