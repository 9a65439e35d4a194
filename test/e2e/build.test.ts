import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator } from '../../dev/simulator';
import type { SimCall } from '../../dev/simulator';
import { conferenceSession } from '../../src/workflows';
import { freePort, PROJECT_ROOT, startProcess, type RunningProcess } from '../support/processes';
import { startTemporalTestEnv, uniqueId } from '../support/temporal-test-env';

/**
 * The production build as an operator deploys it: `tsc -p tsconfig.build.json`, then the worker and the receiver as
 * plain `node` processes (no tsx, no dev tooling), against a real dev server and the simulator.
 */
const OUT_DIR = path.join(PROJECT_ROOT, '.data', `build-check-${process.pid}`);

function compiledFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return compiledFiles(full);
    return entry.name.endsWith('.js') ? [full] : [];
  });
}

describe('the production build', () => {
  let env: TestWorkflowEnvironment | undefined;
  let simulator: RunningSimulator | undefined;
  const processes: RunningProcess[] = [];

  beforeAll(() => {
    const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', OUT_DIR], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    expect({ code: tsc.status, output: `${tsc.stdout}${tsc.stderr}` }).toEqual({ code: 0, output: '' });
  }, 120_000);

  afterAll(async () => {
    for (const running of processes) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    await simulator?.close();
    await env?.teardown();
    rmSync(OUT_DIR, { recursive: true, force: true });
  });

  it('needs nothing from dev tooling: no tsx, no @temporalio/testing, no dev/ or test/ module', () => {
    const offending = compiledFiles(OUT_DIR).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)]
        .map((match) => match[1]!)
        .filter((name) => /^(tsx|@temporalio\/testing)(\/|$)|(^|\/)(dev|test)\//.test(name))
        .map((name) => `${path.relative(OUT_DIR, file)} requires ${name}`),
    );
    expect(offending).toEqual([]);
  });

  it('runs the worker and the receiver with plain node: a session dials, settles by notification and completes', async () => {
    env = await startTemporalTestEnv();
    simulator = await startSimulator({ port: 0, timeScale: 600 });
    const receiverPort = await freePort();
    const taskQueue = uniqueId('build');
    const processEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOIIO_BASE_URL: simulator.baseUrl,
      HOIIO_APP_ID: DEMO_ACCOUNT.appId,
      HOIIO_ACCESS_TOKEN: DEMO_ACCOUNT.accessToken,
      RECEIVER_HOST: '127.0.0.1',
      RECEIVER_PORT: String(receiverPort),
      BRIDGEKEEPER_PUBLIC_URL: `http://127.0.0.1:${receiverPort}`,
      BRIDGEKEEPER_METRICS_PORT: String(await freePort()),
      // Nothing may load TypeScript on the side.
      NODE_OPTIONS: '',
    };
    const worker = startProcess('node', [path.join(OUT_DIR, 'worker.js')], processEnv);
    const receiver = startProcess('node', [path.join(OUT_DIR, 'receiver.js')], processEnv);
    processes.push(worker, receiver);
    await worker.waitFor(`Worker polling task queue ${taskQueue}`);
    await receiver.waitFor('bridgekeeper receiver listening');

    const participants = ['+6591000001', '+6591000002', '+6591000003'];
    const summary = await env.client.workflow.execute(conferenceSession, {
      taskQueue,
      workflowId: uniqueId('build-session'),
      args: [{ participants }],
    });

    const { calls } = (await (await fetch(`${simulator.origin}/_sim/calls`)).json()) as { calls: SimCall[] };
    expect(calls.map((call) => call.dest).sort()).toEqual(participants);
    expect(summary.endedBy).toBe('completed');
    // Every leg was settled by its notification, which only the receiver started from the build can deliver.
    expect(summary.legs).toMatchObject({ total: 3, endedBy: { notification: 3, poll: 0, assumed: 0 } });
  });
});
