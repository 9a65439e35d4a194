/**
 * What one more cached session costs a worker's workflow thread: the heap it keeps and the CPU to create and start it,
 * paid at every start and at every replay after an eviction. Measured as the worker does it: workflows created from
 * the built bundle (`dist/workflow-bundle.js`) in one reusable V8 context, each evaluating the modules it does not
 * share, then activated with a 5-participant session's start, which runs it to its first commands (the pre-flight).
 * ReusableVMWorkflowCreator is the SDK's internal class: a benchmark may reach for it, the product does not.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { msToTs } from '@temporalio/common/lib/time';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import Long from 'long';
import type { WorkflowInfo } from '@temporalio/workflow';
import { withoutTracingPatch } from '../../src/observability/workflow/tracing-patch';
import type { Workflow } from '@temporalio/worker/lib/workflow/interface';

export interface WorkflowCost {
  workflows: number;
  heapKiBEach: number;
  createMsEach: number;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const SESSION_INPUT = { participants: ['+6590000001', '+6590000002', '+6590000003', '+6590000004', '+6590000005'] };

type WorkflowActivation = Parameters<Workflow['activate']>[0];

function jsonPayload(value: unknown): { metadata: Record<string, Uint8Array>; data: Uint8Array } {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) };
}

/** The first activation of a session run: its start, as the server's first workflow task carries it. */
function startActivation(n: number, now: number): WorkflowActivation {
  const timestamp = msToTs(now);
  return {
    runId: `cost-run-${n}`,
    timestamp,
    isReplaying: false,
    historyLength: 3,
    jobs: [
      {
        initializeWorkflow: {
          workflowType: 'conferenceSession',
          workflowId: `cost-${n}`,
          arguments: [jsonPayload(SESSION_INPUT)],
          randomnessSeed: Long.fromNumber(n),
          firstExecutionRunId: `cost-run-${n}`,
          attempt: 1,
          startTime: timestamp,
        },
      },
    ],
  };
}

function info(n: number): WorkflowInfo {
  const now = new Date();
  return {
    workflowType: 'conferenceSession',
    workflowId: `cost-${n}`,
    runId: `cost-run-${n}`,
    firstExecutionRunId: `cost-run-${n}`,
    taskQueue: 'cost',
    namespace: 'default',
    attempt: 1,
    historyLength: 3,
    historySize: 0,
    continueAsNewSuggested: false,
    searchAttributes: {},
    memo: {},
    startTime: now,
    runStartTime: now,
    unsafe: { isReplaying: false, now: () => Date.now() },
  } as unknown as WorkflowInfo;
}

export async function measureWorkflowCost(bundlePath: string, workflows = 200): Promise<WorkflowCost> {
  const code = readFileSync(bundlePath, 'utf8');
  const sourceMap = { version: 3, file: bundlePath, sources: [], names: [], mappings: '' };
  const creator = await ReusableVMWorkflowCreator.create(
    { code, filename: bundlePath, sourceMap },
    5_000,
    new Set(),
    // As a worker without an OTLP endpoint runs them: untraced (the worker hands the SDK's callback the patch id).
    (_info, patchId) => withoutTracingPatch({ patchId }),
  );
  const created = [];
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const began = performance.now();
  for (let n = 0; n < workflows; n += 1) {
    const now = Date.now();
    const workflow = await creator.createWorkflow({
      info: info(n),
      randomnessSeed: [n, 0],
      now,
      showStackTraceSources: false,
    });
    const completion = await workflow.activate(startActivation(n, now));
    if (completion.failed) throw new Error(`The session's start failed: ${JSON.stringify(completion.failed)}`);
    created.push(workflow);
  }
  const createMsEach = (performance.now() - began) / workflows;
  collectGarbage();
  const heapKiBEach = (process.memoryUsage().heapUsed - heapBefore) / 1024 / workflows;
  for (const workflow of created) await workflow.dispose();
  await creator.destroy();
  return { workflows, heapKiBEach, createMsEach };
}
