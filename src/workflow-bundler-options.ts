import type { BundleOptions } from '@temporalio/worker';

/**
 * How every bridgekeeper workflow bundle is built: the prebuilt one (`npm run build`), a worker's from source, and
 * the replays that check them. The SDK bundles in webpack's development mode, which keeps every module of every
 * package it reaches and evaluates each one again for each workflow the worker creates (the reusable V8 context
 * gives each workflow its own module cache). Tree shaking drops what nothing imports (zod's 63 locale modules among
 * them) and scope hoisting joins what is left into a few modules, so each workflow evaluates less; no minifying, so
 * stack traces and the source map stay readable.
 */
export const WORKFLOW_BUNDLER_OPTIONS: Pick<BundleOptions, 'webpackConfigHook'> = {
  webpackConfigHook: (config) => ({
    ...config,
    optimization: {
      ...config.optimization,
      providedExports: true,
      usedExports: true,
      sideEffects: true,
      innerGraph: true,
      concatenateModules: true,
      minimize: false,
    },
  }),
};
