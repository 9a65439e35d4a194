/**
 * `bridgekeeper config check`: the real CLI as a child process against a real Temporal dev server and the Hoiio
 * simulator. It reaches both without dialing anyone (the simulator's ledger stays empty), names what is wrong, and
 * never prints a secret.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator, type SimCall } from '../../dev/simulator';
import { startProcess } from '../support/processes';
import { startTemporalTestEnv } from '../support/temporal-test-env';
import { runCli } from './run-cli';

let env: TestWorkflowEnvironment;
let simulator: RunningSimulator;
let base: NodeJS.ProcessEnv;

beforeAll(async () => {
  env = await startTemporalTestEnv();
  simulator = await startSimulator({
    port: 0,
    accounts: [{ appId: 'sales-app', accessToken: 'sales-secret-token' }],
  });
  base = {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    HOIIO_BASE_URL: simulator.baseUrl,
    HOIIO_APP_ID: DEMO_ACCOUNT.appId,
    HOIIO_ACCESS_TOKEN: DEMO_ACCOUNT.accessToken,
    HOIIO_ACCOUNTS: JSON.stringify({ sales: { appId: 'sales-app', accessTokenEnv: 'HOIIO_SALES_TOKEN' } }),
    HOIIO_SALES_TOKEN: 'sales-secret-token',
  };
});

afterAll(async () => {
  await simulator?.close();
  await env?.teardown();
});

async function ledger(): Promise<SimCall[]> {
  return ((await (await fetch(`${simulator.origin}/_sim/calls`)).json()) as { calls: SimCall[] }).calls;
}

test('every check passes on a good configuration: Temporal reached, each account’s balance read, nobody dialed', async () => {
  const run = await runCli(['config', 'check'], base);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines.map((line) => line.replace(/:.*/, ''))).toEqual([
    'ok   temporal config',
    'ok   hoiio config',
    'ok   receiver config',
    'ok   worker config',
    'ok   temporal',
    'ok   hoiio account default',
    'ok   hoiio account sales',
  ]);
  expect(run.stdout).toContain(`ok   temporal: reached ${env.address}, namespace default exists`);
  expect(run.stdout).toMatch(/ok {3}hoiio account sales: sales-app at .*: balance [A-Z]{3} \d+\.\d{3}\n/);
  expect(await ledger()).toEqual([]);
});

test('a wrong token fails that account’s line with Hoiio’s status, and the token appears nowhere', async () => {
  const run = await runCli(['config', 'check'], { ...base, HOIIO_SALES_TOKEN: 'wrong-secret-token' });
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('ok   hoiio account default:');
  expect(run.stdout).toMatch(/FAIL hoiio account sales: Hoiio user\/get_balance answered error_\w+/);
  expect(run.stderr).toBe('bridgekeeper: config check: 1 of 7 checks failed\n');
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/wrong-secret-token|sales-secret-token|demo-token/);
  expect(await ledger()).toEqual([]);
});

test('Temporal down and bad variables each get a FAIL line naming the variable; exit 1', async () => {
  const down = await runCli(['config', 'check', '--no-hoiio'], { ...base, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(down.code).toBe(1);
  expect(down.stdout).toMatch(/^FAIL temporal: cannot reach Temporal at 127\.0\.0\.1:1: .+$/m);
  expect(down.stdout).not.toContain('hoiio account');

  const bad = await runCli(['config', 'check'], {
    ...base,
    TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem',
    TEMPORAL_API_KEY: 'sekret-api-key',
    HOIIO_CONNECT_TIMEOUT_MS: 'soon',
    BRIDGEKEEPER_SHUTDOWN_GRACE_MS: '30s',
  });
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain(
    'FAIL temporal config: Invalid Temporal configuration: TEMPORAL_TLS_CLIENT_CERT_PATH "/nonexistent/client.pem": no such file',
  );
  expect(bad.stdout).toMatch(/^FAIL hoiio config: .*HOIIO_CONNECT_TIMEOUT_MS.*must be a whole number/m);
  expect(bad.stdout).toMatch(/^FAIL worker config: .*BRIDGEKEEPER_SHUTDOWN_GRACE_MS must be a whole number/m);
  expect(bad.stdout).not.toContain('sekret-api-key');
});

test('the worker’s --check runs the same checks and exits without starting a worker', async () => {
  const worker = startProcess('node', ['--import', 'tsx', 'src/worker.ts', '--check'], base);
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  const cli = await runCli(['config', 'check'], base);
  const checks = (output: string) => output.replace(/balance .*/g, 'balance …');
  expect(checks(worker.output())).toBe(checks(cli.stdout));
  expect(worker.output()).not.toContain('Worker polling');
  expect(await ledger()).toEqual([]);
});
