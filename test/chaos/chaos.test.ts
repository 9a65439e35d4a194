/**
 * A short chaos run (dev/chaos, docs/chaos.md) as part of `npm test`: two sessions of 12 and one escalation on real
 * processes while the worker is stopped three times mid-dial (SIGTERM, SIGKILL, SIGTERM), the dev server and the
 * receiver are restarted once each and every simulator fault is on. It must find no violation in the simulator's
 * ledger.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SimCall, SimStats } from '../../dev/bench/ledger';
import { checkRun, type SimDelivery } from '../../dev/chaos/checks';
import type { EscalationResult } from '../../src/domain/escalation-types';
import type { SessionSummary } from '../../src/domain/session-types';
import type { ChaosResult } from '../../dev/chaos/run';
import { planEscalations, planSessions } from '../../dev/chaos/scenario';

const ROOT = path.resolve(__dirname, '..', '..');
/** 2 sessions × 12 participants, each scripted: 22 legs a session when every redial rule is followed exactly. */
const EXPECTED_LEGS = 44;

let child: ChildProcess | undefined;
let dir: string | undefined;

afterAll(() => {
  // The suite kills its own processes on SIGTERM; should it hang, its whole group goes.
  if (child?.pid && child.exitCode === null) {
    child.kill('SIGTERM');
    setTimeout(() => child?.pid && process.kill(-child.pid, 'SIGKILL'), 5_000).unref();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runChaosProcess(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    child = spawn(process.execPath, ['--import', 'tsx', 'dev/chaos/main.ts', ...args], {
      cwd: ROOT,
      env: process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('chaos suite (short run)', () => {
  it('survives worker stops mid-dial, a server and a receiver restart and every fault, with a clean ledger', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bridgekeeper-chaos-test-'));
    const json = path.join(dir, 'result.json');
    const { code, output } = await runChaosProcess([
      '--sessions', '2',
      '--participants', '12',
      '--escalations', '1',
      '--worker-stops', '3',
      '--server-restarts', '1',
      '--receiver-restarts', '1',
      '--time-scale', '40',
      '--talk', '30-120',
      '--seed', '11',
      '--timeout', '420',
      '--json', json,
    ]); // prettier-ignore

    // On a loaded machine (the whole suite on 2 cores) the run takes longer; its table says why it failed.
    if (code !== 0) throw new Error(`chaos run exited ${code}:\n${output.slice(-6_000)}`);
    const result = JSON.parse(readFileSync(json, 'utf8')) as ChaosResult;
    expect(result.violations).toEqual([]);
    expect(result.workerStops).toMatchObject({ graceful: 2, kill: 1 });
    expect(result.workerStops.midDial).toBeGreaterThanOrEqual(1);
    expect(result.serverRestarts).toBe(1);
    expect(result.receiverRestarts).toBe(1);
    expect(result.sessions).toEqual({ total: 2, completed: 2 });
    expect(result.legs).toBe(EXPECTED_LEGS);
    // The escalation completed (its outcome and every call are judged by the checks above, the acknowledger's keypress
    // included): both of step 1's responders and step 2's acknowledger were paged. Step 1's are dialed one after
    // another, and a page dial retried across worker stops and faults can take longer than the step: the time spent
    // dialing does not count against the step (docs/escalation.md), so the second is still rung.
    expect(result.escalations.total).toBe(1);
    expect(result.escalationReports[0]).toMatchObject({ status: 'COMPLETED' });
    expect(result.escalations.pages).toBeGreaterThanOrEqual(3);
    expect({ doubles: result.doubles, orphans: result.orphans, stalls: result.stalls }).toEqual({
      doubles: 0,
      orphans: 0,
      stalls: 0,
    });
    expect(result.peakConcurrent).toBeLessThanOrEqual(8);
    expect(result.concurrentRejections).toBe(0);
    expect(result.faults.injected).toBeGreaterThan(0);
    // The table a person reads says the same.
    expect(output).toMatch(/│ worker stops kill \(SIGKILL\)\s+│ 1\s+│/);
    expect(output).toMatch(/│ legs\s+│ 44\s+│/);
    expect(output).toMatch(/│ escalations \(acknowledged \/ total\)\s+│ [01] \/ 1\s+│/);
    expect(output).toContain('PASS: no violation');
  }, 480_000);
});

describe('chaos checks', () => {
  // A synthetic ledger: the checks must catch what the short run above should never show.
  const [plan] = planSessions({ sessions: 1, participants: 2, seed: 1, talk: { min: 60, max: 60 }, runId: 't' });
  const [first, second] = plan!.participants; // answered at once; busy then answered
  const leg = (txn: number, dest: string, status: string, from: number, to: number | null): SimCall =>
    ({
      txn_ref: `AA-C-${txn}`,
      dest,
      room: plan!.room,
      tag: 'chaos:bk-x-1',
      app_id: 'demo-app',
      call_status_dest: status,
      state: to === null ? 'answered' : 'ended',
      duration: status === 'answered' ? '1' : '0',
      rate: '0.020',
      debit: status === 'answered' ? '0.020' : '0.000',
      currency: 'SGD',
      dialed_at: new Date(from).toISOString(),
      ended_at: to === null ? null : new Date(to).toISOString(),
    }) as SimCall;
  const stats = (peak: number): SimStats => ({
    requests: {},
    rejections: { error_concurrent_call_limit_reached: 1 },
    peakConcurrentCalls: { 'demo-app': peak },
    peakRoomParticipants: {},
    http5xx: {},
    notifications: { sent: 0, delivered: 0, failed: 0, dropped: 0, duplicated: 0, delayed: 0, reordered: 0 },
    activeCalls: {},
  });

  it('names a double dial, overlapping legs, a live leg, a summary off by a leg, the peak and a held permit', () => {
    const calls = [
      leg(1, first!.number, 'answered', 0, 10_000),
      leg(2, first!.number, 'answered', 5_000, 12_000), // dialed again while the first leg was up
      leg(3, second!.number, 'busy', 0, 1_000),
      leg(4, second!.number, 'answered', 3_000, null), // still talking
    ];
    const summary = {
      room: plan!.room,
      endedBy: 'completed',
      participants: [
        { number: first!.number, status: 'answered', attempts: 1, txnRefs: ['AA-C-1'], minutes: 1, debit: '0.020' },
        {
          number: second!.number,
          status: 'answered',
          attempts: 2,
          txnRefs: ['AA-C-3', 'AA-C-4'],
          minutes: 1,
          debit: '0.020',
        },
      ],
      totals: [{ currency: 'SGD', debit: '0.040', minutes: 2 }],
    } as unknown as SessionSummary;
    const held = {
      permitId: 'p1',
      holder: plan!.workflowId,
      requestId: 'r',
      grantedAt: 0,
      leaseExpiresAt: 0,
      leaseMs: 0,
    };
    const { violations, counts } = checkRun({
      sessions: [{ plan: plan!, status: 'COMPLETED', summary }],
      calls,
      stats: stats(9),
      budgets: [{ workflowId: 'call-budget:demo-app', state: { held: [held], waiting: [] } as never }],
    });
    const found = new Set(violations.map((v) => `${v.invariant} ${v.number ?? ''}`.trim()));
    expect(found).toEqual(
      new Set([
        `double-dial ${first!.number}`,
        `overlapping-legs ${first!.number}`,
        `summary-mismatch ${first!.number}`,
        'summary-mismatch',
        `live-leg ${second!.number}`,
        'peak-concurrent-calls',
        'concurrent-limit-rejection',
        'budget-permit-held',
      ]),
    );
    expect(counts).toMatchObject({ legs: 4, doubles: 1, orphans: 2, liveLegs: 1, peakConcurrent: 9 });
  });

  describe('escalations', () => {
    const [esc] = planEscalations({ escalations: 1, seed: 1, talk: { min: 60, max: 60 }, runId: 't' });
    const plan = esc!;
    const key = 'bk-esc-abc123def456';
    let txn = 100;
    const call = (
      dest: string,
      fields: Partial<SimCall> & { from: number; to: number | null; status: string },
    ): SimCall => {
      const { from, to, status, ...rest } = fields;
      txn += 1;
      return {
        txn_ref: `AA-C-${txn}`,
        kind: 'ivr',
        session: `S${txn}`,
        dest,
        room: '',
        tag: `${key}-t${txn}`,
        app_id: 'demo-app',
        call_status_dest: status,
        state: to === null ? 'answered' : 'ended',
        duration: status === 'answered' ? '1' : '0',
        rate: '0.020',
        debit: status === 'answered' ? '0.020' : '0.000',
        currency: 'SGD',
        dialed_at: new Date(from).toISOString(),
        answered_at: null,
        ended_at: to === null ? null : new Date(to).toISOString(),
        ended_by: 'callee',
        digits: [],
        transfer_dest: null,
        transfer_status: null,
        ...rest,
      } as SimCall;
    };
    const resultFor = (calls: SimCall[], outcome: EscalationResult['outcome']): EscalationResult =>
      ({
        incident: plan.incident,
        outcome,
        ...(outcome === 'acknowledged' ? { acknowledged: { by: plan.acknowledger, via: 'keypress' } } : {}),
        startedAt: 0,
        endedAt: 1,
        timeline: [],
        legs: calls.map((c) => ({
          txnRef: c.txn_ref,
          number: c.dest,
          kind: c.kind === 'ivr' ? 'page' : 'bridge',
          status: c.call_status_dest,
          minutes: Number(c.duration),
          currency: 'SGD',
          rate: '0.020',
          debit: c.debit,
        })),
        cost: { SGD: (calls.filter((c) => c.debit === '0.020').length * 0.02).toFixed(3) },
      }) as EscalationResult;
    const clean = () => [
      call(plan.unanswered, { from: 0, to: 1_000, status: 'unanswered' }),
      call(plan.busy, { from: 0, to: 500, status: 'busy' }),
      call(plan.acknowledger, {
        from: 2_000,
        to: 9_000,
        status: 'answered',
        digits: ['1'],
        room: plan.room,
        transfer_dest: `room:${plan.room}`,
        transfer_status: 'answered',
      }),
      call(plan.alsoDial, {
        from: 4_000,
        to: 8_000,
        status: 'answered',
        kind: 'conference',
        session: null,
        room: plan.room,
        tag: `${key}-b1`,
      }),
    ];
    const judge = (
      calls: SimCall[],
      result: EscalationResult | undefined,
      deliveries?: SimDelivery[],
      status = 'COMPLETED',
    ) =>
      checkRun({
        sessions: [],
        escalations: [{ plan, status, result }],
        calls,
        stats: { ...stats(8), rejections: {} },
        budgets: [{ workflowId: 'call-budget:demo-app', state: { held: [], waiting: [] } as never }],
        deliveries,
      });
    const found = (violations: { invariant: string; number?: string }[]) =>
      new Set(violations.map((v) => `${v.invariant} ${v.number ?? ''}`.trim()));

    it('passes a clean acknowledged escalation and counts its pages and bridge legs', () => {
      const calls = clean();
      const { violations, counts } = judge(calls, resultFor(calls, 'acknowledged'));
      expect(violations).toEqual([]);
      expect(counts).toMatchObject({ legs: 0, escalations: 1, acknowledged: 1, pages: 3, bridgeLegs: 1, orphans: 0 });
    });

    it('names a page too many, overlapping pages, an acknowledger left out of the bridge, alsoDial twice, a result off by a leg, a live page and a page of no escalation', () => {
      const calls = clean();
      const ack = calls[2]!;
      ack.transfer_dest = null;
      ack.room = '';
      calls.push(
        call(plan.unanswered, { from: 500, to: 1_500, status: 'unanswered' }), // overlaps the first
        call(plan.unanswered, { from: 20_000, to: 21_000, status: 'unanswered' }),
        call(plan.unanswered, { from: 30_000, to: 31_000, status: 'unanswered' }), // 4 calls in 3 passes
        call(plan.alsoDial, {
          from: 5_000,
          to: 6_000,
          status: 'busy',
          kind: 'conference',
          session: null,
          room: plan.room,
          tag: `${key}-b2`,
        }),
        call(plan.busy, { from: 40_000, to: null, status: 'ongoing' }),
        call('+6599999999', { from: 0, to: 1_000, status: 'unanswered', tag: 'bk-esc-other-t1' }),
      );
      const result = resultFor(calls.slice(0, 4), 'acknowledged');
      const { violations, counts } = judge(calls, result);
      expect(found(violations)).toEqual(
        new Set([
          `double-page ${plan.unanswered}`,
          `overlapping-legs ${plan.unanswered}`,
          `ack-not-bridged ${plan.acknowledger}`,
          `also-dial-count ${plan.alsoDial}`,
          `result-mismatch ${plan.unanswered}`,
          `result-mismatch ${plan.alsoDial}`,
          `result-mismatch ${plan.busy}`,
          `live-leg ${plan.busy}`,
          'orphan-leg +6599999999',
        ]),
      );
      expect(counts.orphans).toBe(6);
    });

    it('excuses an unacknowledged end only where the ledger shows the key never reached the workflow', () => {
      const calls = clean().slice(0, 3);
      const ack = calls[2]!;
      ack.transfer_dest = null;
      ack.room = '';
      const result = resultFor(calls, 'unacknowledged');
      const delivery = (copy: number, outcome: SimDelivery['outcome']): SimDelivery => ({
        txn_ref: ack.txn_ref,
        kind: 'ivr',
        call_state: 'ongoing',
        copy,
        outcome,
        at: '',
      });
      // The key reached a gather, and both ongoing notifications (answer, digits) were delivered: a real miss.
      const delivered = judge(calls, result, [delivery(1, 'delivered'), delivery(1, 'delivered')]);
      expect(found(delivered.violations)).toEqual(new Set([`wrong-outcome ${plan.acknowledger}`]));
      // The digits' notification was dropped: Hoiio never resends it (docs/escalation.md).
      expect(judge(calls, result, [delivery(1, 'delivered'), delivery(1, 'dropped')]).violations).toEqual([]);
      // A dropped copy whose duplicate was delivered still reached the workflow.
      const duplicate = judge(calls, result, [
        delivery(1, 'delivered'),
        delivery(1, 'failed'),
        delivery(2, 'delivered'),
      ]);
      expect(found(duplicate.violations)).toEqual(new Set([`wrong-outcome ${plan.acknowledger}`]));
      // Never keyed (the answer was lost, so no gather ran): excused whatever the deliveries.
      ack.digits = [];
      expect(judge(calls, result, []).violations).toEqual([]);
    });

    it('names an escalation that did not complete', () => {
      const { violations } = judge([], undefined, [], 'RUNNING');
      expect(found(violations)).toEqual(new Set(['stall']));
      expect(found(judge([], undefined, [], 'FAILED').violations)).toEqual(new Set(['escalation-not-completed']));
    });
  });
});
