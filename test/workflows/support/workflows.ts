// The worker bundle for budget tests: every production workflow plus the test holders.
export * from '../../../src/workflows';
export * from './budget-holders';
