/**
 * A short chaos run (dev/chaos, docs/chaos.md) as part of `npm test`: two sessions of 12 on real processes while the
 * worker is stopped three times mid-dial (SIGTERM, SIGKILL, SIGTERM), the dev server and the receiver are restarted
 * once each and every simulator fault is on. It must find no violation in the simulator's ledger.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChaosResult } from '../../dev/chaos/run';

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
      '--timeout', '170',
      '--json', json,
    ]); // prettier-ignore

    expect({ code, tail: output.slice(-6_000) }).toMatchObject({ code: 0 });
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
  }, 240_000);
});
