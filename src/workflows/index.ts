// Every workflow the worker serves; the worker bundles this file, so it must only reach deterministic code.
export { callBudget } from './call-budget';
export { conferenceSession } from './conference-session';
export { escalation } from './escalation';
