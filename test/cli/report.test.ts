/**
 * `bridgekeeper report` on the real stack: a Temporal Schedule (made with the client API) runs a roster three times,
 * the third with too little credit; the real CLI reports its runs as CSV (compared leg for leg with the simulator's
 * ledger), JSON, a table and HTML, which real headless Chromium parses (bars and totals read from its DOM).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ScheduleHandle } from '@temporalio/client';
import { formatMoney, parseMoney, sumMoney } from '../../src/domain/money';
import type { Report } from '../../src/reports/report-model';
import { cliEnvFor, startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import { DEMO_APP_ID, resetSimulator, sessionKit } from '../workflows/support/session-kit';
import { runCli } from './run-cli';

const run = promisify(execFile);
const talk = (minutes: number) => ({ outcome: 'answered', ringSeconds: 1, talkSeconds: minutes * 60 }) as const;
const [ANA, BEN, CHO] = ['+6586000001', '+6586000002', '+6586000003'];
/** A name a report must quote in CSV and escape in HTML. */
const BEN_NAME = 'Ben "B", <script>document.title="pwned"</script>';

let stack: SessionStack;
let cliEnv: NodeJS.ProcessEnv;
let schedule: ScheduleHandle;
let dir: string;

/** Waits until the schedule has taken `count` actions and the last one's session has closed; returns its id. */
async function runOnce(count: number): Promise<string> {
  await schedule.trigger();
  let workflowId: string | undefined;
  const deadline = Date.now() + 60_000;
  while (!workflowId) {
    const { info } = await schedule.describe();
    if (info.recentActions.length >= count) workflowId = info.recentActions.at(-1)!.action.workflow.workflowId;
    else if (Date.now() > deadline)
      throw new Error(`the schedule took ${info.recentActions.length} of ${count} actions`);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stack.env.client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  return workflowId;
}

/** Waits until visibility lists `count` closed runs of the schedule: the report reads it, and it lags a little. */
async function waitForVisibility(count: number): Promise<void> {
  const query = `TemporalScheduledById = '${schedule.scheduleId}' AND ExecutionStatus != 'Running'`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { count: listed } = await stack.env.client.workflow.count(query);
    if (listed >= count) return;
    if (Date.now() > deadline) throw new Error(`visibility lists ${listed} of ${count} closed runs`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** RFC 4180, as much as the report writes: quoted fields with doubled quotes, CRLF line ends. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted) {
      field += c;
    } else if (c === ',') {
      endField();
    } else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else {
      field += c;
    }
  }
  const [head, ...body] = rows;
  return body.map((cells) => Object.fromEntries(head!.map((name, i) => [name, cells[i] ?? ''])));
}

beforeAll(async () => {
  stack = await startSessionStack({ timeScale: 600, seed: 23 });
  cliEnv = cliEnvFor(stack);
  dir = await mkdtemp(path.join(tmpdir(), 'bk-report-'));
  await resetSimulator(stack);
  // Ana talks both times, Ben never answers, Cho is busy, then talks.
  await stack.simPost('/_sim/config', {
    scripts: {
      [ANA]: [talk(3), talk(2)],
      [BEN]: [
        { outcome: 'unanswered', ringSeconds: 5 },
        { outcome: 'unanswered', ringSeconds: 5 },
      ],
      [CHO]: [{ outcome: 'busy' }, talk(4)],
    },
  });
  schedule = await stack.env.client.schedule.create({
    scheduleId: uniqueId('standup'),
    // Daily at 09:00 in Singapore: never due while the test runs; the runs come from trigger.
    spec: { cronExpressions: ['0 9 * * *'], timezone: 'Asia/Singapore' },
    action: {
      type: 'startWorkflow',
      workflowType: 'conferenceSession',
      workflowId: uniqueId('standup-run'),
      taskQueue: stack.taskQueue,
      args: [{ participants: [ANA, { number: BEN, name: BEN_NAME }, CHO], expectedMinutes: 5 }],
    },
  });
}, 180_000);

afterAll(async () => {
  await schedule?.delete().catch(() => undefined);
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bridgekeeper report --schedule', () => {
  let runIds: string[];
  let csv: Record<string, string>[];

  beforeAll(async () => {
    runIds = [await runOnce(1), await runOnce(2)];
    // The third run finds too little credit: pre-flight fails it, and nobody is dialed.
    await stack.simPost('/_sim/config', { accounts: [{ appId: DEMO_APP_ID, points: '0.010', bonus: '0.000' }] });
    runIds.push(await runOnce(3));
    await waitForVisibility(3);
  }, 240_000);

  it('writes CSV that equals the simulator ledger for the runs rooms, leg for leg and in total', async () => {
    const result = await runCli(['report', '--schedule', schedule.scheduleId, '--format', 'csv'], cliEnv);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\r\n$/);
    csv = parseCsv(result.stdout);
    const legs = csv.filter((row) => row.kind === 'leg');
    const rooms = new Set(legs.map((row) => row.room));
    expect(rooms.size).toBe(2);
    expect(new Set(legs.map((row) => row.workflow_id))).toEqual(new Set(runIds.slice(0, 2)));

    const { calls } = await sessionKit(() => stack).ledger();
    const ledger = calls.filter((call) => rooms.has(call.room));
    expect(legs.map((row) => row.txn_ref).sort()).toEqual(ledger.map((call) => call.txn_ref).sort());
    for (const call of ledger) {
      const row = legs.find((leg) => leg.txn_ref === call.txn_ref)!;
      expect([row.number, row.status, Number(row.minutes), row.debit, row.currency]).toEqual([
        call.dest,
        call.call_status_dest,
        Number(call.duration ?? 0),
        formatMoney(parseMoney(call.debit ?? '0')),
        call.currency,
      ]);
      expect(Date.parse(row.ended_at!)).toBeGreaterThanOrEqual(Date.parse(row.dialed_at!));
    }
    expect(legs.find((row) => row.number === BEN)!.name).toBe(BEN_NAME);
    for (const row of legs) expect(row.date).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);

    const totals = csv.filter((row) => row.kind === 'total');
    expect(totals).toEqual([
      expect.objectContaining({
        currency: 'SGD',
        debit: formatMoney(sumMoney(ledger.map((call) => parseMoney(call.debit ?? '0')))),
        minutes: String(ledger.reduce((total, call) => total + Number(call.duration ?? 0), 0)),
      }),
    ]);
    // 3 + 2 + 4 minutes at 0.020.
    expect(totals[0]!.debit).toBe('0.180');

    const failed = csv.filter((row) => row.kind === 'run');
    expect(failed).toEqual([expect.objectContaining({ workflow_id: runIds[2], status: 'failed' })]);
    expect(failed[0]!.note).toContain('nobody was dialed');
  });

  it('writes JSON with the runs in the schedule time zone and who attended and who missed', async () => {
    const result = await runCli(['report', '--schedule', schedule.scheduleId, '--format', 'json'], cliEnv);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.timeZone).toBe('Asia/Singapore');
    expect(report.runs.map((r) => [r.workflowId, r.outcome, r.participants, r.answered])).toEqual([
      [runIds[0], 'completed', 3, 1],
      [runIds[1], 'completed', 3, 2],
      [runIds[2], 'failed', undefined, undefined],
    ]);
    expect(report.runs[0]!.scheduleId).toBe(schedule.scheduleId);
    const singapore = new Date(Date.parse(report.runs[0]!.startedAt) + 8 * 3600_000).toISOString();
    expect(report.runs[0]!.date).toBe(`${singapore.slice(0, 10)} ${singapore.slice(11, 16)}`);
    expect(report.participants.map((p) => [p.number, p.attended, p.missed, p.minutes])).toEqual([
      [BEN, 0, 2, 0],
      [CHO, 1, 1, 4],
      [ANA, 2, 0, 5],
    ]);
    expect(report.totals).toEqual([{ currency: 'SGD', debit: csv.find((r) => r.kind === 'total')!.debit, minutes: 9 }]);
  });

  it('prints tables, and --timezone overrides the schedule time zone', async () => {
    const result = await runCli(['report', '--schedule', schedule.scheduleId, '--timezone', 'UTC'], cliEnv);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`schedule ${schedule.scheduleId} | 3 runs | times in UTC`);
    for (const id of runIds) expect(result.stdout).toContain(id);
    expect(result.stdout).toMatch(/failed: .*nobody was dialed/);
    expect(result.stdout).toContain('totals: SGD 0.180 for 9 min');
  });

  it('writes HTML whose bars and totals real Chromium finds in the DOM, with no script from a name', async () => {
    const file = path.join(dir, 'report.html');
    const result = await runCli(
      ['report', '--schedule', schedule.scheduleId, '--format', 'html', '--output', file],
      cliEnv,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const dom = await dumpDom(file);

    const bars = [...dom.matchAll(/<rect class="leg leg-(\w+)" data-txn-ref="([^"]+)"[^>]*data-line="(\d+)"/g)];
    const legs = csv.filter((row) => row.kind === 'leg');
    expect(bars.map(([, status, txn]) => `${txn} ${status}`).sort()).toEqual(
      legs.map((row) => `${row.txn_ref} ${row.status}`).sort(),
    );
    for (const [, , , line] of bars) expect(Number(line)).toBeGreaterThanOrEqual(1);
    expect(dom.match(/<section class="session"/g)).toHaveLength(2);
    expect(dom).toMatch(/class="legend"/);
    const total = csv.find((row) => row.kind === 'total')!;
    expect(dom).toMatch(
      new RegExp(
        `<tr class="total" data-currency="SGD">.*?<td class="num minutes">${total.minutes}</td>` +
          `<td class="num debit">${total.debit!.replace('.', '\\.')}</td>`,
      ),
    );
    // The name is text, not markup: no script element, the page title untouched.
    expect(dom).not.toMatch(/<script/i);
    expect(dom).toContain('&lt;script&gt;');
    expect(dom).toContain(`<title>bridgekeeper report: schedule ${schedule.scheduleId}</title>`);
  });

  it('reports one session by its workflow id, dated in its schedule time zone', async () => {
    const result = await runCli(['report', runIds[0]!, '--format', 'csv'], cliEnv);
    expect(result.code).toBe(0);
    const rows = parseCsv(result.stdout);
    expect(rows.filter((row) => row.kind === 'leg')).toEqual(csv.filter((row) => row.workflow_id === runIds[0]));
  });

  it('reports the sessions started in a time range, and none from a range before them', async () => {
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const inRange = await runCli(['report', '--since', since, '--format', 'json'], cliEnv);
    expect(inRange.code).toBe(0);
    expect((JSON.parse(inRange.stdout) as Report).runs.map((r) => r.workflowId)).toEqual(runIds);
    const before = await runCli(['report', '--until', '2020-01-01', '--format', 'json'], cliEnv);
    expect(JSON.parse(before.stdout)).toMatchObject({ runs: [], totals: [] });
  });

  it('exits 1 naming a schedule or session that does not exist, and 2 naming every bad argument', async () => {
    const missing = await runCli(['report', '--schedule', 'no-such-schedule'], cliEnv);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('schedule no-such-schedule not found');
    const noSession = await runCli(['report', 'no-such-session'], cliEnv);
    expect(noSession.code).toBe(1);
    expect(noSession.stderr).toContain('workflow no-such-session not found');
    const bad = await runCli(['report', '--since', 'yesterday', '--format', 'pdf'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday": must be an ISO 8601 date');
    expect(bad.stderr).toContain('--format "pdf": must be one of table, json, csv, html');
  });
});

/** The DOM real headless Chromium builds from the file (Debian's `chromium`; `.ci/run` installs it). */
async function dumpDom(file: string): Promise<string> {
  const chromium = await run('sh', ['-c', 'command -v chromium || command -v chromium-browser']).then(
    ({ stdout }) => stdout.trim(),
    () => {
      throw new Error('no chromium on PATH: `apt-get install -y chromium` (bash .ci/run does it)');
    },
  );
  const profile = await mkdtemp(path.join(dir, 'profile-'));
  const { stdout } = await run(
    chromium,
    [
      '--headless',
      '--disable-gpu',
      '--no-sandbox',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--dump-dom',
      `file://${file}`,
    ],
    { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}
