import { type RunningSimulator } from '../../dev/simulator';
import { verifyNotificationSignature } from '../../src/hoiio/signature';
import { api, calls, Receiver, simGet, simPost, sleep, start, waitFor, matching } from './helpers';

const FAST = 6_000;

describe('end-of-leg notifications', () => {
  let sim: RunningSimulator;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    sim = await start({
      timeScale: FAST,
      scripts: {
        '+6511111111': { outcome: 'answered', ringSeconds: 5, talkSeconds: 420 },
        '+6522222222': { outcome: 'busy' },
        '+6533333333': { outcome: 'answered', ringSeconds: 0, talkSeconds: 36_000_000 },
      },
      accounts: [{ appId: 'second-app', accessToken: 'second-token' }],
    });
  });
  beforeEach(async () => {
    await simPost(sim, '/_sim/reset', {});
    await simPost(sim, '/_sim/config', {
      faults: { notifications: { dropRate: 0, duplicateRate: 0, delayRate: 0, delayMs: 0, reorderRate: 0 } },
    });
    receiver.received.length = 0;
    receiver.status = 200;
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });

  it('POSTs every documented field, form-encoded, signed with the account token; pass-on params stay in the URL', async () => {
    const notifyUrl = `${receiver.url}/hoiio/notify?session=wf-1&token=abc%2Fdef`;
    const { body } = await api(sim, 'conference/call', {
      dest: '+6511111111,+6522222222',
      tag: 'tag one',
      notify_url: notifyUrl,
    });
    const refs = body.txn_refs as string[];
    await waitFor(() => receiver.received.length === 2 || undefined);

    const byRef = new Map(receiver.received.map((hit) => [new URLSearchParams(hit.body).get('txn_ref'), hit]));
    const answered = byRef.get(refs[0] ?? '');
    expect(answered?.url).toBe('/hoiio/notify?session=wf-1&token=abc%2Fdef');
    expect(answered?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const fields = Object.fromEntries(new URLSearchParams(answered?.body ?? ''));
    expect(fields).toEqual({
      dest: '+6511111111',
      call_status_dest: 'answered',
      txn_ref: refs[0],
      tag: 'tag one',
      date: matching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      duration: '7',
      currency: 'SGD',
      rate: '0.020',
      debit: '0.140',
    });
    // No room field: Hoiio does not send one.
    expect(fields).not.toHaveProperty('room');
    const busy = Object.fromEntries(new URLSearchParams(byRef.get(refs[1] ?? '')?.body ?? ''));
    expect(busy).toMatchObject({ call_status_dest: 'busy', duration: '0', debit: '0.000' });

    for (const hit of receiver.received) {
      const signature = hit.headers['x-hoiio-signature'];
      expect(signature).toMatch(/^[0-9a-f]{64}$/);
      expect(verifyNotificationSignature(hit.body, signature, 'demo-token')).toBe(true);
      expect(verifyNotificationSignature(hit.body.replace('debit=0.', 'debit=9.'), signature, 'demo-token')).toBe(
        false,
      );
      expect(verifyNotificationSignature(`${hit.body}&x=1`, signature, 'demo-token')).toBe(false);
      expect(verifyNotificationSignature(hit.body, signature, 'second-token')).toBe(false);
    }
  });

  it('leaves tag out when none was sent, and signs with the owning account’s token', async () => {
    await api(sim, 'conference/call', {
      app_id: 'second-app',
      access_token: 'second-token',
      dest: '+6522222222',
      notify_url: `${receiver.url}/n`,
    });
    await waitFor(() => receiver.received.length === 1 || undefined);
    const [hit] = receiver.received;
    expect(new URLSearchParams(hit?.body).has('tag')).toBe(false);
    expect(verifyNotificationSignature(hit?.body ?? '', hit?.headers['x-hoiio-signature'], 'second-token')).toBe(true);
  });

  it('kick and hangup end a leg and fire its notification', async () => {
    const { body } = await api(sim, 'conference/call', {
      dest: '+6533333333,+6533333333',
      notify_url: `${receiver.url}/n`,
    });
    const [first = '', second = ''] = body.txn_refs as string[];
    await waitFor(async () => (await calls(sim)).every((leg) => leg.state === 'answered') || undefined);
    await sleep(20);
    expect(receiver.received).toHaveLength(0);
    expect((await api(sim, 'conference/moderate', { txn_ref: first, action: 'kick' })).body.status).toBe('success_ok');
    expect((await api(sim, 'voice/hangup', { txn_ref: second })).body.status).toBe('success_ok');
    await waitFor(() => receiver.received.length === 2 || undefined);
    const seen = receiver.received.map((hit) => Object.fromEntries(new URLSearchParams(hit.body)));
    expect(seen.map((fields) => fields.txn_ref).sort()).toEqual([first, second].sort());
    // At 6000x the few real milliseconds on the line are a few simulated minutes, billed in whole 0.020 blocks.
    for (const fields of seen) {
      expect(fields.call_status_dest).toBe('answered');
      expect(Number(fields.duration)).toBeGreaterThanOrEqual(1);
      expect(fields.debit).toBe(`0.${String(Number(fields.duration) * 20).padStart(3, '0')}`);
    }
  });

  it('never resends a notification the receiver refused', async () => {
    receiver.status = 500;
    await api(sim, 'conference/call', { dest: '+6522222222', notify_url: `${receiver.url}/n` });
    await waitFor(() => receiver.received.length === 1 || undefined);
    await sleep(150);
    expect(receiver.received).toHaveLength(1);
    const log = await simGet<{ notifications: { outcome: string; http_status: number }[] }>(sim, '/_sim/notifications');
    expect(log.notifications).toEqual([expect.objectContaining({ outcome: 'failed', http_status: 500 })]);
  });

  it('a notify_url nobody listens on fails quietly: the leg is still ended and billed', async () => {
    const closed = await new Receiver().start();
    const url = closed.url;
    await closed.close();
    await api(sim, 'conference/call', { dest: '+6522222222', notify_url: `${url}/gone` });
    await waitFor(async () => {
      const log = await simGet<{ notifications: { outcome: string }[] }>(sim, '/_sim/notifications');
      return log.notifications[0]?.outcome === 'failed' || undefined;
    });
    expect((await calls(sim))[0]?.state).toBe('ended');
  });

  describe('fault knobs', () => {
    const legs = (n: number): string => Array.from({ length: n }, () => '+6522222222').join(',');

    it('drop: dropRate 1 sends nothing, and the log says dropped', async () => {
      await simPost(sim, '/_sim/config', { faults: { notifications: { dropRate: 1 } } });
      await api(sim, 'conference/call', { dest: legs(3), notify_url: `${receiver.url}/n` });
      await waitFor(
        async () =>
          (await simGet<{ notifications: { dropped: number } }>(sim, '/_sim/stats')).notifications.dropped === 3 ||
          undefined,
      );
      await sleep(50);
      expect(receiver.received).toHaveLength(0);
    });

    it('duplicate: duplicateRate 1 sends each notification twice, byte for byte', async () => {
      await simPost(sim, '/_sim/config', { faults: { notifications: { duplicateRate: 1 } } });
      await api(sim, 'conference/call', { dest: legs(2), notify_url: `${receiver.url}/n` });
      await waitFor(() => receiver.received.length === 4 || undefined);
      const bodies = receiver.received.map((hit) => hit.body);
      expect(new Set(bodies).size).toBe(2);
      for (const body of new Set(bodies)) expect(bodies.filter((other) => other === body)).toHaveLength(2);
    });

    it('delay: delayRate 1 holds each notification back by delayMs', async () => {
      await simPost(sim, '/_sim/config', { faults: { notifications: { delayRate: 1, delayMs: 300 } } });
      await api(sim, 'conference/call', { dest: '+6522222222', notify_url: `${receiver.url}/n` });
      const leg = await waitFor(async () => (await calls(sim)).find((candidate) => candidate.state === 'ended'));
      await waitFor(() => receiver.received.length === 1 || undefined);
      expect((receiver.received[0]?.at ?? 0) - Date.parse(leg.ended_at ?? '')).toBeGreaterThanOrEqual(280);
    });

    it('reorder: a held notification arrives after the next one', async () => {
      // One leg ends (and is held), then a second ends and overtakes it.
      await simPost(sim, '/_sim/config', { faults: { notifications: { reorderRate: 1, reorderHoldMs: 5_000 } } });
      const first = await api(sim, 'conference/call', { dest: '+6522222222', notify_url: `${receiver.url}/n` });
      await waitFor(async () => (await calls(sim))[0]?.state === 'ended' || undefined);
      await simPost(sim, '/_sim/config', { faults: { notifications: { reorderRate: 0 } } });
      const second = await api(sim, 'conference/call', { dest: '+6522222222', notify_url: `${receiver.url}/n` });
      await waitFor(() => receiver.received.length === 2 || undefined);
      const order = receiver.received.map((hit) => new URLSearchParams(hit.body).get('txn_ref'));
      expect(order).toEqual([(second.body.txn_refs as string[])[0], (first.body.txn_refs as string[])[0]]);
    });
  });
});
