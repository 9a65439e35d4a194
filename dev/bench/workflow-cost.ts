/**
 * What one more cached workflow costs a worker's workflow thread: the heap it keeps and the CPU to create it, paid at
 * every start and at every replay after an eviction. Measured as the worker does it: workflows created from the built
 * bundle (`dist/workflow-bundle.js`) in one reusable V8 context, each evaluating the modules it does not share.
 * ReusableVMWorkflowCreator is the SDK's internal class: a benchmark may reach for it, the product does not.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import type { WorkflowInfo } from '@temporalio/workflow';

export interface WorkflowCost {
  workflows: number;
  heapKiBEach: number;
  createMsEach: number;
  /** Modules each workflow evaluates for itself (the rest are shared by the context). */
  modulesEach: number;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

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
  const creator = await ReusableVMWorkflowCreator.create({ code, filename: bundlePath, sourceMap }, 5_000, new Set());
  const created = [];
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const began = performance.now();
  for (let n = 0; n < workflows; n += 1) {
    created.push(
      await creator.createWorkflow({
        info: info(n),
        randomnessSeed: [n, 0],
        now: Date.now(),
        showStackTraceSources: false,
      }),
    );
  }
  const createMsEach = (performance.now() - began) / workflows;
  collectGarbage();
  const heapKiBEach = (process.memoryUsage().heapUsed - heapBefore) / 1024 / workflows;
  const modulesEach = (created[0] as unknown as { activator: { moduleCache: Map<string, unknown> } }).activator
    .moduleCache.size;
  for (const workflow of created) await workflow.dispose();
  await creator.destroy();
  return { workflows, heapKiBEach, createMsEach, modulesEach };
}
