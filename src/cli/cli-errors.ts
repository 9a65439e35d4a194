/**
 * Expected failures of a CLI run, turned into one line for stderr and an exit code. A person at a terminal wants to
 * know what went wrong and what to check, not a stack trace; stack traces stay for bugs (set BRIDGEKEEPER_DEBUG=1).
 */
import {
  type WorkflowHandle,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';

/** 0 done, 1 the operation failed, 2 the command line or the input was wrong (nothing was sent). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure whose message is already fit for the user. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** gRPC status codes the CLI tells apart (from @grpc/grpc-js's `status`, not imported to keep the dependency out). */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** The innermost message of an error chain: failures from workflows wrap the useful text in `cause`. */
export function rootMessage(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth += 1) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message;
}

function grpcCode(error: unknown): number | undefined {
  const cause = error instanceof ServiceError ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The server answers an update to a closed workflow with NOT_FOUND too; "not found" would send people looking. */
function isAlreadyFinished(error: WorkflowNotFoundError): boolean {
  return /already (completed|finished|closed)/i.test(error.message);
}

/** What to print for `error`, and with which exit code. `workflowId` names the workflow the command was about. */
export function describeError(error: unknown, workflowId?: string): { message: string; exitCode: number } {
  const about = workflowId ? ` ${workflowId}` : '';
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof WorkflowNotFoundError) {
    const id = about || ` ${error.workflowId}`;
    if (isAlreadyFinished(error)) {
      return { message: `workflow${id} has already finished`, exitCode: EXIT_FAILURE };
    }
    return { message: `workflow${id} not found`, exitCode: EXIT_FAILURE };
  }
  if (error instanceof WorkflowExecutionAlreadyStartedError) {
    return { message: `workflow ${error.workflowId} already exists: pick another --id`, exitCode: EXIT_FAILURE };
  }
  if (error instanceof WorkflowUpdateFailedError) {
    // The validator's reason travels as the cause (an ApplicationFailure with the thrown message).
    return { message: `rejected by workflow${about}: ${rootMessage(error)}`, exitCode: EXIT_FAILURE };
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return {
      message: `no answer from workflow${about}: is a worker running on its task queue?`,
      exitCode: EXIT_FAILURE,
    };
  }
  if (error instanceof QueryNotRegisteredError) {
    return {
      message: `workflow${about} does not answer that query: is it the right kind of workflow?`,
      exitCode: EXIT_FAILURE,
    };
  }
  if (error instanceof QueryRejectedError) {
    return {
      message: `workflow${about} is closed (${String(error.status)}) and rejected the query`,
      exitCode: EXIT_FAILURE,
    };
  }
  if (error instanceof WorkflowFailedError) {
    return { message: `workflow${about} did not complete: ${rootMessage(error)}`, exitCode: EXIT_FAILURE };
  }
  const code = grpcCode(error);
  if (code === GRPC_DEADLINE_EXCEEDED) {
    return {
      message: `no answer from workflow${about} in time: is a bridgekeeper worker running on its task queue?`,
      exitCode: EXIT_FAILURE,
    };
  }
  if (code === GRPC_UNAVAILABLE) {
    return { message: `Temporal server unavailable: ${rootMessage(error)}`, exitCode: EXIT_FAILURE };
  }
  if (error instanceof ServiceError) return { message: `Temporal: ${rootMessage(error)}`, exitCode: EXIT_FAILURE };
  return {
    message: `unexpected error: ${error instanceof Error ? error.message : String(error)}`,
    exitCode: EXIT_FAILURE,
  };
}

/**
 * A start refused because the id is taken: by a running workflow, as before (describeError says so), or by one that
 * has finished, which the CLI refuses to reuse without `--force` (exit 2: nothing was started). Other errors pass
 * through unchanged.
 */
export async function previousRunError(error: unknown, handle: WorkflowHandle): Promise<unknown> {
  if (!(error instanceof WorkflowExecutionAlreadyStartedError)) return error;
  const previous = await handle.describe().catch(() => undefined);
  if (!previous || previous.status.name === 'RUNNING') return error;
  const when = previous.closeTime ? ` at ${previous.closeTime.toISOString()}` : '';
  return new CliError(
    `workflow ${handle.workflowId} has run already and finished (${previous.status.name.toLowerCase()})${when}: ` +
      'add --force to start a new run with this id, or pick another --id',
    EXIT_USAGE,
  );
}

/**
 * An incident's escalation is found by the incident id, so errors about it name the incident: "no escalation" rather
 * than "workflow escalation:… not found", "already being paged" rather than "pick another --id". Other errors pass
 * through unchanged, for describeError.
 */
export function incidentError(error: unknown, incident: string, workflowId: string): unknown {
  if (error instanceof WorkflowExecutionAlreadyStartedError) {
    return new CliError(
      `incident ${incident} is already being paged (workflow ${workflowId}): ` +
        `follow it with \`bridgekeeper escalation status ${incident}\`, or resolve it first`,
    );
  }
  if (error instanceof WorkflowNotFoundError) {
    return new CliError(
      isAlreadyFinished(error)
        ? `the escalation of incident ${incident} has already finished (workflow ${workflowId})`
        : `no escalation for incident ${incident} (workflow ${workflowId} not found)`,
    );
  }
  return error;
}
