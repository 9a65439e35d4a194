import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningSimulator } from '../../dev/simulator';
import { api, calls, Receiver, simGet, start, waitFor } from './helpers';

const SCALE = 60;
const UP = '+6591000001'; // answered, on the line for an hour
const SHORT = '+6591000002'; // answered, a minute's call that ends before the stop
const RINGING = '+6591000003'; // still ringing at the stop
const IVR = '+6591000004'; // an IVR call answered and waiting for a block

const scripts = {
  [UP]: { outcome: 'answered' as const, ringSeconds: 0, talkSeconds: 3_600 },
  [SHORT]: { outcome: 'answered' as const, ringSeconds: 0, talkSeconds: 60 },
  [RINGING]: { outcome: 'answered' as const, ringSeconds: 3_600, talkSeconds: 60 },
  [IVR]: { outcome: 'answered' as const, ringSeconds: 0 },
};

const fieldsOf = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('the simulator with a state file', () => {
  let dir: string;
  let receiver: Receiver;
  const running: RunningSimulator[] = [];
  const startOn = async (stateFile: string) => {
    const sim = await start({ timeScale: SCALE, stateFile, scripts, timing: { ivrIdleSeconds: 3_600 } });
    running.push(sim);
    return sim;
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sim-state-'));
    receiver = await new Receiver().start();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.close()));
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its ledger across a restart: txn_refs go on, old calls still answer, calls that were up end notified', async () => {
    const stateFile = path.join(dir, 'ledger.json');
    const first = await startOn(stateFile);
    const notifyUrl = `${receiver.url}/hoiio/notify`;
    const dialed = await api(first, 'conference/call', {
      dest: [UP, SHORT, RINGING].join(','),
      room: 'standup',
      tag: 'before',
      notify_url: notifyUrl,
    });
    const [upRef, shortRef, ringingRef] = dialed.body.txn_refs as string[];
    const ivr = await api(first, 'ivr/start/dial', { dest: IVR, notify_url: `${receiver.url}/hoiio/ivr` });
    const ivrRef = ivr.body.txn_ref as string;
    // The minute's call has ended and been reported; the hour's call and the IVR call are up, one is ringing.
    await waitFor(async () => {
      const states = Object.fromEntries((await calls(first)).map((leg) => [leg.txn_ref, leg.state]));
      return states[shortRef!] === 'ended' && states[upRef!] === 'answered' && states[ivrRef] === 'answered';
    }, 20_000);
    await waitFor(() => receiver.received.some((hit) => hit.url.startsWith('/hoiio/ivr')) || undefined, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // about 90 simulated seconds on the line
    const before = await calls(first);
    await first.close();
    const heardBefore = receiver.received.length;

    const second = await startOn(stateFile);
    // The calls that were up end at once, each with its end notification, as a carrier reports dropped calls.
    await waitFor(() => receiver.received.length >= heardBefore + 3 || undefined, 20_000);
    const after: Record<string, string>[] = receiver.received
      .slice(heardBefore)
      .map((hit) => ({ ...fieldsOf(hit.body), url: hit.url }));
    expect(after).toHaveLength(3);
    expect(after).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ url: '/hoiio/notify', txn_ref: upRef, call_status_dest: 'answered' }),
        expect.objectContaining({
          url: '/hoiio/notify',
          txn_ref: ringingRef,
          call_status_dest: 'failed',
          debit: '0.000',
        }),
        expect.objectContaining({ url: '/hoiio/ivr', txn_ref: ivrRef, call_state: 'ended', dial_status: 'answered' }),
      ]),
    );

    // Every old call is still in the ledger, ended; the one that had ended is as it was.
    const ledger = await calls(second);
    expect(ledger.map((leg) => leg.txn_ref)).toEqual(before.map((leg) => leg.txn_ref));
    expect(ledger.every((leg) => leg.state === 'ended')).toBe(true);
    expect(ledger.find((leg) => leg.txn_ref === shortRef)).toEqual(before.find((leg) => leg.txn_ref === shortRef));
    // Billed up to the stop: about 90 simulated seconds on the line are 2 minutes or more, as its notification said.
    const up = ledger.find((leg) => leg.txn_ref === upRef)!;
    expect(up).toMatchObject({ ended_by: 'restart', call_status_dest: 'answered' });
    expect(Number(up.duration)).toBeGreaterThanOrEqual(2);
    expect(after.find((fields) => fields.txn_ref === upRef)).toMatchObject({ duration: up.duration, debit: up.debit });
    expect(ledger.find((leg) => leg.txn_ref === ringingRef)).toMatchObject({ ended_by: 'restart', duration: '0' });

    // query_status and get_history still answer about them.
    const status = await api(second, 'voice/query_status', { txn_ref: shortRef! });
    expect(status.body).toMatchObject({ status: 'success_ok', call_status_dest1: 'answered', duration: '1' });
    const history = await api(second, 'voice/get_history', {});
    const listed = (history.body.entries as { txn_ref: string }[]).map((entry) => entry.txn_ref);
    expect(listed).toEqual(expect.arrayContaining([upRef, shortRef, ringingRef, ivrRef]));
    // An IVR block on the old session is refused as ended, not as unknown.
    const gather = await api(second, 'ivr/middle/gather', {
      session: ledger.find((leg) => leg.txn_ref === ivrRef)!.session!,
      notify_url: `${receiver.url}/hoiio/ivr`,
    });
    expect(gather.body.status).toBe('error_session_ended');

    // The balance carries every debit, old and new; a new dial takes the next txn_ref, never an old one.
    const spent = ledger.reduce((sum, leg) => sum + Math.round(Number(leg.debit ?? '0') * 1000), 0);
    const balance = await api(second, 'user/get_balance', {});
    expect(Math.round(Number(balance.body.balance) * 1000)).toBe(100_000_000 - spent);
    const next = await api(second, 'conference/call', { dest: SHORT, room: 'standup' });
    const nextRef = (next.body.txn_refs as string[])[0]!;
    const serial = (ref: string) => Number(ref.replace(/\D/g, ''));
    expect(serial(nextRef)).toBe(Math.max(...ledger.map((leg) => serial(leg.txn_ref))) + 1);
    // The dropped calls no longer count against the account's 8: only the new call is active.
    const stats = await simGet<{ activeCalls: Record<string, number> }>(second, '/_sim/stats');
    expect(stats.activeCalls['demo-app']).toBe(1);
    expect(readdirSync(dir)).toEqual(['ledger.json']);
  }, 60_000);

  it('refuses a corrupt or foreign state file, naming it, instead of starting with an empty ledger', async () => {
    const corrupt = path.join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"version":1,"legs":[');
    await expect(startOn(corrupt)).rejects.toThrow(
      new RegExp(`Simulator state file ${corrupt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not valid JSON`),
    );
    const foreign = path.join(dir, 'foreign.json');
    writeFileSync(foreign, JSON.stringify({ version: 1, legs: 'none' }));
    await expect(startOn(foreign)).rejects.toThrow(`Simulator state file ${foreign}: is not a simulator ledger`);
  });
});
