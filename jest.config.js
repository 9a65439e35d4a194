/** @type {import('jest').Config} */
module.exports = {
  // Node's, holding worker logs back unless a test fails (BRIDGEKEEPER_TEST_LOGS=1 shows them all).
  testEnvironment: '<rootDir>/test/support/quiet-logs-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // swc strips types without a type check: `npm run typecheck` is the type gate, tests stay fast.
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  reporters: ['default', '<rootDir>/test/support/totals-reporter.js'],
  // Workflow tests start a real Temporal dev server and bundle workflow code: give them room.
  testTimeout: 120_000,
  // Two cores: more workers than that only makes the dev servers fight for CPU.
  maxWorkers: 2,
};
