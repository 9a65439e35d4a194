// The worker bundle for receiver tests.
export * from './signal-collector';
