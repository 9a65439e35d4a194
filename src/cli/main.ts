/**
 * `bridgekeeper`: start conference sessions and talk to running ones from a terminal or a script.
 *
 * Exit codes: 0 done, 1 the operation failed (server unreachable, workflow not found, update rejected, session
 * failed), 2 bad command line or invalid input (nothing was sent). Expected failures print one line on stderr.
 * Every command reads the Temporal connection from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TASK_QUEUE, ...), like the worker does. The escalation commands (`page`, `ack`, `resolve`, `escalate`,
 * `escalation status`, `policy check`) are in escalation-commands.ts, the `schedule` commands in schedule-commands.ts;
 * this file wires them in.
 */
import { randomBytes } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { showValue } from '../domain/input-text';
import {
  ACCOUNT_NAME_PATTERN,
  ACCOUNT_NAME_RULE,
  DEFAULT_ACCOUNT,
  formatProblems,
  validateParticipants,
} from '../domain/session-input';
import { checkAccountConfigured, hoiioConfigFromEnv, selectHoiioAccount } from '../hoiio/config';
import { HoiioConfigError } from '../hoiio/errors';
import type { SessionSummary } from '../domain/session-types';
import type { conferenceSession } from '../workflows/conference-session';
import {
  addParticipantsUpdate,
  budgetStateQuery,
  callBudgetWorkflowId,
  endUpdate,
  kickUpdate,
  muteUpdate,
  redialUpdate,
  statusQuery,
  unmuteUpdate,
} from '../workflows/messages';
import { CliError, describeError, EXIT_OK, EXIT_USAGE, previousRunError } from './cli-errors';
import { registerConfigCommands } from './config-check';
import { registerEscalationCommands } from './escalation-commands';
import { registerScheduleCommands } from './schedule-commands';
import { lineWaitOf } from './line-wait';
import { registerReportCommand } from './report-command';
import { waitWithProgress } from './progress';
import {
  addSessionOptions,
  buildParticipants,
  buildSessionInput,
  checkNumber,
  collect,
  defaultWorkflowId,
  type CallOptions,
} from './session-args';
import { formatBudget, formatStatus, formatSummary } from './summary-table';
import { connectTemporal, type CliTemporal } from './temporal-client';

const DEFAULT_QUERY_TIMEOUT_S = 10;
/** Updates such as `end` hang up legs before answering, which takes Hoiio round trips. */
const DEFAULT_UPDATE_TIMEOUT_S = 60;
const PROGRESS_INTERVAL_MS = 1_000;

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** Connects, runs `fn`, and always closes the connection so the process can exit on its own. */
async function withTemporal<T>(fn: (temporal: CliTemporal) => Promise<T>): Promise<T> {
  const temporal = await connectTemporal();
  try {
    return await fn(temporal);
  } finally {
    await temporal.close();
  }
}

/** Tracks which workflow a command is about, so error lines can name it. */
let currentWorkflowId: string | undefined;

interface CallCommandOptions {
  id?: string;
  force?: boolean;
  wait?: boolean;
  json?: boolean;
}

interface GlobalOptions {
  timeout?: string;
}

function timeoutMs(program: Command, fallbackSeconds: number): number {
  const { timeout } = program.opts<GlobalOptions>();
  if (timeout === undefined) return fallbackSeconds * 1000;
  if (!/^\d+$/.test(timeout) || Number(timeout) < 1) {
    throw new CliError(`--timeout ${showValue(timeout)}: must be a whole number of seconds >= 1`, EXIT_USAGE);
  }
  return Number(timeout) * 1000;
}

function usageProblems(what: string, problems: string[]): CliError {
  return new CliError(`invalid ${what}:\n  ${problems.join('\n  ')}`, EXIT_USAGE);
}

export function buildProgram(): Command {
  const program = new Command('bridgekeeper')
    .description('Durable phone conference sessions over the Hoiio Conference API, on Temporal')
    .option(
      '--timeout <seconds>',
      `how long queries (${DEFAULT_QUERY_TIMEOUT_S}s) and updates (${DEFAULT_UPDATE_TIMEOUT_S}s) may wait for a worker`,
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  addSessionOptions(
    program
      .command('call')
      .description('start a conference session dialing <numbers> (E.164, e.g. +6591234567)')
      .argument('<numbers...>', 'participants, in the order they are dialed'),
    { room: true },
  )
    .option('--id <workflowId>', 'workflow id (default: session-<timestamp>-<random>)')
    .option('--force', 'start a new run even if a session with this --id has run and finished')
    .option('--wait', 'show live progress, then the cost summary')
    .option('--json', 'print JSON for machines')
    .action(async (numbers: string[], options: CallOptions & CallCommandOptions) => {
      // Validate before connecting: a bad input is refused with no server at all (exit 2, nothing sent).
      const built = buildSessionInput(numbers, options);
      if (!built.ok) throw usageProblems('session input', built.problems);
      checkAccount(built.input.account ?? DEFAULT_ACCOUNT);
      const workflowId = options.id ?? defaultWorkflowId(new Date(), randomBytes(3).toString('hex'));
      currentWorkflowId = workflowId;
      await withTemporal(async (temporal) => {
        const handle = await temporal.client.workflow
          .start<typeof conferenceSession>('conferenceSession', {
            taskQueue: temporal.config.taskQueue,
            workflowId,
            args: [built.input],
            // A finished session's id is not silently reused: its summary is someone's record of that call.
            workflowIdReusePolicy: options.force ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
          })
          .catch(async (error: unknown) => {
            throw await previousRunError(error, temporal.client.workflow.getHandle(workflowId));
          });
        const started = { workflowId, runId: handle.firstExecutionRunId, taskQueue: temporal.config.taskQueue };
        if (!options.wait) {
          if (options.json) printJson(started);
          else print(workflowId);
          return;
        }
        if (!options.json) print(workflowId);
        const queryWithTimeout = <T>(fn: () => Promise<T>) =>
          temporal.withTimeout(timeoutMs(program, DEFAULT_QUERY_TIMEOUT_S), fn);
        const summary = await waitWithProgress(handle, {
          // With --json, stdout carries exactly one JSON document; progress goes to stderr.
          out: options.json ? process.stderr : process.stdout,
          intervalMs: PROGRESS_INTERVAL_MS,
          queryWithTimeout,
          lineWait: (status) => lineWaitOf(temporal.client, workflowId, status, queryWithTimeout),
        });
        if (options.json) printJson({ ...started, summary });
        else print(formatSummary(summary));
      });
    });

  program
    .command('status')
    .description("show a session's participants, counts and cost so far")
    .argument('<id>', 'workflow id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      currentWorkflowId = id;
      await withTemporal(async (temporal) => {
        const handle = temporal.client.workflow.getHandle(id);
        const withTimeout = <T>(fn: () => Promise<T>) =>
          temporal.withTimeout(timeoutMs(program, DEFAULT_QUERY_TIMEOUT_S), fn);
        const status = await withTimeout(() => handle.query(statusQuery));
        if (options.json) printJson(status);
        else print(formatStatus(status, await lineWaitOf(temporal.client, id, status, withTimeout)));
      });
    });

  program
    .command('add')
    .description('add participants to a running session')
    .argument('<id>', 'workflow id')
    .argument('<numbers...>', 'E.164 numbers to add')
    .option('--name <number=name>', 'display name of a participant (repeatable)', collect, [])
    .action(async (id: string, numbers: string[], options: { name: string[] }) => {
      const problems: string[] = [];
      const participants = buildParticipants(numbers, options.name, problems);
      const checked = validateParticipants(participants);
      if (!checked.ok) problems.push(...checked.problems.map((problem) => formatProblems([problem])));
      if (problems.length > 0) throw usageProblems('participants', problems);
      currentWorkflowId = id;
      await withTemporal(async (temporal) => {
        const handle = temporal.client.workflow.getHandle(id);
        const result = await temporal.withTimeout(timeoutMs(program, DEFAULT_UPDATE_TIMEOUT_S), () =>
          handle.executeUpdate(addParticipantsUpdate, { args: [{ participants }] }),
        );
        // A number whose call has ended is not dialed again by `add`: say which command does.
        const hints = (result.redialable ?? []).map(
          (number) =>
            `${number} is already in the session and its call has ended: \`bridgekeeper redial ${id} ${number}\` dials it again`,
        );
        if (result.added.length > 0) print([`added ${result.added.join(' ')}`, ...hints].join('\n'));
        else print(`added nothing: ${hints.length > 0 ? hints.join('\n') : 'every number is already in the session'}`);
      });
    });

  /** A command on one participant of a session: checks the number, runs an update, prints what it answers. */
  const participantCommand = (
    name: string,
    description: string,
    run: (handle: WorkflowHandle, number: string) => Promise<string>,
  ): void => {
    program
      .command(name)
      .description(description)
      .argument('<id>', 'workflow id')
      .argument('<number>', "the participant's E.164 number")
      .action(async (id: string, number: string) => {
        const problem = checkNumber(number);
        if (problem) throw new CliError(`invalid number ${problem}`, EXIT_USAGE);
        currentWorkflowId = id;
        await withTemporal(async (temporal) => {
          const handle = temporal.client.workflow.getHandle(id);
          print(await temporal.withTimeout(timeoutMs(program, DEFAULT_UPDATE_TIMEOUT_S), () => run(handle, number)));
        });
      });
  };

  participantCommand(
    'redial',
    'dial a participant whose call has ended (hung up, kicked, unanswered, busy, failed) once more',
    async (handle, number) => {
      const result = await handle.executeUpdate(redialUpdate, { args: [{ number }] });
      return `queued ${result.queued} to be dialed again`;
    },
  );
  const moderation = [
    ['kick', kickUpdate, 'hang up a participant'],
    ['mute', muteUpdate, 'mute a participant'],
    ['unmute', unmuteUpdate, 'unmute a participant'],
  ] as const;
  for (const [name, update, description] of moderation) {
    participantCommand(name, description, async (handle, number) => {
      await handle.executeUpdate(update, { args: [{ number }] });
      return `ok: ${name} ${number}`;
    });
  }

  program
    .command('end')
    .description('hang up every active leg, dial no more, and let the session finish')
    .argument('<id>', 'workflow id')
    .option('--reason <text>', 'why, for the history')
    .action(async (id: string, options: { reason?: string }) => {
      currentWorkflowId = id;
      await withTemporal(async (temporal) => {
        const handle = temporal.client.workflow.getHandle(id);
        const result = await temporal.withTimeout(timeoutMs(program, DEFAULT_UPDATE_TIMEOUT_S), () =>
          handle.executeUpdate(endUpdate, { args: [{ reason: options.reason }] }),
        );
        print(`ending: hung up ${result.hungUp} active leg(s), cancelled ${result.cancelled} waiting participant(s)`);
      });
    });

  program
    .command('summary')
    .description('wait for a session to finish and print its cost summary')
    .argument('<id>', 'workflow id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      currentWorkflowId = id;
      await withTemporal(async (temporal) => {
        // No deadline: waiting for the end is the point; the result follows continue-as-new runs.
        const summary: SessionSummary = await temporal.client.workflow.getHandle<typeof conferenceSession>(id).result();
        if (options.json) printJson(summary);
        else print(formatSummary(summary));
      });
    });

  program
    .command('budget')
    .description("show the account's call budget: permits held, by whom, and who waits")
    .addOption(new Option('--account <name>', 'configured Hoiio account').default(DEFAULT_ACCOUNT))
    .option('--json', 'print JSON')
    .action(async (options: { account: string; json?: boolean }) => {
      // The budget is named by the account's Hoiio application id: every account name on one application shares it.
      const workflowId = callBudgetWorkflowId(budgetKeyOf(options.account));
      currentWorkflowId = workflowId;
      await withTemporal(async (temporal) => {
        const handle = temporal.client.workflow.getHandle(workflowId);
        try {
          const state = await temporal.withTimeout(timeoutMs(program, DEFAULT_QUERY_TIMEOUT_S), () =>
            handle.query(budgetStateQuery),
          );
          if (options.json) printJson(state);
          else print(formatBudget(state));
        } catch (error) {
          // The budget workflow is started by the first permit request, so its absence is a normal state.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          if (options.json) printJson({ account: options.account, exists: false });
          else print(`no calls placed yet for account ${options.account}`);
        }
      });
    });

  const kit = {
    withTemporal,
    queryTimeoutMs: () => timeoutMs(program, DEFAULT_QUERY_TIMEOUT_S),
    updateTimeoutMs: () => timeoutMs(program, DEFAULT_UPDATE_TIMEOUT_S),
    progressIntervalMs: PROGRESS_INTERVAL_MS,
    about: (workflowId: string) => {
      currentWorkflowId = workflowId;
    },
    print,
    printJson,
  };
  registerEscalationCommands(program, kit);
  registerScheduleCommands(program, { ...kit, checkAccount });
  registerReportCommand(program, { withTemporal });
  registerConfigCommands(program, print);

  return program;
}

/**
 * A session naming an account the worker does not know fails at once; refuse it before anything starts. The names
 * come from the same HOIIO_ACCOUNTS the worker reads (none of its tokens are needed here).
 */
function checkAccount(account: string): void {
  try {
    checkAccountConfigured(account);
  } catch (error) {
    if (!(error instanceof HoiioConfigError)) throw error;
    throw usageProblems(
      'session input',
      error.issues.map((issue) => `${issue.path}: ${issue.message}`),
    );
  }
}

/** The account's Hoiio application id, from the same environment the worker reads (HOIIO_APP_ID, HOIIO_ACCOUNTS). */
function budgetKeyOf(account: string): string {
  if (!ACCOUNT_NAME_PATTERN.test(account)) {
    throw new CliError(`invalid --account ${JSON.stringify(account)}: ${ACCOUNT_NAME_RULE}`, EXIT_USAGE);
  }
  try {
    return selectHoiioAccount(hoiioConfigFromEnv(), account).appId;
  } catch (error) {
    if (error instanceof HoiioConfigError) throw new CliError(error.message, EXIT_USAGE);
    throw error;
  }
}

/** Runs the CLI on `argv` (as in process.argv) and resolves to the exit code; never throws for expected failures. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  currentWorkflowId = undefined;
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message already; help and version exit 0, usage errors get the usage code.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const { message, exitCode } = describeError(error, currentWorkflowId);
    process.stderr.write(`bridgekeeper: ${message}\n`);
    if (process.env.BRIDGEKEEPER_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    return exitCode;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
