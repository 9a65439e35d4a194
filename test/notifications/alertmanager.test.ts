import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { escalationFromPolicy, escalationWorkflowId } from '../../src/domain/escalation-input';
import {
  ALERTMANAGER_PATH,
  alertmanagerOptions,
  choosePolicy,
  formatLogEvent,
  incidentIdFor,
  loadPolicies,
  type ReceiverLogEvent,
  type RunningReceiver,
  startReceiver,
  titleFor,
} from '../../src/notifications';
import type { PolicyFile } from '../../src/domain/escalation-input';
import { startProcess } from '../support/processes';
import {
  startTemporalTestEnv,
  startTestWorker,
  stopTemporalTestEnv,
  type TestWorker,
  uniqueId,
} from '../support/temporal-test-env';
import { waitFor } from '../support/wait-for';
import { type StandInState, standInQuery } from './support/escalation-stand-in';

/**
 * The Alertmanager webhook over real HTTP on 127.0.0.1, starting and resolving a stand-in `escalation` workflow on a
 * real Temporal dev server. The token is random per run, so "the log holds no token" cannot pass by luck.
 */
const TOKEN = randomBytes(24).toString('hex');

let env: TestWorkflowEnvironment;
let worker: TestWorker;
let receiver: RunningReceiver;
let policiesDir: string;
let policies: Map<string, PolicyFile>;
const events: ReceiverLogEvent[] = [];

const DB_POLICY = {
  policy: { steps: [{ notify: ['+6591230001', { number: '+6591230002', name: 'Bob' }], waitSeconds: 60 }], repeat: 1 },
  bridge: { alsoDial: ['+6591230009'] },
};
const DEFAULT_POLICY = `# the fallback
policy:
  steps:
    - notify: ["+6591230003"]
      waitSeconds: 30
account: default
`;

beforeAll(async () => {
  policiesDir = mkdtempSync(join(tmpdir(), 'bk-policies-'));
  writeFileSync(join(policiesDir, 'db.json'), JSON.stringify(DB_POLICY));
  writeFileSync(join(policiesDir, 'default.yaml'), DEFAULT_POLICY);
  writeFileSync(join(policiesDir, 'README.txt'), 'not a policy: ignored');
  policies = loadPolicies(policiesDir);
  env = await startTemporalTestEnv();
  worker = await startTestWorker(env, { workflowsPath: require.resolve('./support/workflows') });
  receiver = await startAlertReceiver(policies);
});

afterAll(async () => {
  await receiver?.close();
  await stopTemporalTestEnv(env, worker);
  rmSync(policiesDir, { recursive: true, force: true });
});

function startAlertReceiver(
  chosen: ReadonlyMap<string, PolicyFile>,
  client: Client = env.client,
): Promise<RunningReceiver> {
  return startReceiver({
    host: '127.0.0.1',
    port: 0,
    client,
    accounts: {},
    log: (event) => events.push(event),
    alertmanager: { token: TOKEN, policies: chosen, taskQueue: worker.taskQueue },
  });
}

interface Alert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

function alert(name: string, startsAt: string, overrides: Partial<Alert> = {}): Alert {
  return {
    status: 'firing',
    labels: { alertname: 'DiskFull', instance: name },
    annotations: { summary: `disk full on ${name}` },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=disk',
    fingerprint: createHash('sha256').update(name).digest('hex').slice(0, 16),
    ...overrides,
  };
}

/** A version 4 webhook payload for one group, `groupKey` unique per call unless given. */
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const alerts = [alert('db-1', '2026-11-28T06:00:00.123456789Z'), alert('db-2', '2026-11-28T05:59:00Z')];
  return {
    version: '4',
    groupKey: `{}/{severity="page"}:{alertname="DiskFull",run="${uniqueId('g')}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'bridgekeeper',
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull', severity: 'page', escalation_policy: 'db' },
    commonAnnotations: { summary: 'Disks are full on the database hosts' },
    externalURL: 'http://127.0.0.1:9093',
    alerts,
    ...overrides,
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { workflowId?: string; incident?: string; started?: boolean; resolved?: boolean; error?: string };
}

async function send(
  body: unknown,
  options: { token?: string | null; authorization?: string; url?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  const response = await request(`${options.url ?? receiver.url}${ALERTMANAGER_PATH}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Answer['body']) : {},
  };
}

function expectedIncident(groupKey: string, earliestStartsAt: string): string {
  return `am-${createHash('sha256').update(`${groupKey}\n${earliestStartsAt}`).digest('hex').slice(0, 16)}`;
}

async function executions(workflowId: string): Promise<number> {
  return (await env.client.workflow.count(`WorkflowId = "${workflowId}"`)).count;
}

async function standIn(workflowId: string): Promise<StandInState> {
  return env.client.workflow.getHandle(workflowId).query(standInQuery);
}

describe('POST /alertmanager: firing', () => {
  it('starts one escalation with the labelled policy, the incident derived from the group and its first start', async () => {
    const firing = payload();
    const groupKey = firing.groupKey as string;
    const incident = expectedIncident(groupKey, '2026-11-28T05:59:00Z');
    const workflowId = escalationWorkflowId(incident);

    const answer = await send(firing);
    expect(answer).toMatchObject({ status: 200, body: { workflowId, incident, started: true } });

    const state = await standIn(workflowId);
    expect(state.input).toEqual(
      escalationFromPolicy(policies.get('db')!, { id: incident, title: 'Disks are full on the database hosts' }),
    );
    expect(state.input.bridge).toEqual({ room: `inc_${incident.replace('-', '_')}`, alsoDial: ['+6591230009'] });
    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe('escalation');
    expect(description.taskQueue).toBe(worker.taskQueue);
    expect(events.at(-1)).toMatchObject({ source: 'alertmanager', outcome: 'accepted', status: 200, workflowId });
  });

  it('pages nobody twice: a repeat of the same firing, with alerts added, finds the running escalation', async () => {
    const firing = payload();
    const first = await send(firing);
    expect(first.body.started).toBe(true);
    const workflowId = first.body.workflowId!;
    const { runId } = await env.client.workflow.getHandle(workflowId).describe();

    const grown = {
      ...firing,
      alerts: [...(firing.alerts as Alert[]), alert('db-3', '2026-11-28T06:10:00Z')],
      commonAnnotations: {},
    };
    for (const repeat of [firing, grown, firing]) {
      const answer = await send(repeat);
      expect(answer).toMatchObject({
        status: 200,
        body: { workflowId, incident: first.body.incident, started: false },
      });
    }
    expect(events.at(-1)).toMatchObject({ source: 'alertmanager', outcome: 'duplicate', status: 200 });
    expect((await env.client.workflow.getHandle(workflowId).describe()).runId).toBe(runId);
    expect(
      await waitFor(
        () => executions(workflowId),
        (count) => count >= 1,
        'the escalation to be listed',
      ),
    ).toBe(1);
    expect((await standIn(workflowId)).resolves).toEqual([]);
  });

  it('uses the policy label from groupLabels, and the "default" policy when the group has none', async () => {
    const grouped = await send(
      payload({ commonLabels: { alertname: 'DiskFull' }, groupLabels: { escalation_policy: 'db' } }),
    );
    expect(grouped.status).toBe(200);
    expect((await standIn(grouped.body.workflowId!)).input.policy).toEqual(policies.get('db')!.policy);

    const unlabelled = await send(payload({ commonLabels: { alertname: 'DiskFull' } }));
    expect(unlabelled.status).toBe(200);
    const state = await standIn(unlabelled.body.workflowId!);
    expect(state.input.policy).toEqual(policies.get('default')!.policy);
    expect(state.input.account).toBe('default');
  });

  it('answers 422 naming an unknown policy and the known ones, and starts nothing', async () => {
    const firing = payload({ commonLabels: { alertname: 'DiskFull', escalation_policy: 'payments' } });
    const answer = await send(firing);
    expect(answer.status).toBe(422);
    expect(answer.body.error).toContain('unknown policy "payments"');
    expect(answer.body.error).toContain('known policies: db, default');
    const incident = incidentIdFor(firing as Parameters<typeof incidentIdFor>[0]);
    await expect(env.client.workflow.getHandle(escalationWorkflowId(incident)).describe()).rejects.toThrow();
  });

  it('answers 422 naming the label when the group has none and there is no default policy', async () => {
    const onlyDb = await startAlertReceiver(new Map([['db', policies.get('db')!]]));
    try {
      const answer = await send(payload({ commonLabels: { alertname: 'DiskFull' } }), { url: onlyDb.url });
      expect(answer.status).toBe(422);
      expect(answer.body.error).toContain('no "escalation_policy" label');
      expect(answer.body.error).toContain('known policies: db');
    } finally {
      await onlyDb.close();
    }
  });
});

describe('POST /alertmanager: resolved', () => {
  it("sends resolve to the firing's escalation; afterwards neither a resolve nor a repeat of that firing does anything", async () => {
    const firing = payload();
    const started = await send(firing);
    expect(started.body.started).toBe(true);
    const workflowId = started.body.workflowId!;
    const handle = env.client.workflow.getHandle(workflowId);

    const resolvedAlerts = (firing.alerts as Alert[]).map((entry) => ({
      ...entry,
      status: 'resolved',
      endsAt: '2026-11-28T06:30:00Z',
    }));
    const resolved = { ...firing, status: 'resolved', alerts: resolvedAlerts };
    const answer = await send(resolved);
    expect(answer).toMatchObject({
      status: 200,
      body: { workflowId, incident: started.body.incident, resolved: true },
    });
    const result = (await handle.result()) as StandInState;
    expect(result.resolves).toEqual([{ reason: 'resolved in Alertmanager' }]);

    // A second resolved notification (Alertmanager repeats them too) finds nothing running.
    expect(await send(resolved)).toMatchObject({ status: 200, body: { workflowId, resolved: false } });
    expect(events.at(-1)).toMatchObject({ outcome: 'duplicate', reason: 'no running escalation for this incident' });
    // The same firing again after its escalation finished: rejected as a duplicate id, nobody paged.
    expect(await send(firing)).toMatchObject({ status: 200, body: { workflowId, started: false } });
    expect(
      await waitFor(
        () => executions(workflowId),
        (count) => count >= 1,
        'the escalation to be listed',
      ),
    ).toBe(1);

    // A new firing of the same group (new startsAt) is a new incident.
    const again = await send({ ...firing, alerts: [alert('db-1', '2026-11-28T07:00:00Z')] });
    expect(again.body.started).toBe(true);
    expect(again.body.workflowId).not.toBe(workflowId);
  });

  it('answers 200 resolved: false for an incident that was never paged', async () => {
    const never = payload({ status: 'resolved' });
    expect(await send(never)).toMatchObject({ status: 200, body: { resolved: false } });
  });
});

describe('POST /alertmanager: refusals', () => {
  it('answers 401 with WWW-Authenticate: Bearer for a missing or wrong token, before reading the body', async () => {
    const firing = payload();
    const cases: Parameters<typeof send>[1][] = [
      { token: null },
      { token: 'wrong-token-of-some-length' },
      { token: `${TOKEN}x` },
      { token: TOKEN.slice(1) },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      { authorization: TOKEN },
    ];
    for (const options of cases) {
      const answer = await send(firing, options);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer');
      expect(answer.body.error).toMatch(/bearer token/);
    }
    // Not even a malformed body gets past the token.
    expect((await send('{not json', { token: 'wrong-token-of-some-length' })).status).toBe(401);
    const incident = incidentIdFor(firing as Parameters<typeof incidentIdFor>[0]);
    await expect(env.client.workflow.getHandle(escalationWorkflowId(incident)).describe()).rejects.toThrow();
    expect(events.at(-1)).toMatchObject({ source: 'alertmanager', outcome: 'rejected', status: 401 });
  });

  it.each([
    ['body', '{"version":'],
    ['version', payload({ version: '3' })],
    ['groupKey', payload({ groupKey: undefined })],
    ['status', payload({ status: 'pending' })],
    ['commonLabels.severity', payload({ commonLabels: { severity: 3 } })],
    ['alerts', payload({ alerts: [] })],
    ['alerts[1].startsAt', payload({ alerts: [alert('a', '2026-11-28T06:00:00Z'), alert('b', 'yesterday')] })],
    ['alerts[0].fingerprint', payload({ alerts: [{ ...alert('a', '2026-11-28T06:00:00Z'), fingerprint: undefined }] })],
  ])('answers 400 naming %s', async (field, body) => {
    const answer = await send(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain(`${field}:`);
  });

  it("takes a large group (far past the Hoiio paths' 16 KiB), and answers 413 past 1 MiB", async () => {
    const many = Array.from({ length: 300 }, (_, index) => alert(`host-${index}`, '2026-11-28T06:00:00Z'));
    const large = payload({ alerts: many });
    expect(JSON.stringify(large).length).toBeGreaterThan(64 * 1024);
    expect(await send(large)).toMatchObject({ status: 200, body: { started: true } });
    const huge = payload({ commonAnnotations: { summary: 'x'.repeat(1024 * 1024) } });
    expect((await send(huge)).status).toBe(413);
  });

  it('answers 503 when Temporal cannot be reached, so Alertmanager sends it again', async () => {
    const client = new Client({ connection: env.client.connection, namespace: uniqueId('no-such-namespace') });
    const broken = await startAlertReceiver(policies, client);
    try {
      expect((await send(payload(), { url: broken.url })).status).toBe(503);
      expect((await send(payload({ status: 'resolved' }), { url: broken.url })).status).toBe(503);
      expect(events.at(-1)).toMatchObject({ source: 'alertmanager', outcome: 'failed', status: 503 });
    } finally {
      await broken.close();
    }
  });

  it('answers 405 to other methods, and 404 when the webhook is not configured', async () => {
    const get = await request(`${receiver.url}${ALERTMANAGER_PATH}`);
    await get.body.dump();
    expect(get.statusCode).toBe(405);
    const plain = await startReceiver({ port: 0, client: env.client, accounts: {}, log: () => undefined });
    try {
      expect((await send(payload(), { url: plain.url })).status).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it('never logs the token', () => {
    const text = [JSON.stringify(events), ...events.map(formatLogEvent)].join('\n');
    expect(events.length).toBeGreaterThan(10);
    expect(text).not.toContain(TOKEN);
    expect(text).toMatch(/^alertmanager accepted 200 workflow=escalation:am-[0-9a-f]{16} /m);
  });
});

describe('incident, title and policy choice', () => {
  const group = { groupLabels: {}, commonLabels: {}, commonAnnotations: {} };

  it('derives the incident from the group key and the earliest startsAt, whatever the order and precision', () => {
    const alerts = [
      alert('a', '2026-11-28T14:00:00.5+08:00'),
      alert('b', '2026-11-28T06:00:00.123456789Z'),
      alert('c', '2026-11-28T06:00:01Z'),
    ];
    const id = incidentIdFor({ groupKey: 'g', alerts });
    expect(id).toBe(expectedIncident('g', '2026-11-28T06:00:00.123456789Z'));
    expect(incidentIdFor({ groupKey: 'g', alerts: [...alerts].reverse() })).toBe(id);
    expect(incidentIdFor({ groupKey: 'h', alerts })).not.toBe(id);
    expect(id).toMatch(/^am-[0-9a-f]{16}$/);
  });

  it('titles by summary, else alertname, else the group labels, in at most 200 characters', () => {
    expect(
      titleFor({ ...group, commonAnnotations: { summary: '  Disk\nfull ' }, commonLabels: { alertname: 'X' } }),
    ).toBe('Disk full');
    expect(titleFor({ ...group, commonAnnotations: { summary: ' ' }, commonLabels: { alertname: 'DiskFull' } })).toBe(
      'DiskFull',
    );
    expect(titleFor({ ...group, groupLabels: { job: 'node', cluster: 'eu' } })).toBe('cluster=eu, job=node');
    expect(titleFor({ ...group, commonAnnotations: { summary: 'x'.repeat(500) } })).toHaveLength(200);
    expect(titleFor(group)).toBe('Alertmanager alert');
  });

  it('reads the label from commonLabels before groupLabels, with a configurable name', () => {
    const both = { commonLabels: { team: 'db' }, groupLabels: { team: 'default' } };
    expect(choosePolicy(both, policies, 'team')).toMatchObject({ ok: true, name: 'db' });
    expect(choosePolicy({ commonLabels: {}, groupLabels: { team: 'db' } }, policies, 'team')).toMatchObject({
      ok: true,
      name: 'db',
    });
  });
});

describe('the policies directory', () => {
  function dirWith(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'bk-policies-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('fails naming each bad file and its problems, a missing directory, and one without policies', () => {
    const dir = dirWith({
      'ok.yaml': DEFAULT_POLICY,
      'bad.yaml': 'policy:\n  steps: []\n',
      'worse.json': '{"policy": {"steps": [{"notify": ["123"], "waitSeconds": 5}]}}',
    });
    try {
      expect(() => loadPolicies(dir)).toThrow(join(dir, 'bad.yaml'));
      let message = '';
      try {
        loadPolicies(dir);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(`${join(dir, 'bad.yaml')}: policy.steps: needs at least one step`);
      expect(message).toContain(join(dir, 'worse.json'));
      expect(message).toContain('waitSeconds');
      expect(() => loadPolicies(join(dir, 'missing'))).toThrow(/BRIDGEKEEPER_POLICIES_DIR .*missing: cannot be read/);
      const empty = join(dir, 'empty');
      mkdirSync(empty);
      expect(() => loadPolicies(empty)).toThrow(/holds no policy file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses policies whose account the receiver does not have', () => {
    const config = { token: TOKEN, policiesDir, policyLabel: 'escalation_policy' };
    expect(alertmanagerOptions(config, 'q', ['default']).policies.size).toBe(2);
    expect(() => alertmanagerOptions(config, 'q', ['sales'])).toThrow(
      /policy "db" names account "default"; policy "default" names account "default", which is not configured \(configured: sales\)/,
    );
  });

  it('stops `npm run receiver` at startup, naming the file', async () => {
    const dir = dirWith({ 'bad.yaml': 'policy: [unclosed\n' });
    try {
      const receiverProcess = startProcess('npm', ['run', '--silent', 'receiver'], {
        TEMPORAL_ADDRESS: env.address,
        RECEIVER_PORT: '0',
        HOIIO_BASE_URL: 'http://127.0.0.1:4010/open/',
        HOIIO_ACCOUNTS: '',
        BRIDGEKEEPER_ALERTMANAGER_TOKEN: TOKEN,
        BRIDGEKEEPER_POLICIES_DIR: dir,
      });
      const exited = await receiverProcess.exited;
      expect(exited.code).toBe(1);
      const output = receiverProcess.output();
      expect(output).toContain(join(dir, 'bad.yaml'));
      expect(output).toContain('not valid YAML');
      expect(output).not.toContain(TOKEN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
