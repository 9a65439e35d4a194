/**
 * `bridgekeeper schedule …`: recurring conferences as Temporal Schedules (the client's schedule API, no scheduler of
 * our own). A schedule's action starts an ordinary `conferenceSession` on the CLI's task queue, with the input `call`
 * would build but no room, so each run (workflow id `<schedule id>-<time>`) dials into a room of its own; Temporal
 * tags each run with `TemporalScheduledById`. Everything here also works through `temporal schedule …`.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { Command } from 'commander';
import { showValue } from '../domain/input-text';
import { DEFAULT_ACCOUNT } from '../domain/session-input';
import type { SessionSummary } from '../domain/session-types';
import { CliError, EXIT_USAGE, rootMessage } from './cli-errors';
import type { CommandKit } from './escalation-commands';
import {
  buildScheduleCreate,
  buildScheduleUpdate,
  checkScheduleId,
  OVERLAP_POLICIES,
  type ScheduleFlags,
  type ScheduleUpdateFlags,
} from './schedule-args';
import {
  describeSpec,
  formatInZone,
  formatScheduleList,
  formatScheduleView,
  scheduleView,
  zoneOf,
  type ScheduleListRow,
  type ScheduleRun,
} from './schedule-report';
import { addSessionOptions, collect } from './session-args';
import type { CliTemporal } from './temporal-client';

/** The workflow a bridgekeeper schedule starts (a wire contract, like the input's field names). */
export const SESSION_WORKFLOW_TYPE = 'conferenceSession';
/** Set on every schedule the CLI creates, so that `temporal schedule list` shows who made it. */
const SCHEDULE_MEMO = { createdBy: 'bridgekeeper schedule create' };
/** How long `trigger` waits to see the run it asked for start (or be skipped). */
const TRIGGER_WAIT_MS = 15_000;

export interface ScheduleKit extends CommandKit {
  /** Refuses (exit 2) an account the environment does not configure, as `call` does. */
  checkAccount(account: string): void;
}

/** Runs `fn` on a schedule; "not found", "already exists" and a spec the server refuses come back naming it. */
async function forSchedule<T>(
  kit: ScheduleKit,
  id: string,
  fn: (temporal: CliTemporal, handle: ScheduleHandle) => Promise<T>,
): Promise<T> {
  const problem = checkScheduleId(id);
  if (problem) throw new CliError(`invalid ${problem}`, EXIT_USAGE);
  return await kit.withTemporal(async (temporal) => {
    try {
      return await fn(temporal, temporal.client.schedule.getHandle(id));
    } catch (error) {
      throw scheduleError(error, id);
    }
  });
}

function scheduleError(error: unknown, id: string): unknown {
  if (error instanceof ScheduleNotFoundError) return new CliError(`schedule ${id} not found`);
  if (error instanceof ScheduleAlreadyRunning) {
    return new CliError(
      `schedule ${id} already exists: change it with \`bridgekeeper schedule update ${id}\`, or delete it first`,
    );
  }
  // The client turns the server's "Invalid schedule spec" into a TypeError: the input was wrong, nothing was changed.
  if (error instanceof TypeError) return new CliError(`invalid schedule ${id}: ${error.message}`, EXIT_USAGE);
  return error;
}

function parseOverlapFlag(text: string | undefined): ScheduleOverlapPolicy | undefined {
  if (text === undefined) return undefined;
  const policy = OVERLAP_POLICIES[text.trim().toLowerCase()];
  if (!policy) {
    throw new CliError(
      `invalid --overlap ${showValue(text)}: must be one of ${Object.keys(OVERLAP_POLICIES).join(', ')}`,
      EXIT_USAGE,
    );
  }
  return policy;
}

/** The calendar, time zone and policy flags `create` and `update` share. */
function addTimingOptions(command: Command): Command {
  return command
    .option('--cron <spec>', "cron expression, e.g. '0 9 * * 1-5' (minute hour day month weekday)")
    .option('--at <HH:MM>', 'time of day, e.g. 09:00 (with --days)')
    .option('--days <days>', 'days of the week for --at: mon-fri, mon,wed,fri, weekdays, weekends, daily')
    .option('--every <interval>', 'an interval instead of a calendar: 30s, 10m, 2h, 1d')
    .option('--timezone <zone>', 'IANA time zone the calendar is read in (default UTC), e.g. Asia/Singapore')
    .option('--skip <dates>', 'dates with no run, YYYY-MM-DD, comma-separated (repeatable)', collect, [])
    .option('--jitter <duration>', 'start each run up to this much later, at random: 30s, 2m')
    .option(
      '--overlap <policy>',
      `when the previous run still runs: ${Object.keys(OVERLAP_POLICIES).join(', ')} (skip)`,
    )
    .option('--catchup-window <duration>', 'how late a missed run may still start (10m); older ones are skipped')
    .option(
      '--roster <file>',
      'participants from a file: .json (array of numbers or {number,name}) or .csv (number,name)',
    );
}

export function registerScheduleCommands(program: Command, kit: ScheduleKit): void {
  const schedule = program
    .command('schedule')
    .description('recurring conferences: create|list|describe|update|pause|unpause|trigger|backfill|delete');

  addSessionOptions(
    addTimingOptions(
      schedule
        .command('create')
        .description('create a schedule that starts a conference session on a calendar')
        .argument('<id>', 'schedule id; each run is the workflow <id>-<time>')
        .argument('[numbers...]', 'participants, in the order they are dialed (and/or --roster)'),
    ),
    { room: false },
  )
    .option('--json', 'print JSON')
    .action(async (id: string, numbers: string[], options: ScheduleFlags & { json?: boolean }) => {
      const { json, ...flags } = options;
      // Validate before connecting: a bad input is refused with no server at all (exit 2, nothing sent).
      const built = buildScheduleCreate(id, numbers, flags);
      if (!built.ok) throw new CliError(`invalid schedule:\n  ${built.problems.join('\n  ')}`, EXIT_USAGE);
      const { plan } = built;
      kit.checkAccount(plan.input.account ?? DEFAULT_ACCOUNT);
      await forSchedule(kit, id, async (temporal) => {
        const handle = await temporal.client.schedule.create({
          scheduleId: id,
          spec: plan.spec,
          action: {
            type: 'startWorkflow',
            workflowType: SESSION_WORKFLOW_TYPE,
            taskQueue: temporal.config.taskQueue,
            workflowId: id,
            args: [plan.input],
          },
          policies: { overlap: plan.overlap, catchupWindow: plan.catchupWindowMs },
          memo: SCHEDULE_MEMO,
        });
        const description = await handle.describe();
        if (json) {
          kit.printJson({ scheduleId: id, taskQueue: temporal.config.taskQueue, ...nextRun(description) });
          return;
        }
        const next = nextRun(description).nextRun;
        kit.print(
          [
            `schedule ${id} created: ${describeSpec(description.spec)}`,
            next ? `next run: ${next.local} (${zoneOf(description.spec)})` : 'no run is due',
            `run it now: bridgekeeper schedule trigger ${id}`,
          ].join('\n'),
        );
      });
    });

  schedule
    .command('list')
    .description('every bridgekeeper schedule (its action starts conferenceSession on this task queue), next run first')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await kit.withTemporal(async (temporal) => {
        const rows: ScheduleListRow[] = [];
        for await (const summary of temporal.client.schedule.list()) {
          if (summary.action?.workflowType !== SESSION_WORKFLOW_TYPE) continue;
          // The list does not carry the task queue: a schedule of another deployment's queue is not ours.
          const description = await temporal.client.schedule
            .getHandle(summary.scheduleId)
            .describe()
            .catch((error: unknown) => {
              if (error instanceof ScheduleNotFoundError) return undefined;
              throw error;
            });
          if (!description || description.action.taskQueue !== temporal.config.taskQueue) continue;
          rows.push({
            scheduleId: description.scheduleId,
            paused: description.state.paused,
            timeZone: zoneOf(description.spec),
            when: describeSpec(description.spec),
            ...nextRun(description),
          });
        }
        rows.sort((a, b) => (a.nextRun?.at ?? '~').localeCompare(b.nextRun?.at ?? '~'));
        if (options.json) kit.printJson(rows);
        else kit.print(formatScheduleList(rows));
      });
    });

  schedule
    .command('describe')
    .description('a schedule in words: paused or not, its next 5 runs and its last runs with outcome and cost')
    .argument('<id>', 'schedule id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      await forSchedule(kit, id, async (temporal, handle) => {
        const description = await handle.describe();
        const runs = await Promise.all(
          description.info.recentActions.map((action) =>
            runOf(temporal, action.action.workflow.workflowId, action.takenAt),
          ),
        );
        const view = scheduleView(description, runs);
        if (options.json) kit.printJson(view);
        else kit.print(formatScheduleView(view));
      });
    });

  addSessionOptions(
    addTimingOptions(
      schedule
        .command('update')
        .description(
          "change a schedule's roster, calendar or options: the next run uses them, a running one is untouched",
        )
        .argument('<id>', 'schedule id')
        .option('--add <numbers...>', 'numbers to add to the roster (names with --name)')
        .option('--remove <numbers...>', 'numbers to take off the roster'),
    ),
    { room: false },
  ).action(async (id: string, options: ScheduleUpdateFlags) => {
    await forSchedule(kit, id, async (temporal, handle) => {
      let roster = 0;
      await handle.update((previous) => {
        if (previous.action.workflowType !== SESSION_WORKFLOW_TYPE) {
          throw new CliError(
            `schedule ${id} does not start ${SESSION_WORKFLOW_TYPE}: it is not bridgekeeper's to change`,
          );
        }
        const built = buildScheduleUpdate(
          {
            spec: previous.spec,
            overlap: previous.policies.overlap,
            catchupWindowMs: previous.policies.catchupWindow,
            input: previous.action.args?.[0],
          },
          options,
        );
        if (!built.ok) throw new CliError(`invalid schedule update:\n  ${built.problems.join('\n  ')}`, EXIT_USAGE);
        kit.checkAccount(built.plan.input.account ?? DEFAULT_ACCOUNT);
        roster = built.plan.input.participants.length;
        return {
          ...previous,
          spec: built.plan.spec,
          policies: { ...previous.policies, overlap: built.plan.overlap, catchupWindow: built.plan.catchupWindowMs },
          action: { ...previous.action, args: [built.plan.input] },
        };
      });
      const description = await handle.describe();
      const next = nextRun(description).nextRun;
      kit.print(
        [
          `schedule ${id} updated: ${roster} participant(s), ${describeSpec(description.spec)}`,
          `the next run uses it${next ? ` (${next.local} ${zoneOf(description.spec)})` : ''}; a run in progress keeps its own roster and options`,
        ].join('\n'),
      );
    });
  });

  for (const [name, pause] of [
    ['pause', true],
    ['unpause', false],
  ] as const) {
    schedule
      .command(name)
      .description(pause ? 'stop a schedule from starting runs (until unpause)' : 'let a paused schedule run again')
      .argument('<id>', 'schedule id')
      .option('--note <text>', 'why, shown by describe')
      .action(async (id: string, options: { note?: string }) => {
        await forSchedule(kit, id, async (_temporal, handle) => {
          const note = options.note ?? `${name}d with bridgekeeper`;
          await (pause ? handle.pause(note) : handle.unpause(note));
          kit.print(`schedule ${id} ${name}d: ${note}`);
        });
      });
  }

  schedule
    .command('trigger')
    .description('start a run now (the overlap policy still applies unless --overlap says otherwise)')
    .argument('<id>', 'schedule id')
    .option('--overlap <policy>', `for this run: ${Object.keys(OVERLAP_POLICIES).join(', ')}`)
    .action(async (id: string, options: { overlap?: string }) => {
      const overlap = parseOverlapFlag(options.overlap);
      await forSchedule(kit, id, async (_temporal, handle) => {
        const before = await handle.describe();
        const seen = new Set(before.info.recentActions.map((action) => action.action.workflow.workflowId));
        await handle.trigger(overlap);
        // The schedule starts the run on its own time: wait to name it, or to say it was skipped.
        const deadline = Date.now() + TRIGGER_WAIT_MS;
        while (Date.now() < deadline) {
          const now = await handle.describe();
          const started = now.info.recentActions.find((action) => !seen.has(action.action.workflow.workflowId));
          if (started) {
            kit.print(started.action.workflow.workflowId);
            return;
          }
          if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) {
            const running = now.info.runningActions.map((action) => action.workflow.workflowId).join(', ');
            throw new CliError(
              `schedule ${id}: the run was skipped: ${running || 'the previous run'} still running and the overlap ` +
                `policy is ${(now.policies.overlap ?? 'SKIP').toLowerCase()}; --overlap allow-all starts one anyway`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        kit.print(`schedule ${id} triggered; its run has not started yet (see bridgekeeper schedule describe ${id})`);
      });
    });

  schedule
    .command('backfill')
    .description('take the runs the calendar had between --start and --end, now')
    .argument('<id>', 'schedule id')
    .requiredOption('--start <time>', 'ISO 8601 time, e.g. 2026-11-30T00:00:00Z')
    .requiredOption('--end <time>', 'ISO 8601 time, after --start')
    .option('--overlap <policy>', `for these runs: ${Object.keys(OVERLAP_POLICIES).join(', ')}`)
    .action(async (id: string, options: { start: string; end: string; overlap?: string }) => {
      const problems: string[] = [];
      const start = parseTime('--start', options.start, problems);
      const end = parseTime('--end', options.end, problems);
      if (start && end && end <= start) problems.push(`--end ${showValue(options.end)}: must be after --start`);
      let overlap: ScheduleOverlapPolicy | undefined;
      try {
        overlap = parseOverlapFlag(options.overlap);
      } catch (error) {
        problems.push((error as Error).message.replace(/^invalid /, ''));
      }
      if (problems.length > 0) throw new CliError(`invalid backfill:\n  ${problems.join('\n  ')}`, EXIT_USAGE);
      await forSchedule(kit, id, async (_temporal, handle) => {
        await handle.backfill({ start: start!, end: end!, ...(overlap ? { overlap } : {}) });
        kit.print(`schedule ${id}: backfill from ${start!.toISOString()} to ${end!.toISOString()} requested`);
      });
    });

  schedule
    .command('delete')
    .description('delete a schedule; runs already started go on')
    .argument('<id>', 'schedule id')
    .action(async (id: string) => {
      await forSchedule(kit, id, async (_temporal, handle) => {
        const running = (await handle.describe()).info.runningActions.map((action) => action.workflow.workflowId);
        await handle.delete();
        kit.print(
          running.length > 0
            ? `schedule ${id} deleted; still running: ${running.join(', ')} (end it with bridgekeeper end <id>)`
            : `schedule ${id} deleted`,
        );
      });
    });
}

function parseTime(flag: string, text: string, problems: string[]): Date | undefined {
  const time = /^\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(time.getTime())) {
    problems.push(`${flag} ${showValue(text)}: must be an ISO 8601 time, e.g. 2026-11-30T09:00:00+08:00`);
    return undefined;
  }
  return time;
}

function nextRun(description: ScheduleDescription): Pick<ScheduleListRow, 'nextRun'> {
  const at = description.info.nextActionTimes[0];
  return at ? { nextRun: { at: at.toISOString(), local: formatInZone(at, zoneOf(description.spec)) } } : {};
}

/** A run as `describe` shows it: its status, and from its result the roster, who answered and the cost, or why it failed. */
async function runOf(temporal: CliTemporal, workflowId: string, takenAt: Date): Promise<ScheduleRun> {
  const base = { workflowId, startedAt: takenAt.toISOString() };
  // No run id: the handle follows a run that continued as new to the one that holds the result.
  const handle = temporal.client.workflow.getHandle(workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name.toLowerCase();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { ...base, status: 'gone (past the retention period)' };
    throw error;
  }
  if (status === 'completed') {
    const summary = (await handle.result()) as SessionSummary;
    return {
      ...base,
      status,
      endedBy: summary.endedBy,
      participants: summary.participants.length,
      answered: summary.outcomes.answered ?? 0,
      cost: summary.totals,
    };
  }
  if (status === 'failed') {
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => rootMessage(error),
    );
    return { ...base, status, ...(failure ? { failure } : {}) };
  }
  return { ...base, status };
}
