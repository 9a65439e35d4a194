/**
 * The workflow interceptor modules every worker runs, bundled with the workflows (`workflowModules`, or
 * `workflowInterceptorModules` of a prebuilt bundle): the leg metrics and the workflow's trace spans. Neither changes
 * a command a recorded history replays (test/workflows/replay.test.ts replays them with both).
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('./workflow/leg-metrics-interceptor'),
  require.resolve('./workflow/tracing-interceptor'),
];
