import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from './observability/workflow-interceptor-modules';
import { WORKFLOW_BUNDLER_OPTIONS } from './workflow-bundler-options';

/**
 * The prebuilt workflow bundle: `npm run build` writes it beside the compiled worker, and `node dist/worker.js`
 * loads it instead of bundling `workflows/` with webpack at every start (seconds of CPU, and webpack at run time).
 * Run from source (tests, `npm run worker`) there is none, and the worker bundles the sources itself.
 */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/** The bundle's path when the build made one beside this module, else undefined. */
export function prebuiltWorkflowBundle(dir: string = __dirname): string | undefined {
  const codePath = path.join(dir, WORKFLOW_BUNDLE_FILE);
  return existsSync(codePath) ? codePath : undefined;
}

/**
 * `tsx src/bundle-workflows.ts` (the last step of `npm run build`): bundles the workflows into dist/. From the
 * TypeScript sources, not tsc's CommonJS output: only ES modules can be tree-shaken and joined (see
 * WORKFLOW_BUNDLER_OPTIONS), and a CommonJS `require('zod')` would pull in zod's CommonJS build, locales and all.
 */
async function main(): Promise<void> {
  // The bundler's INFO lines are webpack's whole module report: a build should print one line, or the error.
  const logger = new DefaultLogger('WARN');
  // The leg metrics' interceptor must be inside the bundle: a worker given a bundle takes no interceptor modules.
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger,
    ...WORKFLOW_BUNDLER_OPTIONS,
  });
  const codePath = path.join(__dirname, '..', 'dist', WORKFLOW_BUNDLE_FILE);
  writeFileSync(codePath, code);
  console.log(
    `Wrote the workflow bundle ${path.relative(process.cwd(), codePath)} (${Math.round(code.length / 1024)} KiB)`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`bundle-workflows: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
