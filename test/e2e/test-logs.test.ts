import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * Worker logs in `npm test` are held and printed only for a test that fails, or all of them with
 * BRIDGEKEEPER_TEST_LOGS=1 (docs/development.md). A jest of its own runs
 * test/support/fixtures/worker-logs.fixture.ts.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function runFixture(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const jest = require.resolve('jest/bin/jest');
  const args = [jest, '--ci', '--maxWorkers=1', '--testMatch', '**/test/support/fixtures/worker-logs.fixture.ts'];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

it("prints a failing test's worker logs and holds back a passing one's", async () => {
  const run = await runFixture({ BRIDGEKEEPER_TEST_LOGS: '', TEMPORAL_TEST_LOG: '' });
  expect(run.code).toBe(1);
  expect(run.output).toContain('1 passed, 1 failed');
  expect(run.output).toMatch(/\[WARN\] warning-from-the-failing-test/);
  expect(run.output).not.toContain('warning-from-the-passing-test');
});

it('prints every worker log with BRIDGEKEEPER_TEST_LOGS=1', async () => {
  const run = await runFixture({ BRIDGEKEEPER_TEST_LOGS: '1', TEMPORAL_TEST_LOG: '' });
  expect(run.code).toBe(1);
  expect(run.output).toMatch(/\[WARN\] warning-from-the-passing-test/);
  expect(run.output).toMatch(/\[WARN\] warning-from-the-failing-test/);
});
