import { SessionState, type EndReport } from '../../src/domain/session-state';

const GRACE_MS = 60_000;

function newState(redial = {}) {
  const snapshot = SessionState.start({ room: 'R1', sessionKey: 'k1', now: 0 });
  return new SessionState(snapshot, { redial, graceMs: GRACE_MS, maxPollIntervalMs: 10 * 60_000 });
}

function numbers(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `+658000000${i}`);
}

function end(txnRef: string, callStatus: EndReport['callStatus'], minutes = 0, rate = '0.020'): EndReport {
  const debit = callStatus === 'answered' ? (Number(rate) * 1000 * minutes) / 1000 : 0;
  return { txnRef, callStatus, durationMinutes: minutes, currency: 'SGD', rate, debit: debit.toFixed(3) };
}

/** Dials every ready participant in batches of `max`, one leg each, txn_refs T1, T2, … */
function dialAll(state: SessionState, now: number, max = 8): string[] {
  const txns: string[] = [];
  for (;;) {
    const batch = state.nextBatch(now, max);
    if (batch.length === 0) return txns;
    state.beginDial(batch.map((p) => p.number));
    for (const p of batch) {
      const txn = `T${txns.length + 1}`;
      state.legs.legPlaced(p.number, txn, undefined, now);
      txns.push(txn);
    }
  }
}

describe('SessionState', () => {
  it('never plans more than the room holds, and fills places as legs end', () => {
    const state = newState();
    state.add(numbers(10));
    expect(state.nextBatch(0, 20).map((p) => p.number)).toEqual(numbers(10).slice(0, 8));
    expect(state.nextBatch(0, 20, 5)).toHaveLength(3);
    const first = dialAll(state, 0);
    expect(first).toHaveLength(8);
    expect(state.vacancies(0)).toBe(0);
    expect(state.nextBatch(0, 8)).toEqual([]);

    state.legs.recordEnd(end('T1', 'answered', 3), 'notification', 1_000);
    expect(state.vacancies(0)).toBe(1);
    expect(state.nextBatch(1_000, 8).map((p) => p.number)).toEqual([numbers(10)[8]]);
  });

  it('says why each waiting participant waits: places in the room first, then permits, in queue order', () => {
    const state = newState();
    const all = numbers(10);
    state.add(all);
    state.beginDial(all.slice(0, 6));
    all.slice(0, 5).forEach((number, i) => state.legs.legPlaced(number, `T${i + 1}`, undefined, 0));
    const permits = { budget: 'call-budget:app', held: 6, available: 1, owed: 1 };
    // The 6th is still being dialed: nobody else is dialed until that request is done.
    const dialing = state.status('running', { now: 0, permits });
    expect(dialing.participants[4]!.call).toEqual({ state: 'ringing', muted: false });
    expect(dialing.participants[5]!.call).toEqual({ state: 'dialing', muted: false });
    expect(dialing.participants.slice(6).map((p) => p.waiting)).toEqual(Array(4).fill({ kind: 'dial-in-progress' }));

    state.legs.legPlaced(all[5]!, 'T6', undefined, 0);
    state.setMuted('T6', true);
    const waits = state.status('running', { now: 0, permits }).participants.map((p) => p.waiting?.kind);
    // 2 places left: one has a permit on hand (about to be dialed), one waits for a line, the rest for the room.
    expect(waits.slice(6)).toEqual([undefined, 'no-line', 'room-full', 'room-full']);
    expect(state.status('running', { now: 0, permits }).participants[5]!.call).toEqual({
      state: 'ringing',
      muted: true,
    });
    expect(state.status('running').participants[5]).not.toHaveProperty('call');
  });

  it('counts places taken by dials in flight', () => {
    const state = newState();
    state.add(numbers(3));
    expect(state.vacancies(6)).toBe(2);
  });

  it('ignores duplicate ends and keeps ends that arrive before the leg is known', () => {
    const state = newState();
    state.add(numbers(1));
    const [number] = numbers(1);
    state.beginDial([number!]);
    expect(state.legs.recordEnd(end('T1', 'answered', 2), 'notification', 10)).toBe('early');
    expect(state.legs.recordEnd(end('T1', 'answered', 2), 'notification', 10)).toBe('duplicate');
    state.legs.legPlaced(number!, 'T1', undefined, 20);
    expect(state.legs.activeLegs()).toEqual([]);
    expect(state.legs.recordEnd(end('T1', 'answered', 2), 'notification', 30)).toBe('duplicate');

    const summary = state.summary({ endedAt: 40, endedBy: 'completed' });
    expect(summary.participants[0]).toMatchObject({ status: 'answered', minutes: 2, debit: '0.040' });
    expect(summary.totals).toEqual([{ currency: 'SGD', debit: '0.040', minutes: 2 }]);
    expect(summary.legs.duplicateNotifications).toBe(1);
  });

  it('shows a participant as dialing until its dial has placed a leg, a redial too', () => {
    const state = newState({ busy: { attempts: 1, delaySeconds: 30 } });
    const [number] = numbers(1);
    state.add([number!]);
    const statusOf = () => state.status('running').participants[0]!.status;
    state.beginDial([number!]);
    expect(statusOf()).toBe('dialing');
    expect(state.status('running').counts).toEqual({ dialing: 1 });
    state.legs.legPlaced(number!, 'T1', undefined, 10);
    expect(statusOf()).toBe('in-call');
    state.legs.recordEnd(end('T1', 'busy'), 'notification', 20);
    state.beginDial([number!]);
    expect(statusOf()).toBe('dialing');
  });

  it('redials per the rule, after the delay, and stops when attempts run out', () => {
    const state = newState({ busy: { attempts: 1, delaySeconds: 30 } });
    const [number] = numbers(1);
    state.add([number!]);
    dialAll(state, 0);
    state.legs.recordEnd(end('T1', 'busy'), 'notification', 5_000);
    expect(state.status('running').participants[0]!.status).toBe('redial-wait');
    expect(state.nextBatch(34_999, 8)).toEqual([]);
    expect(state.nextRedialAt()).toBe(35_000);
    state.beginDial([number!]);
    state.legs.legPlaced(number!, 'T2', undefined, 35_000);
    state.legs.recordEnd(end('T2', 'busy'), 'notification', 40_000);
    const summary = state.summary({ endedAt: 41_000, endedBy: 'completed' });
    expect(summary.participants[0]).toMatchObject({ status: 'busy', attempts: 2, txnRefs: ['T1', 'T2'] });
    expect(state.settled()).toBe(true);
  });

  it('dials a participant alone after a rejection that named no number, and fails it if it is rejected alone', () => {
    const state = newState();
    const list = numbers(3);
    state.add(list);
    state.beginDial(list);
    state.dialNotPlaced(list, { solo: true });
    expect(state.nextBatch(0, 8).map((p) => p.number)).toEqual([list[0]]);
    expect(state.status('running').participants.every((p) => p.attempts === 0)).toBe(true);
    state.beginDial([list[0]!]);
    state.dialFailed([list[0]!], 'error_dest_not_supported');
    expect(state.summary({ endedAt: 1, endedBy: 'completed' }).participants[0]).toMatchObject({
      status: 'failed',
      reason: 'error_dest_not_supported',
      debit: '0.000',
    });
  });

  it('polls a silent leg after the grace period, then less and less often', () => {
    const state = newState();
    state.add(numbers(1));
    dialAll(state, 0);
    expect(state.legs.legsDueForPoll(GRACE_MS - 1)).toEqual([]);
    expect(state.legs.legsDueForPoll(GRACE_MS).map((leg) => leg.txnRef)).toEqual(['T1']);
    state.legs.pollAgainLater('T1', GRACE_MS);
    expect(state.legs.nextPollAt()).toBe(GRACE_MS + 2 * GRACE_MS);
    state.legs.recordEnd(end('T1', 'answered', 1), 'poll', 3 * GRACE_MS);
    expect(state.summary({ endedAt: 0, endedBy: 'completed' }).legs.endedBy).toEqual({
      notification: 0,
      poll: 1,
      assumed: 0,
    });
  });

  it('cancels who waits when the session ends; an abandoned redial keeps its last outcome', () => {
    const state = newState({ unanswered: { attempts: 3, delaySeconds: 60 } });
    const list = numbers(10);
    state.add(list);
    dialAll(state, 0);
    state.legs.recordEnd(end('T1', 'unanswered'), 'notification', 1);
    expect(state.abandonWaiting('cancelled', 'ended')).toBe(3); // two never dialed, one waiting to redial
    const summary = state.summary({ endedAt: 2, endedBy: 'end-request' });
    expect(summary.participants[0]).toMatchObject({ status: 'unanswered', reason: 'ended' });
    expect(summary.participants.slice(8).map((p) => p.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('never redials a participant whose call we ended ourselves', () => {
    const state = newState({ unanswered: { attempts: 3, delaySeconds: 0 } });
    const [number] = numbers(1);
    state.add([number!]);
    dialAll(state, 0);
    state.endedByUs(number!, 'kicked');
    state.legs.recordEnd(end('T1', 'unanswered'), 'notification', 1);
    expect(state.summary({ endedAt: 2, endedBy: 'completed' }).participants[0]).toMatchObject({
      status: 'unanswered',
      reason: 'kicked',
      attempts: 1,
    });
    expect(state.settled()).toBe(true);
  });

  it('redials by hand only a participant whose call has ended; the kick held for its leg only, the cap for all', () => {
    const state = newState({ unanswered: { attempts: 2, delaySeconds: 0 } });
    const [number] = numbers(1);
    const dial = (txnRef: string, now: number) => {
      expect(state.nextBatch(now, 8).map((p) => p.number)).toEqual([number]);
      state.beginDial([number!]);
      state.legs.legPlaced(number!, txnRef, undefined, now);
    };
    const participant = () => state.status('running').participants[0]!;
    state.add([number!]);
    expect(state.redial(number!)).toBe(false); // queued already
    dial('T1', 0);
    expect(state.redial(number!)).toBe(false); // in a call
    state.endedByUs(number!, 'kicked');
    state.legs.recordEnd(end('T1', 'answered', 1), 'notification', 1);

    expect(state.redial(number!)).toBe(true);
    expect(participant()).toMatchObject({ status: 'queued', attempts: 1 });
    expect(participant().reason).toBeUndefined();
    // The new leg is under the rules again (the kick held for T1 only): unanswered is redialed automatically...
    dial('T2', 2);
    state.legs.recordEnd(end('T2', 'unanswered'), 'notification', 3);
    expect(participant()).toMatchObject({ status: 'redial-wait', attempts: 2 });
    // ...until the cap, which counts every attempt, the manual one and the first, kicked call included.
    dial('T3', 4);
    state.legs.recordEnd(end('T3', 'unanswered'), 'notification', 5);
    expect(participant()).toMatchObject({ status: 'unanswered', attempts: 3, txnRefs: ['T1', 'T2', 'T3'] });
    expect(state.settled()).toBe(true);
    expect(state.redial(number!)).toBe(true); // and by hand again
  });

  it('fails whoever waits when the account cannot dial, keeping the outcome of legs already made', () => {
    const state = newState({ busy: { attempts: 1, delaySeconds: 60 } });
    state.add(numbers(2));
    state.beginDial([numbers(2)[0]!]);
    state.legs.legPlaced(numbers(2)[0]!, 'T1', undefined, 0);
    state.legs.recordEnd(end('T1', 'busy'), 'notification', 1);
    expect(state.abandonWaiting('failed', 'error_insufficient_credit')).toBe(2);
    const [first, second] = state.summary({ endedAt: 2, endedBy: 'completed' }).participants;
    expect(first).toMatchObject({ status: 'busy', reason: 'error_insufficient_credit' });
    expect(second).toMatchObject({ status: 'failed', reason: 'error_insufficient_credit' });
  });

  it('settles a leg Hoiio keeps not knowing as failed, after the limit, billing nothing', () => {
    const state = newState({ failed: { attempts: 2, delaySeconds: 0 } });
    state.add(numbers(1));
    dialAll(state, 0);
    expect(state.legs.legUnknown('T1', GRACE_MS, 3)).toBe(false);
    expect(state.legs.legUnknown('T1', 2 * GRACE_MS, 3)).toBe(false);
    expect(state.legs.activeLegs()).toHaveLength(1);
    expect(state.legs.legUnknown('T1', 3 * GRACE_MS, 3)).toBe(true);
    expect(state.settled()).toBe(true); // no redial: nothing is known about this call
    const summary = state.summary({ endedAt: 0, endedBy: 'completed' });
    expect(summary.participants[0]).toMatchObject({ status: 'failed', reason: 'unknown_txn_ref', debit: '0.000' });
    expect(summary.totals).toEqual([]);
  });

  it('adds totals exactly per currency and survives a snapshot round trip', () => {
    const state = newState();
    state.add(numbers(3));
    dialAll(state, 0);
    state.legs.recordEnd(end('T1', 'answered', 7, '0.020'), 'notification', 1);
    state.legs.recordEnd({ ...end('T2', 'answered', 3, '0.070'), currency: 'USD' }, 'notification', 1);
    state.legs.recordEnd({ ...end('T3', 'answered', 1, '0.070'), currency: 'USD' }, 'notification', 1);
    const copy = new SessionState(
      JSON.parse(JSON.stringify(state.snapshot())) as ReturnType<SessionState['snapshot']>,
      {
        redial: {},
        graceMs: GRACE_MS,
        maxPollIntervalMs: 1,
      },
    );
    expect(copy.summary({ endedAt: 5, endedBy: 'completed' }).totals).toEqual([
      { currency: 'SGD', debit: '0.140', minutes: 7 },
      { currency: 'USD', debit: '0.280', minutes: 4 },
    ]);
  });
});

describe('SessionState: ends settled without a report, and long sessions', () => {
  it('lets a late notification correct a leg settled as failed because Hoiio did not know it', () => {
    const state = newState();
    const [number] = numbers(1);
    state.add([number!]);
    dialAll(state, 0);
    for (let poll = 0; poll < 3; poll++) state.legs.legUnknown('T1', GRACE_MS, 3);
    expect(state.summary({ endedAt: 1, endedBy: 'completed' }).participants[0]).toMatchObject({
      status: 'failed',
      reason: 'unknown_txn_ref',
      debit: '0.000',
    });

    expect(state.legs.recordEnd(end('T1', 'answered', 7), 'notification', GRACE_MS + 1)).toBe('corrected');
    const summary = state.summary({ endedAt: 2, endedBy: 'completed' });
    expect(summary.participants[0]).toMatchObject({ status: 'answered', debit: '0.140', minutes: 7 });
    expect(summary.participants[0]!.reason).toBeUndefined();
    expect(summary.totals).toEqual([{ currency: 'SGD', debit: '0.140', minutes: 7 }]);
    expect(summary.legs).toMatchObject({ corrected: 1, endedBy: { notification: 1, assumed: 0 } });
    // Once authoritative, it stays: a copy of the same notification is a duplicate.
    expect(state.legs.recordEnd(end('T1', 'answered', 7), 'notification', GRACE_MS + 2)).toBe('duplicate');
  });

  it('takes a poll reply without a debit as an end of unknown cost, which a notification then corrects', () => {
    const state = newState();
    state.add(numbers(1));
    dialAll(state, 0);
    const polled: EndReport = { ...end('T1', 'answered', 4), currency: '', debit: '0.000', provisional: true };
    expect(state.legs.recordEnd(polled, 'poll', GRACE_MS)).toBe('recorded');
    expect(state.legs.activeLegs()).toEqual([]);
    expect(state.summary({ endedAt: 1, endedBy: 'completed' }).legs.costUnknown).toBe(1);

    expect(state.legs.recordEnd(end('T1', 'answered', 4), 'notification', GRACE_MS + 1)).toBe('corrected');
    const summary = state.summary({ endedAt: 2, endedBy: 'completed' });
    expect(summary.legs.costUnknown).toBe(0);
    expect(summary.totals).toEqual([{ currency: 'SGD', debit: '0.080', minutes: 4 }]);
  });

  it("lists each participant's ended legs in the summary, with the times the session learnt, across continue-as-new", () => {
    const state = newState({ busy: { attempts: 1, delaySeconds: 0 } });
    const [a, b] = numbers(2);
    state.add([a!, b!]);
    dialAll(state, Date.UTC(2026, 0, 5, 1, 0, 0));
    state.legs.recordEnd(end('T2', 'busy'), 'notification', Date.UTC(2026, 0, 5, 1, 0, 20));
    const restored = new SessionState(
      JSON.parse(JSON.stringify(state.snapshot())) as ReturnType<SessionState['snapshot']>,
      {
        redial: { busy: { attempts: 1, delaySeconds: 0 } },
        graceMs: GRACE_MS,
        maxPollIntervalMs: 600_000,
      },
    );
    const redialAt = Date.UTC(2026, 0, 5, 1, 1, 0);
    restored.beginDial(restored.nextBatch(redialAt, 8).map((p) => p.number));
    restored.legs.legPlaced(b!, 'T3', undefined, redialAt);
    restored.legs.recordEnd(end('T1', 'answered', 7), 'notification', Date.UTC(2026, 0, 5, 1, 7, 30));
    restored.legs.recordEnd(end('T3', 'answered', 2), 'poll', Date.UTC(2026, 0, 5, 1, 3, 0));

    const summary = restored.summary({ endedAt: Date.UTC(2026, 0, 5, 1, 8, 0), endedBy: 'completed' });
    expect(summary.participants.map((p) => p.legs)).toEqual([
      [
        {
          txnRef: 'T1',
          status: 'answered',
          minutes: 7,
          debit: '0.140',
          currency: 'SGD',
          dialedAt: '2026-01-05T01:00:00.000Z',
          endedAt: '2026-01-05T01:07:30.000Z',
        },
      ],
      [
        {
          txnRef: 'T2',
          status: 'busy',
          minutes: 0,
          debit: '0.000',
          currency: 'SGD',
          dialedAt: '2026-01-05T01:00:00.000Z',
          endedAt: '2026-01-05T01:00:20.000Z',
        },
        {
          txnRef: 'T3',
          status: 'answered',
          minutes: 2,
          debit: '0.040',
          currency: 'SGD',
          dialedAt: '2026-01-05T01:01:00.000Z',
          endedAt: '2026-01-05T01:03:00.000Z',
        },
      ],
    ]);
  });

  it('lists the legs of a run of an older release without times', () => {
    const state = newState();
    state.add(numbers(1));
    dialAll(state, 5_000);
    state.legs.recordEnd(end('T1', 'answered', 3), 'notification', 9_000);
    const snapshot = state.snapshot();
    // What an older release carried: the 8 fields, no times.
    const older = { ...snapshot, endedLegs: snapshot.endedLegs!.map((leg) => leg.slice(0, 8)) } as typeof snapshot;
    const restored = new SessionState(older, { redial: {}, graceMs: GRACE_MS, maxPollIntervalMs: 600_000 });
    expect(restored.summary({ endedAt: 9_000, endedBy: 'completed' }).participants[0]!.legs).toEqual([
      { txnRef: 'T1', status: 'answered', minutes: 3, debit: '0.060', currency: 'SGD' },
    ]);
  });

  it('carries 1,000 participants with 4 legs each over continue-as-new well under the 2 MiB input limit', () => {
    const state = newState({ busy: { attempts: 3, delaySeconds: 0 } });
    const everyone = Array.from({ length: 1_000 }, (_, i) => ({
      number: `+65${90_000_000 + i}`,
      name: `Participant with a long display name number ${i}`.padEnd(100, '.'),
    }));
    state.add(everyone);
    let txn = 0;
    for (let round = 0; round < 4; round++) {
      for (;;) {
        const batch = state.nextBatch(round, 8);
        if (batch.length === 0) break;
        state.beginDial(batch.map((p) => p.number));
        for (const p of batch) {
          const ref = `TX${String(++txn).padStart(10, '0')}`;
          state.legs.legPlaced(p.number, ref, `permit-${txn}`, round);
          state.legs.recordEnd(end(ref, 'busy'), 'notification', round);
        }
      }
    }
    const snapshot = state.snapshot();
    expect(snapshot.endedLegs).toHaveLength(4_000);
    const bytes = Buffer.byteLength(JSON.stringify(snapshot));
    expect(bytes).toBeLessThan(1024 * 1024);
    // The result lists every leg with its times, and stays under the server's 2 MiB payload limit too.
    const summaryBytes = Buffer.byteLength(JSON.stringify(state.summary({ endedAt: 9, endedBy: 'completed' })));
    expect(summaryBytes).toBeLessThan(1536 * 1024);

    // And what is carried is what was there: the summary of the restored state is the same.
    const restored = new SessionState(snapshot, { redial: {}, graceMs: GRACE_MS, maxPollIntervalMs: 600_000 });
    expect(restored.summary({ endedAt: 9, endedBy: 'completed' })).toEqual(
      state.summary({ endedAt: 9, endedBy: 'completed' }),
    );
  });

  it('restores a snapshot of an older run that carried ended legs among the active ones', () => {
    const state = newState();
    state.add(numbers(2));
    dialAll(state, 0);
    state.legs.recordEnd(end('T1', 'answered', 2), 'notification', 1);
    const snapshot = state.snapshot();
    const older = {
      ...snapshot,
      legs: [...snapshot.legs, ...restoreEnded(snapshot)],
      endedLegs: undefined,
    };
    const restored = new SessionState(older, { redial: {}, graceMs: GRACE_MS, maxPollIntervalMs: 600_000 });
    expect(restored.legs.activeLegs().map((leg) => leg.txnRef)).toEqual(['T2']);
    expect(restored.summary({ endedAt: 9, endedBy: 'completed' }).totals).toEqual([
      { currency: 'SGD', debit: '0.040', minutes: 2 },
    ]);
  });
});

/** Ended legs written the way runs before compaction carried them: full records. */
function restoreEnded(snapshot: ReturnType<SessionState['snapshot']>) {
  return (snapshot.endedLegs ?? []).map(([txnRef, number, status, minutes, currency, rate, debit, source]) => ({
    txnRef,
    number,
    dialedAt: 0,
    pollAt: 0,
    polls: 0,
    end: { status, minutes, currency, rate, debit, source },
  }));
}
