/**
 * A short chaos run (dev/chaos, docs/chaos.md) as part of `npm test`: two sessions of 12 on real processes while the
 * worker is stopped three times mid-dial (SIGTERM, SIGKILL, SIGTERM), the dev server and the receiver are restarted
 * once each and every simulator fault is on. It must find no violation in the simulator's ledger.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SimCall, SimStats } from '../../dev/bench/ledger';
import { checkRun } from '../../dev/chaos/checks';
import type { SessionSummary } from '../../src/domain/session-types';
import type { ChaosResult } from '../../dev/chaos/run';
import { planSessions } from '../../dev/chaos/scenario';

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
});
