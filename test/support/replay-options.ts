import type { ReplayWorkerOptions } from '@temporalio/worker';
import { legMetricsSinks } from '../../src/observability/leg-metrics';
import { tracingWorkflowSinks } from '../../src/observability/tracing';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../src/observability/workflow-interceptor-modules';
import { WORKFLOW_BUNDLER_OPTIONS } from '../../src/workflow-bundler-options';

/**
 * How to replay what a bridgekeeper worker ran: its workflows with the interceptor modules it bundles (the trace
 * interceptors' patch marker is in every history they ran), and the sinks those call, outside replay only.
 */
export function productionReplayOptions(): ReplayWorkerOptions {
  return {
    workflowsPath: require.resolve('../../src/workflows'),
    bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
    interceptors: { workflowModules: WORKFLOW_INTERCEPTOR_MODULES },
    sinks: { ...legMetricsSinks, ...tracingWorkflowSinks(undefined) },
  };
}
