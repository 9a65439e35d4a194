import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'lib/', 'dist/', '.data/', '.tools/', 'coverage/', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Jest's asymmetric matchers (expect.stringContaining, expect.any) are typed `any` by design.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    // Workflow code is replayed: it must stay deterministic, so no I/O, no Node built-ins, no HTTP client.
    // The workflow interceptor modules are bundled with the workflows: the same rules hold.
    files: ['src/workflows/**/*.ts', 'src/observability/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins, ...nodeBuiltins.map((name) => `node:${name}`), 'undici'].map((name) => ({
            name,
            message:
              'Workflow code must stay deterministic: no Node built-ins or I/O (see docs/design.md, invariant 8).',
          })),
          patterns: [
            {
              group: ['**/activities', '**/activities/*'],
              allowTypeImports: true,
              message: 'Use `import type` and proxyActivities.',
            },
            {
              group: ['**/hoiio/client*', '**/notifications/*', '**/simulator/*'],
              message: 'Workflow code must not reach I/O modules.',
            },
          ],
        },
      ],
      // The SDK makes Date and Math.random deterministic inside workflows; these globals it cannot.
      'no-restricted-globals': ['error', 'fetch', 'process', 'Buffer', 'require'],
    },
  },
);
