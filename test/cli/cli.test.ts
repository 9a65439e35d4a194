import { runCli } from './run-cli';
/**
 * The `bridgekeeper` CLI: flags → workflow input and the summary table as pure functions, then the real CLI as a
 * child process (`node bin/bridgekeeper.cjs`) against a real Temporal dev server. No worker runs here: these tests
 * are about what the CLI sends and how it fails; a full `call --wait` belongs with the workflow tests.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import { describeError, EXIT_FAILURE } from '../../src/cli/cli-errors';
import { buildSessionInput, defaultWorkflowId } from '../../src/cli/session-args';
import { formatBudget, formatStatusLine, formatSummary } from '../../src/cli/summary-table';
import type { SessionStatus, SessionSummary } from '../../src/domain/session-types';
import { startTemporalTestEnv, stopTemporalTestEnv, uniqueId } from '../support/temporal-test-env';

describe('buildSessionInput', () => {
  it('turns numbers and every flag into the workflow input', () => {
    const built = buildSessionInput(['+6591234567', '+6598765432', '+6581112222'], {
      name: ['+6598765432=Bob Tan'],
      room: 'weekly.sync',
      callerId: 'private',
      tag: 'ops',
      account: 'acme',
      grace: '90',
      deadline: '3600',
      redialBusy: '2:30',
      redialUnanswered: '1:120',
    });
    expect(built).toEqual({
      ok: true,
      input: {
        participants: ['+6591234567', { number: '+6598765432', name: 'Bob Tan' }, '+6581112222'],
        room: 'weekly.sync',
        callerId: 'private',
        tag: 'ops',
        account: 'acme',
        notificationGraceSeconds: 90,
        deadlineSeconds: 3600,
        redial: { busy: { attempts: 2, delaySeconds: 30 }, unanswered: { attempts: 1, delaySeconds: 120 } },
      },
    });
  });

  it('leaves out what was not given, so the workflow applies its own defaults', () => {
    expect(buildSessionInput(['+6591234567'], { name: [] })).toEqual({
      ok: true,
      input: { participants: ['+6591234567'] },
    });
  });

  it('names every problem at once: bad number, bad flags, schema limits', () => {
    const built = buildSessionInput(['+6591234567', '+65abc', '+6591234567'], {
      name: ['+6500000000=Nobody', 'no-equals-sign'],
      callerId: '12345',
      grace: 'soon',
      deadline: '0',
      redialBusy: '2',
      redialUnanswered: '11:5',
    });
    expect(built.ok).toBe(false);
    const text = built.ok ? '' : built.problems.join('\n');
    expect(text).toContain('participants[1] = "+65abc": must be E.164');
    expect(text).toContain('participants[2] = "+6591234567": is listed twice (first at [0])');
    expect(text).toContain('--name "+6500000000=Nobody": must name one of the numbers to call');
    expect(text).toContain('--name "no-equals-sign": must be <number>=<name>');
    expect(text).toContain('callerId = "12345": must be E.164 or "private"');
    expect(text).toContain('--grace "soon": must be a whole number of seconds');
    expect(text).toMatch(/deadlineSeconds = 0: /);
    expect(text).toContain('--redial-busy "2": must be <attempts>:<delaySeconds>');
    expect(text).toMatch(/redial\.unanswered\.attempts = 11: /);
    expect(built.ok ? 0 : built.problems.length).toBe(9);
  });

  it('makes default workflow ids sortable by time', () => {
    expect(defaultWorkflowId(new Date('2025-03-04T05:06:07.890Z'), 'a1b2c3')).toBe('session-20250304T050607Z-a1b2c3');
  });
});

describe('formatSummary / formatStatusLine', () => {
  const summary: SessionSummary = {
    room: 'bk_demo',
    startedAt: '2025-03-04T05:00:00.000Z',
    endedAt: '2025-03-04T05:07:30.000Z',
    endedBy: 'completed',
    participants: [
      {
        number: '+6591234567',
        name: 'Alice',
        status: 'answered',
        attempts: 1,
        txnRefs: ['TX-1'],
        minutes: 7,
        rate: '0.020',
        debit: '0.140',
        currency: 'SGD',
      },
      {
        number: '+6598765432',
        status: 'busy',
        attempts: 3,
        txnRefs: ['TX-2', 'TX-3', 'TX-4'],
        minutes: 0,
        rate: '0.020',
        debit: '0.000',
        currency: 'SGD',
      },
      {
        number: '+14155550100',
        status: 'answered',
        attempts: 1,
        txnRefs: ['TX-5'],
        minutes: 42,
        rate: '0.030',
        debit: '1.260',
        currency: 'USD',
      },
      {
        number: '+999',
        status: 'failed',
        reason: 'error_dest_not_supported',
        attempts: 1,
        txnRefs: [],
        minutes: 0,
        debit: '0.000',
      },
    ],
    totals: [
      { currency: 'SGD', debit: '0.140', minutes: 7 },
      { currency: 'USD', debit: '1.260', minutes: 42 },
    ],
    outcomes: { answered: 2, busy: 1, failed: 1 },
    requests: { conferenceCall: 4, historyLookups: 1, statusPolls: 2, hangups: 0, moderations: 0 },
    retries: { total: 3, reasons: { error_rate_limit_exceeded: 2, timeout: 1 } },
    legs: {
      total: 5,
      endedBy: { notification: 4, poll: 1, assumed: 0 },
      costUnknown: 0,
      corrected: 0,
      duplicateNotifications: 2,
      malformedNotifications: 0,
    },
  };

  it('prints every participant with exact decimals, and a totals row per currency', () => {
    const text = formatSummary(summary);
    const rows = text.split('\n');
    const row = (needle: string) => rows.find((line) => line.includes(needle)) ?? '';
    expect(row('+6591234567')).toMatch(/Alice.*answered.*\b1\b.*\b7\b.*0\.020.*0\.140.*SGD.*TX-1/);
    expect(row('+6598765432')).toMatch(/busy.*\b3\b.*0\.000.*SGD.*TX-2, TX-3, TX-4/);
    expect(row('+14155550100')).toMatch(/answered.*\b42\b.*0\.030.*1\.260.*USD.*TX-5/);
    expect(row('+999')).toContain('failed (error_dest_not_supported)');
    expect(row('total SGD')).toMatch(/total SGD.*\b7\b.*0\.140.*SGD/);
    expect(row('total USD')).toMatch(/total USD.*\b42\b.*1\.260.*USD/);
    expect(text).toContain('totals: SGD 0.140 for 7 min, USD 1.260 for 42 min');
    expect(text).toContain('outcomes: 2 answered, 1 busy, 1 failed');
    expect(text).toContain('requests: conference/call 4, get_history 1, query_status 2, hangup 0, moderate 0');
    expect(text).toContain('retries: 3 (error_rate_limit_exceeded x2, timeout x1)');
    expect(text).toContain('legs: 5 (ended by notification 4, by poll 1; duplicate notifications 2)');
    expect(rows[0]).toBe('room bk_demo | completed | 2025-03-04T05:00:00.000Z -> 2025-03-04T05:07:30.000Z (7m 30s)');
    // No colour codes: the table goes to logs and pipes as well as terminals.
    expect(text).not.toContain('\x1b[');
  });

  it('sums up a running session in one line', () => {
    const status: SessionStatus = {
      room: 'bk_demo',
      phase: 'running',
      participants: [],
      counts: { answered: 1, queued: 4, 'in-call': 3 },
      activeLegs: 3,
      costSoFar: [{ currency: 'SGD', debit: '0.140', minutes: 7 }],
    };
    expect(formatStatusLine(status)).toBe('running | 4 queued, 3 in-call, 1 answered | 3 active legs | cost SGD 0.140');
    expect(formatStatusLine({ ...status, counts: {}, activeLegs: 1, costSoFar: [] })).toBe(
      'running | no participants | 1 active leg | cost 0',
    );
  });

  it('shows the budget per holder and the waiting requests', () => {
    const text = formatBudget({
      account: 'acme',
      capacity: 8,
      held: [
        {
          permitId: 'p1',
          holder: 'session-a',
          requestId: 'r1',
          grantedAt: 0,
          leaseExpiresAt: 900_000,
          leaseMs: 900_000,
        },
        {
          permitId: 'p2',
          holder: 'session-a',
          requestId: 'r1',
          grantedAt: 1_000,
          leaseExpiresAt: 901_000,
          leaseMs: 900_000,
        },
        {
          permitId: 'p3',
          holder: 'session-b',
          requestId: 'r2',
          grantedAt: 2_000,
          leaseExpiresAt: 902_000,
          leaseMs: 900_000,
        },
      ],
      waiting: [
        { requestId: 'r3', holder: 'session-c', remaining: 4, requestedAt: 3_000, leaseMs: 900_000, priority: 3 },
      ],
      reclaimed: 0,
      undelivered: 0,
      granted: 3,
    });
    expect(text.split('\n')[0]).toBe(
      'account acme: 3/8 permits held, 1 waiting request | granted 3, reclaimed 0, undelivered 0',
    );
    expect(text).toMatch(/session-a\s*│\s*2\s*│/);
    expect(text).toMatch(/session-b\s*│\s*1\s*│/);
    expect(text).toMatch(/r3\s*│\s*session-c\s*│\s*3\s*│\s*4\s*│/);
  });
});

describe('describeError', () => {
  it('tells a finished workflow from a missing one', () => {
    const finished = new WorkflowNotFoundError('workflow execution already completed', 'w1', undefined);
    expect(describeError(finished, 'w1')).toEqual({
      message: 'workflow w1 has already finished',
      exitCode: EXIT_FAILURE,
    });
    const missing = new WorkflowNotFoundError('Workflow not found', 'w2', undefined);
    expect(describeError(missing)).toEqual({ message: 'workflow w2 not found', exitCode: EXIT_FAILURE });
  });
});

describe('bridgekeeper CLI against a real Temporal dev server (no worker)', () => {
  let env: TestWorkflowEnvironment | undefined;
  let cliEnv: NodeJS.ProcessEnv;
  const taskQueue = uniqueId('cli');

  beforeAll(async () => {
    env = await startTemporalTestEnv();
    cliEnv = {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
    };
  });
  afterAll(() => stopTemporalTestEnv(env));

  async function startedInput(workflowId: string): Promise<unknown> {
    const history = await env!.client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
  }

  it('call starts conferenceSession on the task queue with the input built from the flags, and prints its id', async () => {
    const run = await runCli(
      [
        'call',
        '+6591234567',
        '+6598765432',
        '--name',
        '+6591234567=Alice',
        '--room',
        'cli.e2e',
        '--redial-busy',
        '2:30',
      ],
      cliEnv,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const workflowId = run.stdout.trim();
    expect(workflowId).toMatch(/^session-\d{8}T\d{6}Z-[0-9a-f]{6}$/);

    const handle = env!.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    expect(description.type).toBe('conferenceSession');
    expect(description.taskQueue).toBe(taskQueue);
    expect(description.status.name).toBe('RUNNING');
    expect(await startedInput(workflowId)).toEqual({
      participants: [{ number: '+6591234567', name: 'Alice' }, '+6598765432'],
      room: 'cli.e2e',
      redial: { busy: { attempts: 2, delaySeconds: 30 } },
    });
    await handle.terminate('cli test done');
  });

  it('call --id --json prints the id, run id and task queue as JSON', async () => {
    const workflowId = uniqueId('cli-json');
    // The CLI knows the accounts by the worker's HOIIO_ACCOUNTS; it needs none of their tokens.
    const accounts = { HOIIO_ACCOUNTS: JSON.stringify({ acme: { appId: 'app-acme', accessTokenEnv: 'ACME_TOKEN' } }) };
    const run = await runCli(['call', '+6591234567', '--id', workflowId, '--account', 'acme', '--json'], {
      ...cliEnv,
      ...accounts,
    });
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { workflowId: string; runId: string; taskQueue: string };
    expect(printed).toMatchObject({ workflowId, taskQueue });
    expect(typeof printed.runId).toBe('string');
    const handle = env!.client.workflow.getHandle(workflowId);
    expect((await handle.describe()).runId).toBe(printed.runId);
    expect(await startedInput(workflowId)).toEqual({ participants: ['+6591234567'], account: 'acme' });

    // The same id again is refused with one line, not a stack trace.
    const again = await runCli(['call', '+6591234567', '--id', workflowId], cliEnv);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`bridgekeeper: workflow ${workflowId} already exists: pick another --id\n`);
    await handle.terminate('cli test done');
  });

  it('call with a bad number exits 2 naming the number and the E.164 rule, and starts nothing', async () => {
    const workflowId = uniqueId('cli-bad');
    const run = await runCli(['call', '+6591234567', '+65abc', '--id', workflowId], cliEnv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('+65abc');
    expect(run.stderr).toContain('must be E.164');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expect(env!.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
  });

  it('call with an account the environment does not configure exits 2 naming it and the configured ones, and starts nothing', async () => {
    const workflowId = uniqueId('cli-account');
    const accounts = {
      HOIIO_ACCOUNTS: JSON.stringify({ sales: { appId: 'app-sales', accessTokenEnv: 'SALES_TOKEN' } }),
    };
    const run = await runCli(['call', '+6591234567', '--account', 'nosuch', '--id', workflowId], {
      ...cliEnv,
      ...accounts,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'bridgekeeper: invalid session input:\n  account "nosuch": unknown; configured: default, sales\n',
    );
    await expect(env!.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);

    // With no HOIIO_ACCOUNTS, as under `npm start`, only the default account is configured.
    const bare = await runCli(['call', '+6591234567', '--account', 'nosuch', '--id', workflowId], cliEnv);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('account "nosuch": unknown; configured: default\n');
    await expect(env!.client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
  });

  it('budget for an account with no calls yet says so and exits 0', async () => {
    // An account of its own, on an application no test has dialed from.
    const account = uniqueId('acct')
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '-');
    const run = await runCli(['budget', '--account', account], {
      ...cliEnv,
      HOIIO_ACCOUNTS: JSON.stringify({ [account]: { appId: `app-${account}`, accessTokenEnv: 'QUIET_TOKEN' } }),
      QUIET_TOKEN: 'quiet-token',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`no calls placed yet for account ${account}\n`);
  });

  it('budget with a malformed account name exits 2 naming the value and the rule, and queries nothing', async () => {
    const run = await runCli(['budget', '--account', 'bad account!'], cliEnv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'bridgekeeper: invalid --account "bad account!": must name a configured Hoiio account ' +
        '(lowercase letters, digits, _ and -)\n',
    );
  });

  it('status of an unknown workflow exits 1 with one clear line', async () => {
    const workflowId = uniqueId('cli-missing');
    const run = await runCli(['status', workflowId], cliEnv);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`bridgekeeper: workflow ${workflowId} not found\n`);
  });

  it('an unreachable server is one line and exit 1', async () => {
    const run = await runCli(['status', 'anything'], { ...cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^bridgekeeper: cannot reach Temporal at 127\.0\.0\.1:1 .*\n$/);
  });
});
