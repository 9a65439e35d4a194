/**
 * The escalation commands of `bridgekeeper`: policy files and flags → the `escalation` input and the result's report
 * as pure functions, then the real CLI as a child process against a real Temporal dev server. The escalation workflow
 * lives elsewhere; here a stand-in registered as `escalation` (test/cli/support/escalation-stand-in.ts) answers the
 * real messages, so `page --wait`, `ack`, `escalate`, `resolve` and `escalation status` run end to end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter } from '@temporalio/common';
import { buildPageInput, checkPolicyFiles, defaultAcknowledger } from '../../src/cli/escalation-args';
import { formatEscalationResult, formatTimelineEntry } from '../../src/cli/escalation-report';
import { escalationWorkflowId } from '../../src/domain/escalation-input';
import type { EscalationResult } from '../../src/domain/escalation-types';
import { escalationStatusQuery } from '../../src/workflows/messages';
import {
  startTemporalTestEnv,
  startTestWorker,
  stopTemporalTestEnv,
  uniqueId,
  type TestWorker,
} from '../support/temporal-test-env';
import { runCli, startCli, type CliRun } from './run-cli';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);
/** Relative to the repository root, where runCli runs the CLI. */
const relativeFixture = (name: string) => path.relative(path.resolve(__dirname, '../..'), fixture(name));

/** What the good YAML fixture reads as, every default filled in. */
const DB_POLICY = {
  steps: [
    { notify: [{ number: '+6591230001', name: 'Alice' }], mode: 'simultaneous', waitSeconds: 60 },
    { notify: ['+6591230002'], mode: 'simultaneous', waitSeconds: 60 },
    {
      notify: ['+6591230001', '+6591230002', { number: '+6591230003', name: 'Carol' }],
      mode: 'simultaneous',
      waitSeconds: 90,
    },
  ],
  repeat: 2,
  repeatFrom: 1,
  ackDigit: '1',
  declineDigit: '2',
  maxCost: '5.000',
};

describe('buildPageInput', () => {
  it('builds the input from the policy file and the incident; flags override room, account and caller id', () => {
    expect(
      buildPageInput({
        policy: fixture('db-oncall.yaml'),
        incident: 'INC-42',
        title: 'Database down',
        room: 'db.bridge',
        account: 'other',
        callerId: '+6560000000',
      }),
    ).toEqual({
      ok: true,
      input: {
        incident: { id: 'INC-42', title: 'Database down' },
        policy: DB_POLICY,
        bridge: { room: 'db.bridge', alsoDial: ['+6591230009'] },
        account: 'other',
        callerId: '+6560000000',
      },
    });
    const fromFile = buildPageInput({ policy: fixture('web-oncall.json'), incident: 'INC-43', title: 'Web slow' });
    expect(fromFile.ok && fromFile.input).toMatchObject({
      bridge: { room: 'web.bridge', alsoDial: [] },
      callerId: 'private',
    });
    expect(fromFile.ok && 'account' in fromFile.input).toBe(false);
  });

  it('names every bad value of the incident and the flags with its rule', () => {
    const built = buildPageInput({
      policy: fixture('db-oncall.yaml'),
      incident: 'INC 42',
      title: '   ',
      room: 'no spaces',
      callerId: '12345',
    });
    expect(built.ok).toBe(false);
    const text = built.ok ? '' : built.problems.join('\n');
    expect(text).toContain('incident.id = "INC 42": must be 1 to 64 characters');
    expect(text).toContain('incident.title = "   ": must not be empty');
    expect(text).toContain('bridge.room = "no spaces": must be 1 to 32 characters');
    expect(text).toContain('callerId = "12345": must be "private" or E.164');
    expect(built.ok ? 0 : built.problems.length).toBe(4);
  });

  it('refuses a bad policy file with each problem, prefixed by the file', () => {
    const built = buildPageInput({ policy: fixture('bad-oncall.yaml'), incident: 'INC-1', title: 't' });
    expect(built.ok).toBe(false);
    const problems = built.ok ? [] : built.problems;
    expect(problems).toHaveLength(4);
    expect(problems.every((problem) => problem.startsWith(`${fixture('bad-oncall.yaml')}: policy.`))).toBe(true);
  });

  it('acknowledges as the OS user, or as "cli" when there is none', () => {
    expect(defaultAcknowledger(() => 'alice')).toBe('alice');
    expect(defaultAcknowledger(() => '')).toBe('cli');
    expect(
      defaultAcknowledger(() => {
        throw new Error('no passwd entry');
      }),
    ).toBe('cli');
  });

  it('checks every file, good and bad, and a file that cannot be read', () => {
    const verdicts = checkPolicyFiles([
      fixture('web-oncall.json'),
      fixture('nothere.yaml'),
      fixture('bad-oncall.json'),
    ]);
    expect(verdicts.map((verdict) => verdict.ok)).toEqual([true, false, false]);
    expect(verdicts[1]).toMatchObject({ ok: false, problems: [expect.stringMatching(/^cannot be read: .*ENOENT/)] });
  });
});

describe('formatEscalationResult', () => {
  const result: EscalationResult = {
    incident: { id: 'INC-42', title: 'Database down' },
    outcome: 'acknowledged',
    acknowledged: { by: '+6591230001', name: 'Alice', via: 'keypress', at: 1_000_042_000, secondsToAcknowledge: 42 },
    startedAt: 1_000_000_000,
    endedAt: 1_000_450_000,
    timeline: [],
    legs: [
      {
        txnRef: 'TX-1',
        number: '+6591230001',
        kind: 'page',
        status: 'answered',
        minutes: 1,
        currency: 'SGD',
        rate: '0.020',
        debit: '0.020',
      },
      {
        txnRef: 'TX-2',
        number: '+14155550100',
        kind: 'page',
        status: 'busy',
        minutes: 0,
        currency: 'USD',
        rate: '0.030',
        debit: '0.000',
      },
      {
        txnRef: 'TX-3',
        number: '+6591230001',
        kind: 'bridge',
        status: 'answered',
        minutes: 7,
        currency: 'SGD',
        rate: '0.020',
        debit: '0.140',
      },
    ],
    cost: { USD: '0.000', SGD: '0.160' },
  };

  it('prints the outcome, who acknowledged and how fast, every leg and the total per currency', () => {
    const text = formatEscalationResult(result);
    const rows = text.split('\n');
    const row = (needle: string) => rows.find((line) => line.includes(needle)) ?? '';
    expect(rows[0]).toBe(
      'incident INC-42 "Database down" | acknowledged | 1970-01-12T13:46:40Z -> 1970-01-12T13:54:10Z (7m 30s)',
    );
    expect(rows[1]).toBe('acknowledged by +6591230001 (Alice) via keypress, 42s after the page');
    expect(row('TX-1')).toMatch(
      /TX-1\s*│\s*page\s*│\s*\+6591230001\s*│\s*answered\s*│\s*1\s*│\s*0\.020\s*│\s*0\.020\s*│\s*SGD/,
    );
    expect(row('TX-2')).toMatch(/busy\s*│\s*0\s*│\s*0\.030\s*│\s*0\.000\s*│\s*USD/);
    expect(row('TX-3')).toMatch(/bridge.*answered\s*│\s*7\s*│.*0\.140\s*│\s*SGD/);
    expect(row('total SGD')).toMatch(/total SGD\s*│\s*0\.160\s*│\s*SGD/);
    expect(row('total USD')).toMatch(/total USD\s*│\s*0\.000\s*│\s*USD/);
    expect(rows.at(-1)).toBe('cost: SGD 0.160, USD 0.000');
    expect(text).not.toContain('\x1b[');
  });

  it('says when nobody acknowledged, and why paging stopped', () => {
    const text = formatEscalationResult({
      ...result,
      outcome: 'unacknowledged',
      acknowledged: undefined,
      reason: 'maxCost reached',
      legs: [],
      cost: {},
    });
    expect(text).toContain('| unacknowledged |');
    expect(text).toContain('\nnobody acknowledged\nreason: maxCost reached\nlegs: none\ncost: 0');
  });

  it('reads rounds and steps 1-based', () => {
    expect(
      formatTimelineEntry({ at: 0, round: 1, step: 0, event: 'rang', number: '+6591230002', detail: 'busy' }),
    ).toBe('1970-01-01T00:00:00Z round 2 step 1 rang +6591230002: busy');
  });
});

describe('bridgekeeper policy check', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bk-policy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one ok line per good file, JSON and YAML, and exits 0', async () => {
    const run = await runCli(
      ['policy', 'check', relativeFixture('db-oncall.yaml'), relativeFixture('web-oncall.json')],
      {},
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `ok ${relativeFixture('db-oncall.yaml')}: 3 steps (5 responders), repeat 2 times from step 2, at most 5.000 in cost, ` +
        'ack 1, decline 2, room from the incident id\n' +
        `ok ${relativeFixture('web-oncall.json')}: 1 step (2 responders), repeat until acknowledged, at most 60 min, ` +
        'ack 1, decline 2, room web.bridge\n',
    );
  });

  it('lists every problem of every bad file (path, value, rule) and exits 2', async () => {
    const unparsable = path.join(dir, 'broken.json');
    writeFileSync(unparsable, '{ "policy": ');
    const run = await runCli(
      [
        'policy',
        'check',
        relativeFixture('bad-oncall.yaml'),
        relativeFixture('web-oncall.json'),
        relativeFixture('bad-oncall.json'),
        unparsable,
      ],
      {},
    );
    expect(run.code).toBe(2);
    const out = run.stdout;
    expect(out).toContain(`bad ${relativeFixture('bad-oncall.yaml')}:\n`);
    expect(out).toContain('  policy.steps[0].notify[0] = "+65 9123 0001": must be E.164');
    expect(out).toContain('  policy.steps[0].waitSeconds = 5: ');
    expect(out).toContain('  policy.ackDigit = "12": must be one keypad key');
    expect(out).toContain('  policy.repeatFrom = 3: must name one of the 1 steps');
    expect(out).toContain(`ok ${relativeFixture('web-oncall.json')}: `);
    expect(out).toContain(`bad ${relativeFixture('bad-oncall.json')}:\n`);
    expect(out).toContain('  policy.steps: needs at least one step');
    expect(out).toContain('  policy.repeat = -1: ');
    expect(out).toContain('  (input): must not have the field "pager"');
    expect(out).toMatch(new RegExp(`bad ${unparsable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\n  not valid JSON: `));
    expect(run.stderr).toBe('bridgekeeper: 3 of 4 policy file(s) invalid\n');
  });

  it('checks a YAML file written anywhere', async () => {
    const file = path.join(dir, 'solo.yml');
    writeFileSync(file, 'policy:\n  steps:\n    - notify: ["+6591239999"]\n      waitSeconds: 30\n');
    const run = await runCli(['policy', 'check', file], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `ok ${file}: 1 step (1 responder), no repeat, ack 1, decline 2, room from the incident id\n`,
    );
  });
});

describe('bridgekeeper escalation commands against a real Temporal dev server', () => {
  let env: TestWorkflowEnvironment | undefined;
  let worker: TestWorker | undefined;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = await startTemporalTestEnv();
    worker = await startTestWorker(env, { workflowsPath: require.resolve('./support/escalation-stand-in') });
    cliEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      TEMPORAL_TASK_QUEUE: worker.taskQueue,
    };
  });
  afterAll(() => stopTemporalTestEnv(env, worker));

  const newIncident = () => uniqueId('INC');

  async function startedInput(workflowId: string): Promise<unknown> {
    const history = await env!.client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
  }

  async function exists(workflowId: string): Promise<boolean> {
    try {
      await env!.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (error) {
      if (/not found/i.test((error as Error).message)) return false;
      throw error;
    }
  }

  function expectOk(run: CliRun): void {
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  }

  it('page with a bad policy exits 2 naming the values and rules, and starts nothing', async () => {
    const incident = newIncident();
    const run = await runCli(
      ['page', '--policy', relativeFixture('bad-oncall.yaml'), '--incident', incident, '--title', 'Disk full'],
      cliEnv,
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('bridgekeeper: invalid escalation:\n');
    expect(run.stderr).toContain('policy.steps[0].notify[0] = "+65 9123 0001": must be E.164');
    expect(run.stderr).toContain('policy.ackDigit = "12": must be one keypad key');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await exists(escalationWorkflowId(incident))).toBe(false);

    const badFlag = await runCli(
      [
        'page',
        '--policy',
        relativeFixture('db-oncall.yaml'),
        '--incident',
        incident,
        '--title',
        'x',
        '--caller-id',
        '999',
      ],
      cliEnv,
    );
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('callerId = "999": must be "private" or E.164');
    expect(await exists(escalationWorkflowId(incident))).toBe(false);
  });

  it('page starts `escalation` with the input from the policy and flags; a second page is refused; ack and resolve', async () => {
    const incident = newIncident();
    const workflowId = escalationWorkflowId(incident);
    const run = await runCli(
      [
        'page',
        '--policy',
        relativeFixture('db-oncall.yaml'),
        '--incident',
        incident,
        '--title',
        'Database down',
        '--room',
        'db.bridge',
        '--caller-id',
        'private',
      ],
      cliEnv,
    );
    expectOk(run);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(workflowId);
    expect(run.stdout).toContain(`bridgekeeper escalation status ${incident}`);
    expect(run.stdout).toContain(`bridgekeeper ack ${incident}`);

    const description = await env!.client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe('escalation');
    expect(description.taskQueue).toBe(worker!.taskQueue);
    expect(await startedInput(workflowId)).toEqual({
      incident: { id: incident, title: 'Database down' },
      policy: DB_POLICY,
      bridge: { room: 'db.bridge', alsoDial: ['+6591230009'] },
      account: 'acme',
      callerId: 'private',
    });

    const again = await runCli(
      ['page', '--policy', relativeFixture('web-oncall.json'), '--incident', incident, '--title', 'Database down'],
      cliEnv,
    );
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      `bridgekeeper: incident ${incident} is already being paged (workflow ${workflowId}): ` +
        `follow it with \`bridgekeeper escalation status ${incident}\`, or resolve it first\n`,
    );

    const ack = await runCli(['ack', incident], cliEnv);
    expectOk(ack);
    expect(ack.stdout).toBe(`incident ${incident}: acknowledged by ${defaultAcknowledger()}\n`);

    const resolve = await runCli(['resolve', incident], cliEnv);
    expectOk(resolve);
    expect(resolve.stdout).toBe(`incident ${incident}: resolved, hung up 1 call(s)\n`);
    const result = (await env!.client.workflow.getHandle(workflowId).result()) as EscalationResult;
    expect(result.outcome).toBe('acknowledged');
  });

  it('page --wait follows the timeline through escalate, status and ack, then prints the result', async () => {
    const incident = newIncident();
    const workflowId = escalationWorkflowId(incident);
    const waiting = startCli(
      [
        'page',
        '--policy',
        relativeFixture('db-oncall.yaml'),
        '--incident',
        incident,
        '--title',
        'Database down',
        '--wait',
      ],
      cliEnv,
    );
    // Until the stand-in answers its query, nothing else has anything to act on.
    const handle = env!.client.workflow.getHandle(workflowId);
    await eventually(() => handle.query(escalationStatusQuery));
    // Let the follower print the first entries before the next ones.
    await waiting.sawOutput(/rang \+6591230001 \(Alice\)/);

    const escalate = await runCli(['escalate', incident], cliEnv);
    expectOk(escalate);
    expect(escalate.stdout).toBe(`incident ${incident}: escalated, now ringing step 2 of round 1\n`);

    const status = await runCli(['escalation', 'status', incident], cliEnv);
    expectOk(status);
    const statusLines = status.stdout.trim().split('\n');
    expect(statusLines[0]).toBe(`incident ${incident} "Database down" | paging | round 1 step 2`);
    expect(statusLines.slice(1).map((line) => line.replace(/^\S+ /, ''))).toEqual([
      'round 1 step 1 step-started',
      'round 1 step 1 rang +6591230001 (Alice)',
      'round 1 step 2 escalated: by request',
      'round 1 step 2 step-started',
      'round 1 step 2 rang +6591230002',
    ]);

    const ack = await runCli(['ack', incident, '--by', 'alice@example.com'], cliEnv);
    expectOk(ack);
    expect(ack.stdout).toBe(`incident ${incident}: acknowledged by alice@example.com\n`);
    const ackAgain = await runCli(['ack', incident, '--by', 'bob'], cliEnv);
    expectOk(ackAgain);
    expect(ackAgain.stdout).toBe(`incident ${incident}: already acknowledged; that acknowledgement stands\n`);

    const resolve = await runCli(['resolve', incident, '--reason', 'replica promoted'], cliEnv);
    expectOk(resolve);

    const run = await waiting.done;
    expectOk(run);
    const out = run.stdout;
    const lines = out.split('\n');
    expect(lines[0]).toBe(workflowId);
    // Each timeline entry once, in order, whether the follower saw it live or from the result.
    const timeline = lines.filter((line) => / round \d+ step \d+ /.test(line)).map((line) => line.replace(/^\S+ /, ''));
    expect(timeline).toEqual([
      'round 1 step 1 step-started',
      'round 1 step 1 rang +6591230001 (Alice)',
      'round 1 step 2 escalated: by request',
      'round 1 step 2 step-started',
      'round 1 step 2 rang +6591230002',
      'round 1 step 2 acknowledged: acknowledged by alice@example.com',
      'round 1 step 2 bridged: room ' + (await startedRoom(workflowId)),
      'round 1 step 2 resolved: replica promoted',
    ]);
    expect(out).toMatch(new RegExp(`incident ${incident} "Database down" \\| acknowledged \\| `));
    expect(out).toMatch(/\nacknowledged by alice@example\.com via update, \d+s after the page\n/);
    expect(out).toContain('\nreason: replica promoted\n');
    expect(out).toMatch(
      /TX-PAGE-1\s*│\s*page\s*│\s*\+6591230001\s*│\s*answered\s*│\s*1\s*│\s*0\.020\s*│\s*0\.020\s*│\s*SGD/,
    );
    expect(out).toMatch(/TX-BRIDGE-1\s*│\s*bridge\s*│.*│\s*7\s*│\s*0\.020\s*│\s*0\.140\s*│\s*SGD/);
    expect(out).toMatch(/total SGD\s*│\s*0\.160\s*│\s*SGD/);
    expect(out.endsWith('cost: SGD 0.160\n')).toBe(true);

    // The escalation is over: its updates now say so, naming the incident.
    const late = await runCli(['ack', incident], cliEnv);
    expect(late.code).toBe(1);
    expect(late.stderr).toBe(
      `bridgekeeper: the escalation of incident ${incident} has already finished (workflow ${workflowId})\n`,
    );
  });

  it('page --json prints the workflow id, run id and task queue as JSON', async () => {
    const incident = newIncident();
    const workflowId = escalationWorkflowId(incident);
    const run = await runCli(
      ['page', '--policy', relativeFixture('web-oncall.json'), '--incident', incident, '--title', 'Web slow', '--json'],
      cliEnv,
    );
    expectOk(run);
    const printed = JSON.parse(run.stdout) as { workflowId: string; runId: string; taskQueue: string };
    expect(printed).toMatchObject({ workflowId, taskQueue: worker!.taskQueue });
    const handle = env!.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).runId).toBe(printed.runId);
    await handle.terminate('cli test done');
  });

  async function startedRoom(workflowId: string): Promise<string> {
    return ((await startedInput(workflowId)) as { bridge: { room: string } }).bridge.room;
  }

  it('ack, resolve, escalate and escalation status of an unknown incident exit 1 naming it', async () => {
    const incident = newIncident();
    const workflowId = escalationWorkflowId(incident);
    for (const args of [
      ['ack', incident],
      ['resolve', incident],
      ['escalate', incident],
      ['escalation', 'status', incident],
    ]) {
      const run = await runCli(args, cliEnv);
      expect({ args, code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
        args,
        code: 1,
        stdout: '',
        stderr: `bridgekeeper: no escalation for incident ${incident} (workflow ${workflowId} not found)\n`,
      });
    }
    const typo = await runCli(['ack', 'INC 1'], cliEnv);
    expect(typo).toEqual({
      code: 2,
      stdout: '',
      stderr: 'bridgekeeper: invalid incident "INC 1": must be 1 to 64 characters of A-Z a-z 0-9 . _ : -\n',
    });
  });
});

/** Retries `fn` until it resolves (every 200 ms, for up to 30 s). */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
