/**
 * `bridgekeeper schedule create|update` flags → a Temporal Schedule (spec, policies) and the session input of its
 * runs, as pure functions over real roster files; then the real CLI, which must exit 2 naming every problem before it
 * connects to anything (its Temporal address here leads nowhere). The schedules on a real server are in
 * schedule-cli.test.ts.
 */
import path from 'node:path';
import type { ScheduleSpecDescription } from '@temporalio/client';
import { buildScheduleCreate, buildScheduleUpdate, DEFAULT_CATCHUP_WINDOW_MS } from '../../src/cli/schedule-args';
import { describeSpec, formatInZone } from '../../src/cli/schedule-report';
import { runCli } from './run-cli';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
const NOWHERE = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

describe('schedule create flags', () => {
  it('build a calendar in the zone, skip dates, policies and the input call would send, with no room', () => {
    const built = buildScheduleCreate('weekday-standup', ['+6591234567', '+6598765432'], {
      name: ['+6598765432=Bob'],
      at: '09:00',
      days: 'mon-fri',
      timezone: 'Asia/Singapore',
      skip: ['2026-12-25,2027-01-01'],
      jitter: '30s',
      overlap: 'buffer-one',
      catchupWindow: '5m',
      callerId: 'private',
      redialBusy: '2:30',
      deadline: '3600',
      expectedMinutes: '15',
      allowPartial: true,
      maxCost: ['SGD:5.000'],
    });
    expect(built).toEqual({
      ok: true,
      plan: {
        spec: {
          calendars: [{ hour: 9, minute: 0, dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY' }] }],
          timezone: 'Asia/Singapore',
          jitter: 30_000,
          skip: [
            {
              year: 2026,
              month: 'DECEMBER',
              dayOfMonth: 25,
              hour: '*',
              minute: '*',
              second: '*',
              comment: 'skip 2026-12-25',
            },
            {
              year: 2027,
              month: 'JANUARY',
              dayOfMonth: 1,
              hour: '*',
              minute: '*',
              second: '*',
              comment: 'skip 2027-01-01',
            },
          ],
        },
        overlap: 'BUFFER_ONE',
        catchupWindowMs: 300_000,
        input: {
          participants: ['+6591234567', { number: '+6598765432', name: 'Bob' }],
          callerId: 'private',
          redial: { busy: { attempts: 2, delaySeconds: 30 } },
          deadlineSeconds: 3600,
          expectedMinutes: 15,
          onShortCredit: 'partial',
          maxCost: { SGD: '5.000' },
        },
      },
    });
  });

  it('default to skipping a run while the previous one runs, and a 10-minute catch-up window', () => {
    const built = buildScheduleCreate('s', ['+6591234567'], { cron: '0 9 * * 1-5' });
    expect(built.ok && built.plan).toMatchObject({
      spec: { cronExpressions: ['0 9 * * 1-5'] },
      overlap: 'SKIP',
      catchupWindowMs: DEFAULT_CATCHUP_WINDOW_MS,
    });
    expect(DEFAULT_CATCHUP_WINDOW_MS).toBe(600_000);
    const every = buildScheduleCreate('s', ['+6591234567'], { every: '2s' });
    expect(every.ok && every.plan.spec).toEqual({ intervals: [{ every: 2_000 }] });
  });

  it('read days as ranges, lists or a range that wraps the week', () => {
    const days = (text: string) => {
      const built = buildScheduleCreate('s', ['+6591234567'], { at: '08:30', days: text });
      return built.ok ? built.plan.spec.calendars : built.problems;
    };
    expect(days('mon,wed,fri')).toEqual([
      {
        hour: 8,
        minute: 30,
        dayOfWeek: [
          { start: 'MONDAY', end: 'MONDAY' },
          { start: 'WEDNESDAY', end: 'WEDNESDAY' },
          { start: 'FRIDAY', end: 'FRIDAY' },
        ],
      },
    ]);
    expect(days('fri-mon')).toEqual([
      {
        hour: 8,
        minute: 30,
        dayOfWeek: [
          { start: 'SUNDAY', end: 'MONDAY' },
          { start: 'FRIDAY', end: 'SATURDAY' },
        ],
      },
    ]);
  });

  it('read a roster from JSON or CSV (a quoted name may hold a comma), after the inline numbers', () => {
    const json = buildScheduleCreate('s', ['+6591239999'], { every: '1h', roster: fixture('standup-roster.json') });
    expect(json.ok && json.plan.input.participants).toEqual([
      '+6591239999',
      '+6591230001',
      { number: '+6591230002', name: 'Bob' },
    ]);
    const csv = buildScheduleCreate('s', [], { every: '1h', roster: fixture('standup-roster.csv') });
    expect(csv.ok && csv.plan.input.participants).toEqual([
      { number: '+6591230001', name: 'Alice' },
      { number: '+6591230002', name: 'Tan, Bob' },
      '+6591230003',
    ]);
  });

  it('name every problem at once: id, calendar, zone, dates, durations, policy, roster rows and session flags', () => {
    const built = buildScheduleCreate('bad id!', ['+65abc'], {
      at: '25:00',
      days: 'someday',
      every: '5x',
      timezone: 'Mars/Olympus_Mons',
      skip: ['2026-02-30'],
      jitter: 'soon',
      overlap: 'sometimes',
      catchupWindow: '1s',
      roster: fixture('bad-roster.csv'),
      expectedMinutes: 'lots',
    });
    expect(built.ok).toBe(false);
    const problems = built.ok ? [] : built.problems;
    const expected = [
      'schedule id "bad id!": must be 1-64 of A-Z a-z 0-9 . _ -',
      'bad-roster.csv line 4 = "+65abc": must be E.164',
      'bad-roster.csv line 5 = "+6591230004,Dan,extra": must have at most 2 field(s): number,name',
      '--at, --every: give only one of --cron, --at or --every',
      '--at \"25:00": must be a time of day HH:MM',
      '--days \"someday": must be days of the week',
      '--every \"5x": must be a whole number and a unit (s, m, h or d)',
      '--timezone \"Mars/Olympus_Mons": must be an IANA time zone',
      '--jitter \"soon": must be a whole number and a unit',
      '--skip \"2026-02-30": must be dates YYYY-MM-DD',
      '--overlap \"sometimes": must be one of skip, buffer-one, buffer-all, cancel-other, terminate-other, allow-all',
      '--catchup-window \"1s": must be at least 10s',
      '--expected-minutes "lots": must be a whole number of minutes',
      'participants[0] = "+65abc": must be E.164',
    ];
    for (const text of expected) expect(problems.join('\n')).toContain(text);
    expect(problems).toHaveLength(expected.length);
  });

  it('need a calendar, and --days only with --at', () => {
    const built = buildScheduleCreate('s', ['+6591234567'], { days: 'mon' });
    expect(built.ok ? [] : built.problems).toEqual([
      '--days "mon": goes with --at, e.g. --at 09:00 --days mon-fri',
      "a schedule needs a calendar: --cron '<spec>', --at HH:MM [--days mon-fri] or --every <interval>",
    ]);
  });
});

describe('schedule update flags', () => {
  const now = {
    spec: {
      calendars: [],
      intervals: [{ every: 60_000, offset: 0 }],
      skip: [],
      timezone: 'Asia/Singapore',
    } as ScheduleSpecDescription,
    overlap: 'SKIP' as const,
    catchupWindowMs: 600_000,
    input: { participants: ['+6591230001', { number: '+6591230002', name: 'Bob' }], expectedMinutes: 15 },
  };

  it('edit the roster and lay the given options over the rest, keeping the calendar', () => {
    const built = buildScheduleUpdate(now, {
      add: ['+6591230003'],
      name: ['+6591230003=Cy'],
      remove: ['+6591230001'],
      maxCost: ['SGD:2.000'],
    });
    expect(built).toEqual({
      ok: true,
      plan: {
        spec: { intervals: [{ every: 60_000, offset: 0 }], calendars: [], skip: [], timezone: 'Asia/Singapore' },
        overlap: 'SKIP',
        catchupWindowMs: 600_000,
        input: {
          participants: [
            { number: '+6591230002', name: 'Bob' },
            { number: '+6591230003', name: 'Cy' },
          ],
          expectedMinutes: 15,
          maxCost: { SGD: '2.000' },
        },
      },
    });
  });

  it('replace the calendar when one is given, and refuse a number that is not on the roster', () => {
    const moved = buildScheduleUpdate(now, { at: '10:30' });
    expect(moved.ok && moved.plan.spec.calendars).toEqual([{ hour: 10, minute: 30 }]);
    expect(moved.ok && moved.plan.spec.intervals).toBeUndefined();
    const bad = buildScheduleUpdate(now, { remove: ['+6599999999'], add: ['+6591230002'] });
    expect(bad.ok ? [] : bad.problems).toEqual([
      `--remove "+6599999999": must be a number on the schedule's roster`,
      'participants[2] = "+6591230002": is listed twice (first at [1])',
    ]);
    expect(buildScheduleUpdate(now, { name: [], maxCost: [], skip: [] })).toEqual({
      ok: false,
      problems: ['nothing to change: give --add, --remove, --roster, a calendar flag or an option'],
    });
  });
});

describe('a schedule in words', () => {
  const full = { second: [{ start: 0, end: 59, step: 1 }], minute: [{ start: 0, end: 59, step: 1 }] };
  it('reads the calendar the server describes, with skip dates, jitter and zone', () => {
    const spec = {
      calendars: [
        {
          second: [{ start: 0, end: 0, step: 1 }],
          minute: [{ start: 0, end: 0, step: 1 }],
          hour: [{ start: 9, end: 9, step: 1 }],
          dayOfMonth: [{ start: 1, end: 31, step: 1 }],
          month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
          year: [],
          dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
        },
      ],
      intervals: [],
      skip: [
        {
          ...full,
          hour: [{ start: 0, end: 23, step: 1 }],
          dayOfMonth: [{ start: 25, end: 25, step: 1 }],
          month: [{ start: 'DECEMBER', end: 'DECEMBER', step: 1 }],
          year: [{ start: 2026, end: 2026, step: 1 }],
          dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
        },
      ],
      timezone: 'Asia/Singapore',
      jitter: 30_000,
    } as ScheduleSpecDescription;
    expect(describeSpec(spec)).toBe(
      'at 09:00 on Mon-Fri, Asia/Singapore time, except 2026-12-25, up to 30s late (jitter)',
    );
    expect(describeSpec({ intervals: [{ every: 2_000, offset: 0 }] })).toBe('every 2s, UTC time');
  });

  it('shows times on the wall clock of the zone', () => {
    expect(formatInZone(new Date('2026-11-30T01:00:00Z'), 'Asia/Singapore')).toBe('2026-11-30 Mon 09:00:00');
  });
});

describe('the real CLI on bad schedule input', () => {
  it('exits 2 naming every problem, and connects to nothing', async () => {
    const run = await runCli(
      [
        'schedule',
        'create',
        'standup',
        '+65abc',
        '--at',
        '9am',
        '--timezone',
        'Nowhere/Land',
        '--roster',
        fixture('bad-roster.csv'),
      ],
      NOWHERE,
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--at \"9am": must be a time of day HH:MM');
    expect(run.stderr).toContain('--timezone \"Nowhere/Land": must be an IANA time zone');
    expect(run.stderr).toContain('bad-roster.csv line 4 = "+65abc": must be E.164');
    expect(run.stderr).toContain('bad-roster.csv line 5');
    expect(run.stderr).toContain('participants[0] = "+65abc": must be E.164');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on a bad id or backfill window before connecting', async () => {
    const id = await runCli(['schedule', 'describe', 'no spaces'], NOWHERE);
    expect(id.code).toBe(2);
    expect(id.stderr).toContain('schedule id "no spaces": must be 1-64 of');
    const backfill = await runCli(
      ['schedule', 'backfill', 's', '--start', 'yesterday', '--end', '2026-01-01T00:00:00Z'],
      NOWHERE,
    );
    expect(backfill.code).toBe(2);
    expect(backfill.stderr).toContain('--start "yesterday": must be an ISO 8601 time');
  });
});
