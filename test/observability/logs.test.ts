import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSimulator, type RunningSimulator } from '../../dev/simulator';
import { signNotification } from '../../src/hoiio/signature';
import { sessionToken } from '../../src/notifications/notify-url';
import { conferenceSession } from '../../src/workflows';
import { freePort, startProcess, stopProcesses, type RunningProcess } from '../support/processes';
import { startTemporalTestEnv, uniqueId } from '../support/temporal-test-env';

/**
 * LOG_FORMAT=json on the worker and the receiver run from their entry points: every line either writes is a JSON
 * object with time, level and msg; the lines about a session carry its workflow id, the account and the txn_ref
 * where there is one; and the access token, the notify secret, the session token and a signature never appear.
 */
interface Line {
  time: string;
  level: string;
  msg: string;
  workflow_id?: string;
  account?: string;
  txn_ref?: string;
  [key: string]: unknown;
}

describe('structured logs', () => {
  let env: TestWorkflowEnvironment | undefined;
  let simulator: RunningSimulator | undefined;
  const processes: RunningProcess[] = [];

  afterAll(async () => {
    await stopProcesses(processes, simulator, env);
  });

  it('writes JSON lines with the session’s context, and never a token, secret or signature', async () => {
    env = await startTemporalTestEnv();
    const accessToken = `tok-${randomBytes(12).toString('hex')}`;
    const secret = `sec-${randomBytes(12).toString('hex')}`;
    simulator = await startSimulator({ port: 0, timeScale: 600, accounts: [{ appId: 'log-app', accessToken }] });
    const receiverPort = await freePort();
    const taskQueue = uniqueId('logs');
    const processEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOIIO_BASE_URL: simulator.baseUrl,
      HOIIO_APP_ID: 'log-app',
      HOIIO_ACCESS_TOKEN: accessToken,
      RECEIVER_PORT: String(receiverPort),
      BRIDGEKEEPER_PUBLIC_URL: `http://127.0.0.1:${receiverPort}`,
      BRIDGEKEEPER_NOTIFY_SECRET: secret,
      BRIDGEKEEPER_METRICS_PORT: String(await freePort()),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'DEBUG',
    };
    const worker = startProcess('node', ['--import', 'tsx', 'src/worker.ts'], processEnv);
    const receiver = startProcess('node', ['--import', 'tsx', 'src/receiver.ts'], processEnv);
    processes.push(worker, receiver);
    await worker.waitFor('Worker polling task queue');
    await receiver.waitFor('bridgekeeper receiver listening');

    const workflowId = uniqueId('logs-session');
    const summary = await env.client.workflow.execute(conferenceSession, {
      taskQueue,
      workflowId,
      args: [{ participants: ['+6591000201', '+6591000202'] }],
    });
    expect(summary.legs.endedBy.notification).toBe(2);

    // A notification with the right session token and a forged signature: refused, and logged without either.
    const token = sessionToken(secret, 'default', workflowId);
    const body = 'txn_ref=TX1&dest=%2B6591000201&call_status_dest=answered';
    const signature = signNotification(body, 'not-the-token');
    const forged = await fetch(
      `http://127.0.0.1:${receiverPort}/hoiio/notify?bk_session=${workflowId}&bk_account=default&bk_token=${token}`,
      { method: 'POST', body, headers: { 'x-hoiio-signature': signature } },
    );
    expect(forged.status).toBe(401);
    await receiver.waitFor('signature does not match');

    const output = `${worker.output()}${receiver.output()}`;
    for (const secretText of [accessToken, secret, token, signature]) expect(output).not.toContain(secretText);

    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const notJson = lines.filter((line) => {
      try {
        const parsed = JSON.parse(line) as Line;
        return typeof parsed.time !== 'string' || typeof parsed.level !== 'string' || typeof parsed.msg !== 'string';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const parsed = lines.map((line) => JSON.parse(line) as Line);
    const aboutSession = parsed.filter((line) => line.workflow_id === workflowId);

    // The receiver: each accepted notification with the workflow id, the account and the leg.
    const accepted = aboutSession.filter((line) => line.msg === 'notification accepted 200');
    expect(accepted).toHaveLength(2);
    for (const line of accepted) expect(line).toMatchObject({ account: 'default', txn_ref: expect.any(String) });
    expect(aboutSession).toContainEqual(
      expect.objectContaining({ msg: 'notification rejected 401', account: 'default', level: 'warn' }),
    );
    // The worker (the SDK's Runtime logger): its activities' lines carry the workflow id and, once the activity has
    // read its request, the account (the SDK writes "Activity started" before any interceptor sees the request);
    // the workflow's own lines carry the account too.
    const activityLines = aboutSession.filter((line) => typeof line.activity_type === 'string');
    expect(activityLines.map((line) => line.activity_type)).toEqual(expect.arrayContaining(['placeConferenceCall']));
    for (const line of activityLines.filter((entry) => entry.msg !== 'Activity started')) {
      expect(line).toMatchObject({ account: 'default', run_id: expect.any(String) });
    }
    const workflowLines = aboutSession.filter((line) => line.msg.startsWith('Workflow '));
    expect(workflowLines.map((line) => line.msg)).toEqual(expect.arrayContaining(['Workflow started']));
    for (const line of workflowLines) expect(line.account).toBe('default');
  }, 180_000);
});
