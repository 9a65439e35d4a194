import { formatHoiioDate } from '../../src/domain/hoiio-time';
import { type HoiioCallRecord } from '../../src/hoiio';
import { eventually, useSimHarness } from './sim-harness';

/**
 * Every endpoint over real HTTP against the simulator. Simulated time runs 600x: a scripted 150 s talk ends in a
 * quarter of a real second, while unscripted legs are answered and then talk for months, staying active.
 */

const SHORT_TALK = '+6591000001'; // answered, 150 s of talk: 3 billed minutes
const BUSY = '+6591000002';
const HOLD_A = '+6592000001';
const HOLD_B = '+6592000002';
const HOLD_C = '+6592000003';

const harness = useSimHarness(
  {
    outcomeWeights: { answered: 1, unanswered: 0, busy: 0, failed: 0 },
    timing: { ringSeconds: { min: 1, max: 1 }, talkSeconds: { min: 1e9, max: 1e9 } },
    scripts: {
      [SHORT_TALK]: { outcome: 'answered', ringSeconds: 5, talkSeconds: 150 },
      [BUSY]: { outcome: 'busy', ringSeconds: 5 },
    },
  },
  { timeScale: 600 },
);

async function ended(txnRef: string): Promise<HoiioCallRecord> {
  const client = harness().client();
  return eventually(`leg ${txnRef} to end`, async () => {
    const record = await client.queryStatus(txnRef);
    return record.callStatus === 'ongoing' ? undefined : record;
  });
}

describe('conference/call', () => {
  it('dials every number into the room, one txn_ref per number in dest order, tag kept', async () => {
    const client = harness().client();
    const result = await client.conferenceCall({
      dest: [HOLD_A, HOLD_B, HOLD_C],
      room: 'Team.Sync_1',
      tag: 'session-42',
    });
    expect(result.room).toBe('Team.Sync_1');
    expect(result.txnRefs).toHaveLength(3);
    const calls = await harness().calls();
    expect(calls.map((call) => [call.txn_ref, call.dest, call.room, call.tag, call.app_id])).toEqual([
      [result.txnRefs[0], HOLD_A, 'Team.Sync_1', 'session-42', 'demo-app'],
      [result.txnRefs[1], HOLD_B, 'Team.Sync_1', 'session-42', 'demo-app'],
      [result.txnRefs[2], HOLD_C, 'Team.Sync_1', 'session-42', 'demo-app'],
    ]);
  });

  it('gets a generated room when none is given, and reusing it adds people to it', async () => {
    const client = harness().client();
    const first = await client.conferenceCall({ dest: [HOLD_A] });
    expect(first.room).toMatch(/^[A-Za-z0-9._]{1,32}$/);
    const second = await client.conferenceCall({ dest: [HOLD_B], room: first.room });
    expect(second.room).toBe(first.room);
    expect((await harness().stats()).peakRoomParticipants[first.room]).toBe(2);
  });

  it('reads the legacy voice/conference answer, a comma-joined txn_refs string', async () => {
    const legacy = harness().client({ conferenceEndpoint: 'voice/conference' });
    const result = await legacy.conferenceCall({ dest: [HOLD_A, HOLD_B] });
    expect(result.txnRefs).toHaveLength(2);
    expect((await harness().stats()).requests['voice/conference']).toBe(1);
    expect((await harness().calls()).map((call) => call.txn_ref)).toEqual(result.txnRefs);
  });
});

describe('voice/query_status', () => {
  it('reports an ongoing leg without duration or debit, then the billed outcome', async () => {
    const client = harness().client();
    const { txnRefs } = await client.conferenceCall({ dest: [SHORT_TALK], tag: 'q-1' });
    const txnRef = txnRefs[0]!;
    const ongoing = await client.queryStatus(txnRef);
    expect(ongoing).toMatchObject({
      txnRef,
      tag: 'q-1',
      dest: SHORT_TALK,
      callStatus: 'ongoing',
      currency: 'SGD',
      rate: 20,
    });
    expect(ongoing.durationMinutes).toBeUndefined();
    expect(ongoing.debit).toBeUndefined();
    expect(Math.abs(ongoing.dateEpochMs! - Date.now())).toBeLessThan(60_000);

    const final = await ended(txnRef);
    // 150 s of talk is billed as three whole minutes at 0.020: 0.060.
    expect(final).toMatchObject({ callStatus: 'answered', durationMinutes: 3, rate: 20, debit: 60 });
  });

  it('reports a busy leg with zero minutes and no charge', async () => {
    const client = harness().client();
    const { txnRefs } = await client.conferenceCall({ dest: [BUSY] });
    expect(await ended(txnRefs[0]!)).toMatchObject({ callStatus: 'busy', durationMinutes: 0, debit: 0 });
  });
});

describe('conference/moderate and voice/hangup', () => {
  it('mutes, unmutes and kicks a participant', async () => {
    const client = harness().client();
    const { txnRefs } = await client.conferenceCall({ dest: [HOLD_A, HOLD_B] });
    const [first, second] = txnRefs as [string, string];
    const callOf = async (ref: string) => (await harness().calls()).find((call) => call.txn_ref === ref)!;

    await client.moderate({ txnRef: first, action: 'mute' });
    expect((await callOf(first)).muted).toBe(true);
    await client.moderate({ txnRef: first, action: 'unmute' });
    expect((await callOf(first)).muted).toBe(false);

    // Wait for the answer so that the kick ends an answered leg, billed for its first minute.
    await eventually('answer', async () => ((await callOf(second)).state === 'answered' ? true : undefined));
    await client.moderate({ txnRef: second, action: 'kick' });
    expect(await callOf(second)).toMatchObject({ state: 'ended', ended_by: 'kick', call_status_dest: 'answered' });
    expect(await client.queryStatus(second)).toMatchObject({ callStatus: 'answered', durationMinutes: 1, debit: 20 });
    expect((await callOf(first)).state).not.toBe('ended');
  });

  it('hangs up one leg by its txn_ref', async () => {
    const client = harness().client();
    const { txnRefs } = await client.conferenceCall({ dest: [HOLD_A, HOLD_B] });
    await client.hangup(txnRefs[0]!);
    const calls = await harness().calls();
    expect(calls.map((call) => [call.txn_ref, call.state, call.ended_by])).toEqual([
      [txnRefs[0], 'ended', 'hangup'],
      [txnRefs[1], expect.not.stringMatching(/^ended$/) as string, null],
    ]);
    expect((await harness().stats()).activeCalls['demo-app']).toBe(1);
  });
});

describe('voice/get_history', () => {
  it('lists every leg with its tag, ongoing ones included, paged and filtered by date', async () => {
    const client = harness().client();
    const before = formatHoiioDate(Date.now() - 5_000);
    const a = await client.conferenceCall({ dest: [HOLD_A, HOLD_B], tag: 'hist-a' });
    const b = await client.conferenceCall({ dest: [SHORT_TALK], tag: 'hist-b' });
    await ended(b.txnRefs[0]!);

    const page = await client.getHistory({ from: before, page: 1 });
    expect(page.entriesCount).toBe(3);
    expect(page.totalEntriesCount).toBe(3);
    expect(page.entries.map((entry) => [entry.txnRef, entry.tag, entry.callStatus])).toEqual([
      [a.txnRefs[0], 'hist-a', 'ongoing'],
      [a.txnRefs[1], 'hist-a', 'ongoing'],
      [b.txnRefs[0], 'hist-b', 'answered'],
    ]);
    expect(page.entries[2]).toMatchObject({ durationMinutes: 3, debit: 60, currency: 'SGD' });

    expect(await client.getHistory({ page: 2 })).toEqual({ entriesCount: 0, totalEntriesCount: 3, entries: [] });
    const future = formatHoiioDate(Date.now() + 3_600_000);
    expect((await client.getHistory({ from: future })).totalEntriesCount).toBe(0);
    expect((await client.getHistory()).totalEntriesCount).toBe(3);
  });
});

describe('voice/get_rate and user/get_balance', () => {
  it('quotes a rate in thousandths with the estimated talk time', async () => {
    const quote = await harness().client().getRate({ dest1: '+6511111111', dest2: '+6511111112' });
    // The simulator prices a two-leg call as the sum of both legs: 0.020 + 0.020.
    expect(quote.currency).toBe('SGD');
    expect(quote.rate).toBe(40);
    expect(quote.talktimeMinutes).toBe(Math.floor(100_000_000 / 40));
  });

  it('reports the balance exactly and debits billed legs from it', async () => {
    const client = harness().client();
    const start = await client.getBalance();
    expect(start).toEqual({ currency: 'SGD', balance: 100_000_000, points: 100_000_000, bonus: 0 });
    const { txnRefs } = await client.conferenceCall({ dest: [SHORT_TALK] });
    const leg = await ended(txnRefs[0]!);
    const after = await client.getBalance();
    expect(after.balance).toBe(start.balance - leg.debit!);
    expect(after.points + after.bonus).toBe(after.balance);
  });
});
