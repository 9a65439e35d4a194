/**
 * The escalation commands of `bridgekeeper`: `page` starts an incident's escalation (workflow `escalation`, id
 * `escalationWorkflowId(incident)`), `ack`, `resolve` and `escalate` run its updates, `escalation status` shows its
 * timeline, and `policy check` validates policy files without a server. main.ts wires them in with the helpers every
 * command shares (connection, timeouts, the workflow an error line should name).
 */
import type { Command } from 'commander';
import { escalationWorkflowId, INCIDENT_ID_PATTERN, INCIDENT_ID_RULE } from '../domain/escalation-input';
import type { EscalationResult } from '../domain/escalation-types';
import { showValue } from '../domain/input-text';
import { acknowledgeUpdate, escalateUpdate, escalationStatusQuery, resolveUpdate } from '../workflows/messages';
import { CliError, EXIT_USAGE, incidentError } from './cli-errors';
import { buildPageInput, checkPolicyFiles, defaultAcknowledger, type PageOptions } from './escalation-args';
import {
  formatEscalated,
  formatEscalationResult,
  formatEscalationStatus,
  formatPolicyProblems,
  formatPolicySummary,
} from './escalation-report';
import { waitWithTimeline } from './progress';
import type { CliTemporal } from './temporal-client';

/** The workflow type the escalation worker registers (a wire contract, like the input's field names). */
export const ESCALATION_WORKFLOW_TYPE = 'escalation';

/** What main.ts lends the escalation commands. */
export interface CommandKit {
  withTemporal<T>(fn: (temporal: CliTemporal) => Promise<T>): Promise<T>;
  queryTimeoutMs(): number;
  updateTimeoutMs(): number;
  progressIntervalMs: number;
  /** Names the workflow the command is about, for error lines that reach main(). */
  about(workflowId: string): void;
  print(text: string): void;
  printJson(value: unknown): void;
}

/** Runs `fn` for an incident's escalation; "not found", "already started" and "finished" come back naming the incident. */
async function forIncident<T>(kit: CommandKit, incident: string, fn: (workflowId: string) => Promise<T>): Promise<T> {
  // An id no escalation can have is a typo, worth exit 2 and the rule rather than a round trip and "not found".
  if (!INCIDENT_ID_PATTERN.test(incident)) {
    throw new CliError(`invalid incident ${showValue(incident)}: ${INCIDENT_ID_RULE}`, EXIT_USAGE);
  }
  const workflowId = escalationWorkflowId(incident);
  kit.about(workflowId);
  try {
    return await fn(workflowId);
  } catch (error) {
    throw incidentError(error, incident, workflowId);
  }
}

export function registerEscalationCommands(program: Command, kit: CommandKit): void {
  program
    .command('page')
    .description("page an incident's on-call responders by the policy's call tree until one presses the ack key")
    .requiredOption('--policy <file>', 'escalation policy (.json, .yaml or .yml)')
    .requiredOption('--incident <id>', 'incident id (1-64 of A-Z a-z 0-9 . _ : -): one escalation per incident')
    .requiredOption('--title <text>', 'what the call says the incident is (at most 200 characters)')
    .option('--room <room>', "bridge room (overrides the policy's; default from the incident id)")
    .option('--account <name>', "configured Hoiio account (overrides the policy's)")
    .option('--caller-id <e164|private>', "caller id shown to responders (overrides the policy's)")
    .option('--wait', 'show the timeline as it grows, then the outcome, legs and cost')
    .option('--json', 'print JSON for machines')
    .action(async (options: PageOptions & { wait?: boolean; json?: boolean }) => {
      // Validate before connecting: a bad policy or input is refused with no server at all (exit 2, nothing sent).
      const built = buildPageInput(options);
      if (!built.ok) throw new CliError(`invalid escalation:\n  ${built.problems.join('\n  ')}`, EXIT_USAGE);
      const incident = built.input.incident.id;
      await forIncident(kit, incident, (workflowId) =>
        kit.withTemporal(async (temporal) => {
          const handle = await temporal.client.workflow.start(ESCALATION_WORKFLOW_TYPE, {
            taskQueue: temporal.config.taskQueue,
            workflowId,
            args: [built.input],
            // A running escalation for the incident is an error, never a second call tree; a finished one may be paged again.
            workflowIdConflictPolicy: 'FAIL',
          });
          const started = { workflowId, runId: handle.firstExecutionRunId, taskQueue: temporal.config.taskQueue };
          if (!options.wait) {
            if (options.json) kit.printJson(started);
            else kit.print(followHint(workflowId, incident));
            return;
          }
          if (!options.json) kit.print(workflowId);
          const result: EscalationResult = await waitWithTimeline(handle, {
            out: options.json ? process.stderr : process.stdout,
            intervalMs: kit.progressIntervalMs,
            queryWithTimeout: (fn) => temporal.withTimeout(kit.queryTimeoutMs(), fn),
          });
          if (options.json) kit.printJson({ ...started, result });
          else kit.print(formatEscalationResult(result));
        }),
      );
    });

  program
    .command('ack')
    .description("acknowledge an incident's page: paging stops and the bridge opens")
    .argument('<incident>', 'incident id')
    .option('--by <who>', 'who acknowledged, for the timeline (default: your user name, or "cli")')
    .action(async (incident: string, options: { by?: string }) => {
      const by = options.by ?? defaultAcknowledger();
      await forIncident(kit, incident, (workflowId) =>
        kit.withTemporal(async (temporal) => {
          const handle = temporal.client.workflow.getHandle(workflowId);
          const result = await temporal.withTimeout(kit.updateTimeoutMs(), () =>
            handle.executeUpdate(acknowledgeUpdate, { args: [{ by }] }),
          );
          kit.print(
            result.acknowledged
              ? `incident ${incident}: acknowledged by ${by}`
              : `incident ${incident}: already acknowledged; that acknowledgement stands`,
          );
        }),
      );
    });

  program
    .command('resolve')
    .description('resolve an incident: hang up every page and the bridge, and finish the escalation')
    .argument('<incident>', 'incident id')
    .option('--reason <text>', 'why, for the history and the result')
    .action(async (incident: string, options: { reason?: string }) => {
      await forIncident(kit, incident, (workflowId) =>
        kit.withTemporal(async (temporal) => {
          const handle = temporal.client.workflow.getHandle(workflowId);
          const result = await temporal.withTimeout(kit.updateTimeoutMs(), () =>
            handle.executeUpdate(resolveUpdate, { args: [{ reason: options.reason }] }),
          );
          kit.print(`incident ${incident}: resolved, hung up ${result.hungUp} call(s)`);
        }),
      );
    });

  program
    .command('escalate')
    .description("ring the next step of an incident's call tree now")
    .argument('<incident>', 'incident id')
    .action(async (incident: string) => {
      await forIncident(kit, incident, (workflowId) =>
        kit.withTemporal(async (temporal) => {
          const handle = temporal.client.workflow.getHandle(workflowId);
          const result = await temporal.withTimeout(kit.updateTimeoutMs(), () =>
            handle.executeUpdate(escalateUpdate, { args: [] }),
          );
          kit.print(formatEscalated(incident, result));
        }),
      );
    });

  program
    .command('escalation')
    .description("escalation status <incident>: where an incident's escalation stands")
    .command('status')
    .description("where an incident's escalation stands, and its timeline so far")
    .argument('<incident>', 'incident id')
    .option('--json', 'print JSON')
    .action(async (incident: string, options: { json?: boolean }) => {
      await forIncident(kit, incident, (workflowId) =>
        kit.withTemporal(async (temporal) => {
          const handle = temporal.client.workflow.getHandle(workflowId);
          const status = await temporal.withTimeout(kit.queryTimeoutMs(), () => handle.query(escalationStatusQuery));
          if (options.json) kit.printJson(status);
          else kit.print(formatEscalationStatus(status));
        }),
      );
    });

  program
    .command('policy')
    .description('policy check <files...>: validate escalation policy files')
    .command('check')
    .description('validate policy files (JSON or YAML) as page and the receiver read them; no server needed')
    .argument('<files...>', 'policy files')
    .action((files: string[]) => {
      const verdicts = checkPolicyFiles(files);
      for (const verdict of verdicts) {
        kit.print(
          verdict.ok
            ? formatPolicySummary(verdict.path, verdict.file)
            : formatPolicyProblems(verdict.path, verdict.problems),
        );
      }
      const bad = verdicts.filter((verdict) => !verdict.ok).length;
      if (bad > 0) throw new CliError(`${bad} of ${verdicts.length} policy file(s) invalid`, EXIT_USAGE);
    });
}

function followHint(workflowId: string, incident: string): string {
  return [
    workflowId,
    `follow it:   bridgekeeper escalation status ${incident}`,
    `acknowledge: bridgekeeper ack ${incident}`,
    `resolve:     bridgekeeper resolve ${incident}`,
  ].join('\n');
}
