// The worker bundle for receiver tests.
export * from './signal-collector';
export * from './ivr-collector';
export * from './escalation-stand-in';
