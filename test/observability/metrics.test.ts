import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEMO_ACCOUNT, startSimulator, type RunningSimulator, type SimCall } from '../../dev/simulator';
import { parseMoney, sumMoney } from '../../src/domain/money';
import { conferenceSession } from '../../src/workflows';
import { freePort, startProcess, stopProcesses, type RunningProcess } from '../support/processes';
import { startTemporalTestEnv, uniqueId } from '../support/temporal-test-env';
import { waitFor } from '../support/wait-for';
import { dashboardMetricNames } from './dashboard-metrics';

/**
 * The worker and the receiver as an operator runs them (their entry points, in their own processes), a session on a
 * real dev server and the simulator, then `/metrics` scraped over HTTP from both: the session's legs by outcome and
 * cost, the Hoiio replies, the notifications, the call budget's gauges, and the SDK's own metrics.
 */

/** `name{labels} value` lines of a text exposition, as a map from `name{labels}` to value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return samples(await response.text());
}

describe('metrics of the worker and the receiver', () => {
  let env: TestWorkflowEnvironment | undefined;
  let simulator: RunningSimulator | undefined;
  const processes: RunningProcess[] = [];

  afterAll(async () => {
    await stopProcesses(processes, simulator, env);
  });

  it('counts a session’s legs by outcome, its cost, its Hoiio replies and notifications, beside the SDK’s metrics', async () => {
    env = await startTemporalTestEnv();
    const participants = ['+6591000101', '+6591000102', '+6591000103'];
    simulator = await startSimulator({
      port: 0,
      timeScale: 600,
      scripts: {
        [participants[0]!]: { outcome: 'answered', talkSeconds: 90 },
        [participants[1]!]: { outcome: 'answered', talkSeconds: 200 },
        [participants[2]!]: { outcome: 'busy' },
      },
    });
    const [receiverPort, metricsPort] = [await freePort(), await freePort()];
    const taskQueue = uniqueId('metrics');
    const processEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      HOIIO_BASE_URL: simulator.baseUrl,
      HOIIO_APP_ID: DEMO_ACCOUNT.appId,
      HOIIO_ACCESS_TOKEN: DEMO_ACCOUNT.accessToken,
      RECEIVER_PORT: String(receiverPort),
      BRIDGEKEEPER_PUBLIC_URL: `http://127.0.0.1:${receiverPort}`,
      BRIDGEKEEPER_METRICS_PORT: String(metricsPort),
    };
    const worker = startProcess('node', ['--import', 'tsx', 'src/worker.ts'], processEnv);
    const receiver = startProcess('node', ['--import', 'tsx', 'src/receiver.ts'], processEnv);
    processes.push(worker, receiver);
    await worker.waitFor(`Worker metrics at http://127.0.0.1:${metricsPort}/metrics`);
    await receiver.waitFor('bridgekeeper receiver listening');
    const workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    const receiverMetrics = `http://127.0.0.1:${receiverPort}/metrics`;

    const summary = await env.client.workflow.execute(conferenceSession, {
      taskQueue,
      workflowId: uniqueId('metrics-session'),
      args: [{ participants }],
    });
    expect(summary.legs).toMatchObject({ total: 3, endedBy: { notification: 3, poll: 0, assumed: 0 } });

    // What Hoiio (the simulator) says happened is what the metrics must say.
    const { calls } = (await (await fetch(`${simulator.origin}/_sim/calls`)).json()) as { calls: SimCall[] };
    const byOutcome = new Map<string, number>();
    for (const call of calls) byOutcome.set(call.call_status_dest, (byOutcome.get(call.call_status_dest) ?? 0) + 1);
    expect(Object.fromEntries(byOutcome)).toEqual({ answered: 2, busy: 1 });
    const billed = sumMoney(calls.map((call) => parseMoney(call.debit ?? '0')));
    expect(billed).toBeGreaterThan(0);
    expect(summary.totals).toEqual([expect.objectContaining({ currency: DEMO_ACCOUNT.currency })]);

    const ours = await waitFor(
      () => scrape(workerMetrics),
      (found) => found.get('bridgekeeper_legs_ended_total{account="default",outcome="busy"}') === 1,
      'the last leg counted on the worker',
    );
    expect(ours.get('bridgekeeper_legs_ended_total{account="default",outcome="answered"}')).toBe(2);
    expect(ours.get(`bridgekeeper_cost_thousandths_total{account="default",currency="${DEMO_ACCOUNT.currency}"}`)).toBe(
      billed,
    );
    expect(parseMoney(summary.totals[0]!.debit)).toBe(billed);
    expect(ours.get('bridgekeeper_hoiio_replies_total{endpoint="conference/call",status="success_ok"}')).toBe(
      summary.requests.conferenceCall,
    );
    expect(ours.get('bridgekeeper_hoiio_request_seconds_count{endpoint="conference/call"}')).toBe(
      summary.requests.conferenceCall,
    );
    // Read from the account's call budget at the scrape: nothing up, nothing held, nobody waiting once it is over.
    expect(ours.get('bridgekeeper_active_calls{account="default"}')).toBe(0);
    expect(ours.get('bridgekeeper_permits_held{account="default"}')).toBe(0);
    expect(ours.get('bridgekeeper_permits_waiting{account="default"}')).toBe(0);
    // The SDK's own metrics, through the same endpoint.
    const sdk = [...ours.keys()].filter((name) => name.startsWith('temporal_'));
    expect(sdk).toEqual(expect.arrayContaining([expect.stringMatching(/^temporal_workflow_completed/)]));
    // Every SDK metric the Grafana dashboard reads is one the worker serves.
    const served = new Set(sdk.map((name) => name.replace(/\{.*$/, '')));
    const charted = dashboardMetricNames().filter((name) => name.startsWith('temporal_'));
    expect(charted.filter((name) => !served.has(name))).toEqual([]);

    // A forged notification is counted as rejected, by reason.
    const forged = await fetch(
      `http://127.0.0.1:${receiverPort}/hoiio/notify?bk_session=x&bk_account=default&bk_token=nope`,
      {
        method: 'POST',
        body: 'txn_ref=AA1',
      },
    );
    expect(forged.status).toBeGreaterThanOrEqual(400);
    const notifications = await scrape(receiverMetrics);
    expect(notifications.get('bridgekeeper_notifications_received_total{source="conference"}')).toBe(4);
    expect(notifications.get('bridgekeeper_notification_signal_seconds_count{source="conference"}')).toBe(3);
    expect(notifications.get('bridgekeeper_notifications_rejected_total{source="conference",reason="bad_token"}')).toBe(
      1,
    );
  }, 180_000);
});
