/**
 * `bridgekeeper report`'s pure parts: the model built from gathered runs (per run, per participant, totals), the
 * lines of the timeline, CSV quoting, HTML escaping and the command line's checks. The real command, on a real
 * stack and in a real browser, is test/cli/report.test.ts.
 */
import { parseReportArgs } from '../../src/cli/report-command';
import type { SessionSummary } from '../../src/domain/session-types';
import { csvField, renderCsv } from '../../src/reports/csv';
import { escapeHtml, renderHtml } from '../../src/reports/html';
import { assignLines } from '../../src/reports/lines';
import { buildReport, type GatheredRun } from '../../src/reports/report-model';

const leg = (
  txnRef: string,
  status: 'answered' | 'busy',
  minutes: number,
  debit: string,
  from: string,
  to: string,
) => ({
  txnRef,
  status,
  minutes,
  debit,
  currency: 'SGD',
  dialedAt: `2026-01-05T01:${from}.000Z`,
  endedAt: `2026-01-05T01:${to}.000Z`,
});

function summary(startedAt: string, participants: SessionSummary['participants']): SessionSummary {
  return {
    room: `room_${startedAt.slice(8, 10)}`,
    startedAt,
    endedAt: startedAt,
    endedBy: 'completed',
    participants,
    totals: [],
    outcomes: {},
    requests: { conferenceCall: 0, historyLookups: 0, statusPolls: 0, hangups: 0, moderations: 0 },
    retries: { total: 0, reasons: {} },
    legs: {
      total: 0,
      endedBy: { notification: 0, poll: 0, assumed: 0 },
      costUnknown: 0,
      corrected: 0,
      duplicateNotifications: 0,
      malformedNotifications: 0,
    },
  };
}

const alice = { number: '+6591230001', name: 'Alice, "the boss" <script>x</script>' };
const runs: GatheredRun[] = [
  {
    workflowId: 'standup-2',
    runId: 'r2',
    status: 'COMPLETED',
    startedAt: new Date('2026-01-06T01:00:00Z'),
    summary: {
      ...summary('2026-01-06T01:00:00.000Z', [
        {
          ...alice,
          status: 'busy',
          attempts: 1,
          txnRefs: ['T3'],
          minutes: 0,
          debit: '0.000',
          currency: 'SGD',
          legs: [leg('T3', 'busy', 0, '0.000', '00:00', '00:10')],
        },
      ]),
      totals: [{ currency: 'SGD', debit: '0.000', minutes: 0 }],
    },
  },
  {
    workflowId: 'standup-1',
    runId: 'r1',
    status: 'COMPLETED',
    startedAt: new Date('2026-01-05T01:00:00Z'),
    summary: {
      ...summary('2026-01-05T01:00:00.000Z', [
        {
          ...alice,
          status: 'answered',
          attempts: 1,
          txnRefs: ['T1'],
          minutes: 7,
          debit: '0.140',
          currency: 'SGD',
          legs: [leg('T1', 'answered', 7, '0.140', '00:00', '07:00')],
        },
        // A summary of an older release: no legs listed.
        {
          number: '+6591230002',
          status: 'answered',
          attempts: 1,
          txnRefs: ['T2'],
          minutes: 3,
          debit: '0.060',
          currency: 'SGD',
        },
      ]),
      totals: [{ currency: 'SGD', debit: '0.200', minutes: 10 }],
    },
  },
  {
    workflowId: 'standup-3',
    runId: 'r3',
    status: 'FAILED',
    startedAt: new Date('2026-01-07T01:00:00Z'),
    failure: 'not enough credit: forecast SGD 1.800, balance SGD 0.100; nobody was dialed',
  },
];

describe('buildReport', () => {
  const report = buildReport('schedule standup', 'Asia/Singapore', runs);

  it('lists runs in time order, dated in the time zone, a failed one with its message', () => {
    expect(report.runs.map((r) => [r.date, r.workflowId, r.outcome, r.participants, r.answered, r.minutes])).toEqual([
      ['2026-01-05 09:00', 'standup-1', 'completed', 2, 2, 10],
      ['2026-01-06 09:00', 'standup-2', 'completed', 1, 0, 0],
      ['2026-01-07 09:00', 'standup-3', 'failed', undefined, undefined, 0],
    ]);
    expect(report.runs[2]!.note).toContain('nobody was dialed');
  });

  it('counts each participant across runs, the most missed first, and totals exactly per currency', () => {
    expect(report.participants.map((p) => [p.number, p.runs, p.attended, p.missed, p.minutes, p.cost])).toEqual([
      [alice.number, 2, 1, 1, 7, [{ currency: 'SGD', debit: '0.140', minutes: 7 }]],
      ['+6591230002', 1, 1, 0, 3, [{ currency: 'SGD', debit: '0.060', minutes: 3 }]],
    ]);
    expect(report.totals).toEqual([{ currency: 'SGD', debit: '0.200', minutes: 10 }]);
  });

  it('writes CSV by RFC 4180: a leg a row, a failed run a row, a total a row', () => {
    const lines = renderCsv(report).split('\r\n');
    expect(lines[0]).toBe(
      'kind,date,workflow_id,room,number,name,txn_ref,status,minutes,debit,currency,dialed_at,ended_at,note',
    );
    expect(lines[1]).toBe(
      'leg,2026-01-05 09:00,standup-1,room_05,+6591230001,"Alice, ""the boss"" <script>x</script>",T1,answered,7,0.140,SGD,2026-01-05T01:00:00.000Z,2026-01-05T01:07:00.000Z,',
    );
    expect(lines[2]).toBe('leg,2026-01-05 09:00,standup-1,room_05,+6591230002,,T2,answered,3,0.060,SGD,,,');
    expect(lines[4]).toMatch(
      /^run,2026-01-07 09:00,standup-3,,,,,failed,,,,,,"not enough credit: forecast SGD 1\.800, /,
    );
    expect(lines[5]).toBe('total,,,,,,,,10,0.200,SGD,,,');
    expect(lines[6]).toBe('');
  });

  it('escapes every text of the HTML and draws a bar for each leg with times', () => {
    const html = renderHtml(report);
    expect(html).not.toContain('<script>');
    expect(html).toContain('Alice, &quot;the boss&quot; &lt;script&gt;x&lt;/script&gt;');
    expect(html.match(/<rect class="leg /g)).toHaveLength(2);
    expect(html).not.toMatch(/src=|href=|@import|url\(/);
  });
});

describe('assignLines', () => {
  it('puts a leg on the lowest line free at its dial', () => {
    const at = (m: number) => `2026-01-05T01:0${m}:00.000Z`;
    const lines = assignLines([
      { dialedAt: at(0), endedAt: at(5) },
      { dialedAt: at(0), endedAt: at(2) },
      { dialedAt: at(2), endedAt: at(4) },
      { dialedAt: at(3), endedAt: at(4) },
      {},
    ]);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 2, 3, undefined]);
  });
});

describe('csvField and escapeHtml', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
  ])('quotes %j as %j', (text, quoted) => expect(csvField(text)).toBe(quoted));

  it('escapes the five characters of HTML', () => {
    expect(escapeHtml(`<a href='x'>"&"</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;');
  });
});

describe('parseReportArgs', () => {
  it('names every bad value and its rule', () => {
    const parsed = parseReportArgs(undefined, {
      since: '2026-02-30',
      until: '2026-01-05T09:00',
      timezone: 'Mars/Olympus',
      format: 'pdf',
    });
    expect(parsed.ok).toBe(false);
    const text = parsed.ok ? '' : parsed.problems.join('\n');
    expect(text).toContain('--since "2026-02-30": must be an ISO 8601 date');
    expect(text).toContain('--until "2026-01-05T09:00": must be an ISO 8601 date');
    expect(text).toContain('--timezone "Mars/Olympus": must be an IANA time zone');
    expect(text).toContain('--format "pdf": must be one of table, json, csv, html');
    expect(parsed.ok ? 0 : parsed.problems.length).toBe(4);
  });

  it('wants exactly one subject, a range in order, and ids a query can quote', () => {
    const problems = (id: string | undefined, options: object) => {
      const parsed = parseReportArgs(id, { format: 'table', ...options });
      return parsed.ok ? [] : parsed.problems;
    };
    expect(problems(undefined, {})).toEqual(['give exactly one of <workflow-id>, --schedule <id>, or --since/--until']);
    expect(problems('s-1', { schedule: 'daily' })).toHaveLength(1);
    expect(problems(undefined, { since: '2026-01-05', until: '2026-01-05' })).toEqual([
      '--until "2026-01-05": must be later than --since "2026-01-05"',
    ]);
    expect(problems(undefined, { schedule: "it's" })[0]).toMatch(/^--schedule "it's": must be 1 to 255 characters/);
    expect(parseReportArgs(undefined, { since: '2026-01-05T09:00+08:00', format: 'csv' })).toEqual({
      ok: true,
      format: 'csv',
      selection: { kind: 'range', since: new Date('2026-01-05T01:00:00Z') },
    });
  });
});
