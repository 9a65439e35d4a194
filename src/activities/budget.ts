import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type * as z from 'zod/mini';
import { describePayloadIssues, parsePayload } from '../domain/input-text';
import { holderGone, type HolderStatus } from '../domain/holder-status';
import { callBudget, type CallBudgetInput } from '../workflows/call-budget';
import {
  callBudgetWorkflowId,
  permitHoldingsQuery,
  permitRenewalSchema,
  permitRequestSchema,
  renewPermitsSignal,
  reportPermitsSignal,
  requestPermitsSignal,
  type PermitRenewal,
  type PermitRequest,
} from '../workflows/messages';

/** Which budget a holder talks to, and how to start it if it is not running. */
export interface BudgetAddress {
  /** The Hoiio account name; the budget hangs up gone holders' legs with its credentials. */
  account: string;
  /** The Hoiio application id of the account: names the budget workflow. */
  budgetKey: string;
  /** Pool size, used only if this message starts the budget workflow. */
  capacity?: number;
}

/** What a holder workflow passes to the `requestPermits` activity. */
export type BudgetPermitRequest = PermitRequest & BudgetAddress;

/** What a holder workflow passes to the `announcePermits` activity. */
export type BudgetAnnouncement = BudgetAddress & { report: PermitRenewal };

export type { HolderStatus };

/** What `describeBudgetHolder` finds. */
export interface HolderDescription {
  status: HolderStatus;
  /** A gone holder's permits and the leg each covered when it stopped, when it could say. */
  holdings?: PermitRenewal;
}

/** A gone holder's history is replayed to answer; past this, its budget goes by what it was told. */
const HOLDINGS_QUERY_MS = 20_000;

/** At most this many holders are asked to report after a budget reset (visibility is paged; this bounds one run). */
const MAX_PROMPTED_HOLDERS = 5_000;
/** Signals sent at once while prompting holders. */
const PROMPT_CONCURRENCY = 20;

/**
 * Activities around the `callBudget` workflows. Workflows cannot signal-with-start, so a holder's first request, and
 * its report to a budget that is not running, go through activities; a budget uses the others to find out whether a
 * holder is still running and to ask every holder to report after a reset. Releases, renewals and cancellations are
 * plain external signals from the holder workflow.
 */
export function createBudgetActivities(client: Client) {
  /** Where and how the budget is started if a signal-with-start finds it not running: on this activity's queue. */
  const startOptions = (address: BudgetAddress) => {
    const info = Context.current().info;
    const input: CallBudgetInput = {
      account: address.account,
      budgetKey: address.budgetKey,
      capacity: address.capacity,
      holderWorkflowTypes: info.workflowType ? [info.workflowType] : [],
    };
    return {
      workflowId: callBudgetWorkflowId(address.budgetKey),
      taskQueue: info.taskQueue,
      args: [input] as [CallBudgetInput],
    };
  };

  return {
    /**
     * Delivers a permit request to the account's budget, starting the budget if it is not running. Safe to retry:
     * the budget ignores a request id it has seen before. The request's `priority` (1 to 5), if it names one, goes
     * with it; a priority out of range fails here, for good, as `InvalidBudgetMessage`.
     */
    async requestPermits(req: BudgetPermitRequest): Promise<void> {
      const { account, budgetKey, capacity, ...request } = req;
      const checked = checkPayload(permitRequestSchema, {
        ...request,
        holderType: Context.current().info.workflowType,
      });
      await client.workflow.signalWithStart(callBudget, {
        ...startOptions({ account, budgetKey, capacity }),
        signal: requestPermitsSignal,
        signalArgs: [checked],
      });
    },

    /**
     * Delivers a holder's report (what it holds and waits for) to the budget, starting the budget if it is not
     * running: how a holder re-announces itself to a budget that was terminated or reset.
     */
    async announcePermits(announcement: BudgetAnnouncement): Promise<void> {
      const { report, ...address } = announcement;
      const checked = checkPayload(permitRenewalSchema, {
        ...report,
        holderType: report.holderType ?? Context.current().info.workflowType,
      });
      await client.workflow.signalWithStart(callBudget, {
        ...startOptions(address),
        signal: renewPermitsSignal,
        signalArgs: [checked],
      });
    },

    /**
     * Whether a holder still runs; with `holdings`, for one that is gone, also what it held when it stopped
     * (`permitHoldings`, answered by replaying its history, so asked only when its permits are to be taken back), since
     * it need not have told its budget of its last binds. A holder that cannot answer (no such query in its code, no
     * worker) is described without them, and the budget goes by what it was told.
     */
    async describeBudgetHolder(request: { workflowId: string; holdings?: boolean }): Promise<HolderDescription> {
      let status: HolderStatus;
      try {
        const description = await client.workflow.getHandle(request.workflowId).describe();
        status = (description.status.name as HolderStatus | undefined) ?? 'UNKNOWN';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
        throw error;
      }
      if (!request.holdings || !holderGone(status)) return { status };
      try {
        const holdings = await client.withDeadline(Date.now() + HOLDINGS_QUERY_MS, () =>
          client.workflow.getHandle(request.workflowId).query(permitHoldingsQuery),
        );
        const parsed = parsePayload(permitRenewalSchema, holdings);
        if (parsed.success) return { status, holdings: parsed.data };
        log.warn('A gone holder answered permitHoldings with something unreadable', {
          workflowId: request.workflowId,
          issues: describePayloadIssues(parsed.error),
        });
      } catch (error) {
        log.warn('Could not ask a gone holder what it held', {
          workflowId: request.workflowId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      return { status };
    },

    /**
     * Asks every running workflow of the given types to report its permits to the budget `budgetKey` (a holder of
     * another budget answers with an empty report, so the budget knows it has heard from everyone it asked). Returns
     * the workflow ids that took the signal; a workflow that closed meanwhile is left out.
     *
     * A budget whose workflow id has never run before is starting for the first time: nobody can hold its permits, so
     * nobody is asked. Asking would signal every running session of every account, twice over with the answers, for
     * each account's first session (50 accounts with 10 sessions each: 25,000 prompts that held up every session).
     */
    async promptBudgetHolders(request: { budgetKey: string; workflowTypes: string[] }): Promise<string[]> {
      const types = request.workflowTypes.filter(isPlainName);
      if (types.length === 0) return [];
      if (!(await ranBefore(Context.current().info.workflowExecution))) return [];
      const query = `ExecutionStatus = 'Running' AND WorkflowType IN (${types.map((t) => `'${t}'`).join(', ')})`;
      const ids: string[] = [];
      for await (const execution of client.workflow.list({ query })) {
        if (ids.length >= MAX_PROMPTED_HOLDERS) break;
        ids.push(execution.workflowId);
      }
      const prompted: string[] = [];
      for (let i = 0; i < ids.length; i += PROMPT_CONCURRENCY) {
        Context.current().heartbeat(i);
        await Promise.all(
          ids.slice(i, i + PROMPT_CONCURRENCY).map(async (workflowId) => {
            try {
              await client.workflow.getHandle(workflowId).signal(reportPermitsSignal, { budgetKey: request.budgetKey });
              prompted.push(workflowId);
            } catch (error) {
              if (!(error instanceof WorkflowNotFoundError)) throw error;
            }
          }),
        );
      }
      return prompted;
    },
  };

  /**
   * Whether any other run of this workflow id is known to visibility: a run before a terminate, a reset or a failure
   * (a run that continued-as-new carries its state, and its successor does not ask). Every run is listed from its
   * start, so a run closed a moment ago is found; one past the namespace's retention is not, and its holders, whose
   * signals to it fail, announce themselves to the new run anyway. An id that cannot be quoted safely, or no workflow
   * at all, counts as seen.
   */
  async function ranBefore(execution: { workflowId: string; runId: string } | undefined): Promise<boolean> {
    if (!execution || !isPlainName(execution.workflowId) || !isPlainName(execution.runId)) return true;
    const query = `WorkflowId = '${execution.workflowId}' AND RunId != '${execution.runId}'`;
    const first = await client.workflow.list({ query, pageSize: 1 })[Symbol.asyncIterator]().next();
    return first.done !== true;
  }
}

/** A name that goes into a visibility query between quotes as it is. */
function isPlainName(name: string): boolean {
  return /^[A-Za-z0-9_.:-]+$/.test(name);
}

/** The payload as the schema reads it, or a non-retryable failure naming what is wrong (a retry cannot fix it). */
function checkPayload<S extends z.ZodMiniType>(schema: S, payload: unknown): z.infer<S> {
  const parsed = parsePayload(schema, payload);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `Invalid call budget message: ${describePayloadIssues(parsed.error)}`,
      'InvalidBudgetMessage',
    );
  }
  return parsed.data;
}

export type BudgetActivities = ReturnType<typeof createBudgetActivities>;
