import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator } from '../../dev/simulator';
import type { SimCall } from '../../dev/simulator';
import { conferenceSession } from '../../src/workflows';
import { freePort, PROJECT_ROOT, startProcess, type RunningProcess } from '../support/processes';
import { startTemporalTestEnv, uniqueId } from '../support/temporal-test-env';
import { waitFor } from '../support/wait-for';

/**
 * The production build as an operator deploys it, and as the Dockerfile's build stage makes it: `npm run build` (tsc
 * into dist/, then the prebuilt workflow bundle), then the worker, the receiver and the CLI as plain `node` processes
 * (no tsx, no dev tooling), against a real dev server and the simulator.
 */
const OUT_DIR = path.join(PROJECT_ROOT, 'dist');

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
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect({ code: build.status, stderr: build.stderr }).toEqual({ code: 0, stderr: '' });
    expect(existsSync(path.join(OUT_DIR, 'workflow-bundle.js'))).toBe(true);
  }, 180_000);

  afterAll(async () => {
    for (const running of processes) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    await simulator?.close();
    await env?.teardown();
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
    const metricsPort = await freePort();
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
      BRIDGEKEEPER_METRICS_PORT: String(metricsPort),
      // Nothing may load TypeScript on the side.
      NODE_OPTIONS: '',
    };
    const worker = startProcess('node', [path.join(OUT_DIR, 'worker.js')], processEnv);
    const receiver = startProcess('node', [path.join(OUT_DIR, 'receiver.js')], processEnv);
    processes.push(worker, receiver);
    await worker.waitFor(`Worker polling task queue ${taskQueue}`);
    // The build's bundle, not webpack at start-up.
    expect(worker.output()).toContain(
      `Worker using the prebuilt workflow bundle ${path.join(OUT_DIR, 'workflow-bundle.js')}`,
    );
    await receiver.waitFor('bridgekeeper receiver listening');

    const participants = ['+6591000001', '+6591000002', '+6591000003'];
    const summaryId = uniqueId('build-session');
    const summary = await env.client.workflow.execute(conferenceSession, {
      taskQueue,
      workflowId: summaryId,
      args: [{ participants }],
    });

    const { calls } = (await (await fetch(`${simulator.origin}/_sim/calls`)).json()) as { calls: SimCall[] };
    expect(calls.map((call) => call.dest).sort()).toEqual(participants);
    expect(summary.endedBy).toBe('completed');
    // Every leg was settled by its notification, which only the receiver started from the build can deliver.
    expect(summary.legs).toMatchObject({ total: 3, endedBy: { notification: 3, poll: 0, assumed: 0 } });

    // The bundle carries the workflow interceptor modules: its leg metrics counted each of the session's legs once.
    const legsCounted = (text: string) =>
      [...text.matchAll(/^bridgekeeper_legs_ended_total\{account="default",outcome="\w+"\} (\d+)$/gm)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    const metrics = await waitFor(
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      (text) => legsCounted(text) >= calls.length,
      'the worker’s /metrics counting the session’s legs',
    );
    expect(legsCounted(metrics)).toBe(calls.length);
    expect(metrics).toMatch(/^temporal_workflow_completed\{/m);

    // The CLI runs from the build too (the image has no tsx): `summary` reads the session back.
    const cli = spawnSync('node', [path.join(OUT_DIR, 'cli', 'main.js'), 'summary', '--json', summaryId], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...processEnv },
      encoding: 'utf8',
    });
    expect({ code: cli.status, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(cli.stdout)).toMatchObject({ endedBy: 'completed' });
  });

  it.each(['worker.js', 'receiver.js'])(
    '%s refuses a misconfiguration at start: exit 1 and one line naming the variable',
    async (entry) => {
      const started = startProcess('node', [path.join(OUT_DIR, entry)], {
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem',
        TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key',
        NODE_OPTIONS: '',
      });
      expect((await started.exited).code).toBe(1);
      expect(started.output()).toMatch(
        /^bridgekeeper (worker|receiver): Invalid Temporal configuration: TEMPORAL_TLS_CLIENT_CERT_PATH "\/nonexistent\/client\.pem": no such file\n$/,
      );
    },
  );
});
