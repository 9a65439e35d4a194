import { type Client, isGrpcServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { encodeWorkflowIdConflictPolicy, encodeWorkflowIdReusePolicy } from '@temporalio/common';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { statSync } from 'node:fs';
import {
  DEFAULT_ACCOUNT,
  escalationFromPolicy,
  escalationWorkflowId,
  formatProblems,
  MAX_TITLE_LENGTH,
  type PolicyFile,
  validateEscalationInput,
} from '../domain/escalation-input';
import { resolveUpdate } from '../workflows/messages';
import { showValue } from '../domain/input-text';
import { readPolicyDirectory } from '../policies/policy-files';
import { type AlertmanagerPayload, parseAlertmanagerPayload } from './alertmanager-schema';
import { type AlertmanagerConfig, DEFAULT_POLICY_LABEL } from './config';
import { loggable, type ReceiverLog, type ReceiverLogEvent } from './notification-log';
import { describeError } from './signal-delivery';

/**
 * `POST /alertmanager`: Prometheus Alertmanager's webhook (payload version 4) pages people through an `escalation`
 * workflow, and calls it off when the alerts resolve.
 *
 * - Authentication: `Authorization: Bearer <BRIDGEKEEPER_ALERTMANAGER_TOKEN>`, compared in constant time before the
 *   body is read; otherwise 401 with `WWW-Authenticate: Bearer`.
 * - The incident: `am-` + 16 hex of sha256(groupKey + "\n" + the earliest startsAt among the alerts). Alertmanager
 *   keeps an alert's startsAt across the repeated notifications of one firing, and a new firing after a resolve has
 *   a new one, so every notification of one firing names one incident, and so one workflow id.
 * - Firing: the policy named by the group's policy label (commonLabels, then groupLabels; else the policy `default`)
 *   is started as `escalation` with `USE_EXISTING` / `REJECT_DUPLICATE`: a repeat while it runs, or after it
 *   finished, pages nobody. 200 `{ workflowId, incident, started }`.
 * - Resolved: the `resolve` update on that incident's escalation. 200 `{ workflowId, incident, resolved }`, where
 *   `resolved: false` means there was nothing running to resolve.
 * - Temporal unreachable (or slower than the deadline): 503, so Alertmanager sends it again.
 */
export const ALERTMANAGER_PATH = '/alertmanager';
/** The policy used for a group that carries no policy label, when there is one of that name. */
export const DEFAULT_POLICY_NAME = 'default';
export const ESCALATION_WORKFLOW_TYPE = 'escalation';
/** Alertmanager sends every alert of the group (up to `max_alerts`), each with its labels and annotations. */
export const DEFAULT_ALERTMANAGER_BODY_LIMIT = 1024 * 1024;
export const RESOLVE_REASON = 'resolved in Alertmanager';

export interface AlertmanagerOptions {
  /** The bearer token Alertmanager sends (`http_config.authorization.credentials`). */
  token: string;
  /** Policies by name, as `readPolicyDirectory` reads them. */
  policies: ReadonlyMap<string, PolicyFile>;
  /** The label that names a group's policy. Default `escalation_policy`. */
  policyLabel?: string;
  /** Where escalations run (TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  /** Largest accepted body in bytes. Default 1 MiB. */
  bodyLimit?: number;
}

interface Deps {
  client: Client;
  log: ReceiverLog;
  /** How long to wait for Temporal before answering 503. */
  timeoutMs: number;
}

type Answer = { status: number; body: Record<string, unknown>; event: Omit<ReceiverLogEvent, 'source' | 'status'> };

export function registerAlertmanager(app: FastifyInstance, options: AlertmanagerOptions, deps: Deps): void {
  const expected = digest(options.token);
  const policyLabel = options.policyLabel ?? DEFAULT_POLICY_LABEL;

  const reply = (response: FastifyReply, answer: Answer) => {
    deps.log({ source: 'alertmanager', status: answer.status, ...answer.event });
    return response.code(answer.status).send(answer.body);
  };

  app.post(
    ALERTMANAGER_PATH,
    {
      bodyLimit: options.bodyLimit ?? DEFAULT_ALERTMANAGER_BODY_LIMIT,
      // Before the body is read: an unauthenticated caller gets nothing parsed, and cannot make us read a megabyte.
      onRequest: async (request: FastifyRequest, response: FastifyReply) => {
        const problem = checkBearer(request.headers.authorization, expected);
        if (problem === undefined) return;
        response.header('www-authenticate', 'Bearer');
        return reply(response, {
          status: 401,
          body: { error: problem },
          event: { outcome: 'rejected', reason: problem },
        });
      },
    },
    async (request, response) => reply(response, await handle(request.body, options, policyLabel, deps)),
  );
}

/**
 * The policies of BRIDGEKEEPER_POLICIES_DIR, read once at startup. A bad file, a missing directory or one with no
 * policy file throws, naming the path and every problem: the receiver must not start and page nobody at 3 a.m.
 */
export function loadPolicies(dir: string): Map<string, PolicyFile> {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    throw new Error(`BRIDGEKEEPER_POLICIES_DIR ${dir}: cannot be read: ${describeError(error)}`);
  }
  if (!isDirectory) throw new Error(`BRIDGEKEEPER_POLICIES_DIR ${dir}: is not a directory`);
  const policies = readPolicyDirectory(dir);
  if (policies.size === 0) {
    throw new Error(`BRIDGEKEEPER_POLICIES_DIR ${dir}: holds no policy file (*.json, *.yaml, *.yml)`);
  }
  return policies;
}

/**
 * The webhook's options from the receiver's configuration: reads and checks the policies directory (see
 * loadPolicies). With `accounts` (the receiver's Hoiio accounts), a policy naming another account fails too: its
 * escalation could not dial, and the receiver could not verify its IVR notifications.
 */
export function alertmanagerOptions(
  config: AlertmanagerConfig,
  taskQueue: string,
  accounts?: readonly string[],
): AlertmanagerOptions {
  const policies = loadPolicies(config.policiesDir);
  if (accounts !== undefined) {
    const unknown = [...policies]
      .filter(([, policy]) => !accounts.includes(policy.account ?? DEFAULT_ACCOUNT))
      .map(([name, policy]) => `policy "${name}" names account "${policy.account ?? DEFAULT_ACCOUNT}"`);
    if (unknown.length > 0) {
      throw new Error(
        `BRIDGEKEEPER_POLICIES_DIR ${config.policiesDir}: ${unknown.join('; ')}, which is not configured ` +
          `(configured: ${[...accounts].sort().join(', ')})`,
      );
    }
  }
  return { token: config.token, policies, policyLabel: config.policyLabel, taskQueue };
}

/** Undefined when the header carries the token; otherwise why not (never the token itself). */
function checkBearer(header: string | undefined, expected: Buffer): string | undefined {
  if (header === undefined) return 'bearer token missing';
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (match === null) return 'bearer token missing';
  // Hashing first gives equal lengths, so the comparison is constant-time whatever the caller sent.
  return timingSafeEqual(digest(match[1]!), expected) ? undefined : 'bearer token does not match';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

async function handle(body: unknown, options: AlertmanagerOptions, policyLabel: string, deps: Deps): Promise<Answer> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : '');
  } catch {
    return badRequest('body: must be JSON');
  }
  const parsed = parseAlertmanagerPayload(json);
  if (!parsed.ok) {
    return badRequest(parsed.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '));
  }
  const alert = parsed.payload;
  const incident = incidentIdFor(alert);
  const workflowId = escalationWorkflowId(incident);
  const about = { workflowId };

  if (alert.status === 'resolved') {
    const resolved = await resolve(deps, workflowId);
    if (resolved.status !== 200) {
      return {
        status: 503,
        body: { error: resolved.reason },
        event: { outcome: 'failed', reason: resolved.reason, ...about },
      };
    }
    return {
      status: 200,
      body: { workflowId, incident, resolved: resolved.resolved },
      event: { outcome: resolved.resolved ? 'accepted' : 'duplicate', reason: resolved.reason, ...about },
    };
  }

  const chosen = choosePolicy(alert, options.policies, policyLabel);
  if (!chosen.ok) {
    return {
      status: 422,
      body: { error: chosen.reason },
      event: { outcome: 'rejected', reason: chosen.reason, ...about },
    };
  }
  const input = escalationFromPolicy(chosen.policy, { id: incident, title: titleFor(alert) });
  const checked = validateEscalationInput(input);
  if (!checked.ok) {
    // Cannot happen with a policy that passed readPolicyDirectory and an id and title built here; never page on it.
    const reason = `policy "${chosen.name}" makes an invalid escalation: ${formatProblems(checked.problems)}`;
    return { status: 422, body: { error: reason }, event: { outcome: 'rejected', reason, ...about } };
  }
  const started = await startEscalation(deps, options.taskQueue, workflowId, input);
  if (started.status !== 200) {
    return {
      status: 503,
      body: { error: started.reason },
      event: { outcome: 'failed', reason: started.reason, ...about },
    };
  }
  return {
    status: 200,
    body: { workflowId, incident, started: started.started },
    event: {
      outcome: started.started ? 'accepted' : 'duplicate',
      reason: started.started
        ? `started escalation with policy "${chosen.name}"`
        : 'escalation already started for this firing: not started again',
      ...about,
    },
  };
}

function badRequest(problems: string): Answer {
  const reason = `invalid Alertmanager payload: ${problems}`;
  return { status: 400, body: { error: reason }, event: { outcome: 'rejected', reason: loggable(reason)! } };
}

/** `am-` and 16 hex of sha256(groupKey + "\n" + the earliest startsAt): one incident per firing of a group. */
export function incidentIdFor(alert: Pick<AlertmanagerPayload, 'groupKey' | 'alerts'>): string {
  const earliest = alert.alerts
    .map((entry) => entry.startsAt)
    .reduce((first, next) => {
      const [a, b] = [Date.parse(first), Date.parse(next)];
      return b < a || (b === a && next < first) ? next : first;
    });
  return `am-${createHash('sha256').update(`${alert.groupKey}\n${earliest}`).digest('hex').slice(0, 16)}`;
}

/** commonAnnotations.summary, else commonLabels.alertname, else the group labels; at most 200 characters. */
export function titleFor(
  alert: Pick<AlertmanagerPayload, 'commonAnnotations' | 'commonLabels' | 'groupLabels'>,
): string {
  const clean = (text: string | undefined) => (text ?? '').replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  const groupLabels = Object.entries(alert.groupLabels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const title =
    [alert.commonAnnotations.summary, alert.commonLabels.alertname, groupLabels].map(clean).find((t) => t !== '') ??
    'Alertmanager alert';
  return title.slice(0, MAX_TITLE_LENGTH).trim();
}

type Chosen = { ok: true; name: string; policy: PolicyFile } | { ok: false; reason: string };

export function choosePolicy(
  alert: Pick<AlertmanagerPayload, 'commonLabels' | 'groupLabels'>,
  policies: ReadonlyMap<string, PolicyFile>,
  label: string,
): Chosen {
  const named = alert.commonLabels[label] ?? alert.groupLabels[label];
  const known = [...policies.keys()].sort();
  if (named === undefined || named === '') {
    const fallback = policies.get(DEFAULT_POLICY_NAME);
    if (fallback !== undefined) return { ok: true, name: DEFAULT_POLICY_NAME, policy: fallback };
    return {
      ok: false,
      reason:
        `the alerts carry no "${label}" label (in commonLabels or groupLabels) and there is no "${DEFAULT_POLICY_NAME}" ` +
        `policy; known policies: ${known.join(', ')}`,
    };
  }
  const policy = policies.get(named);
  if (policy === undefined) {
    return {
      ok: false,
      reason: `unknown policy ${showValue(named)} (label "${label}"); known policies: ${known.join(', ')}`,
    };
  }
  return { ok: true, name: named, policy };
}

type Started = { status: 200; started: boolean } | { status: 503; reason: string };

/**
 * Starts the escalation unless this workflow id already ran or runs: `USE_EXISTING` (a run in progress is kept, and
 * nobody is paged again) and `REJECT_DUPLICATE` (a closed run is never followed by another under its id). The SDK's
 * `workflow.start` does not say whether it started a run or found one (the server's `started` flag), so this makes
 * the same StartWorkflowExecution request itself.
 */
async function startEscalation(deps: Deps, taskQueue: string, workflowId: string, input: unknown): Promise<Started> {
  const { client } = deps;
  try {
    const response = await client.withDeadline(Date.now() + deps.timeoutMs, async () =>
      client.workflowService.startWorkflowExecution({
        namespace: client.options.namespace,
        identity: client.options.identity,
        requestId: randomUUID(),
        workflowId,
        workflowType: { name: ESCALATION_WORKFLOW_TYPE },
        taskQueue: { name: taskQueue },
        input: { payloads: await encodeToPayloads(client.options.loadedDataConverter, input) },
        workflowIdConflictPolicy: encodeWorkflowIdConflictPolicy('USE_EXISTING'),
        workflowIdReusePolicy: encodeWorkflowIdReusePolicy('REJECT_DUPLICATE'),
      }),
    );
    return { status: 200, started: response.started === true };
  } catch (error) {
    // REJECT_DUPLICATE: a run of this id has closed; this firing has been handled.
    if (isGrpcServiceError(error) && (error.code as number) === GRPC_ALREADY_EXISTS)
      return { status: 200, started: false };
    return { status: 503, reason: `start failed: ${describeError(error)}` };
  }
}

/** gRPC status ALREADY_EXISTS (@grpc/grpc-js is not a dependency of ours). */
const GRPC_ALREADY_EXISTS = 6;

type Resolved = { status: 200; resolved: boolean; reason: string } | { status: 503; reason: string };

async function resolve(deps: Deps, workflowId: string): Promise<Resolved> {
  const { client } = deps;
  try {
    const result = await client.withDeadline(Date.now() + deps.timeoutMs, () =>
      client.workflow.getHandle(workflowId).executeUpdate(resolveUpdate, { args: [{ reason: RESOLVE_REASON }] }),
    );
    return { status: 200, resolved: true, reason: `resolved: ${result.hungUp} call(s) hung up` };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      return { status: 200, resolved: false, reason: 'no running escalation for this incident' };
    }
    if (error instanceof WorkflowUpdateFailedError) {
      return { status: 200, resolved: false, reason: `resolve refused: ${describeError(error.cause ?? error)}` };
    }
    return { status: 503, reason: `resolve failed: ${describeError(error)}` };
  }
}
