// Every workflow the worker serves; the worker bundles this file, so it must only reach deterministic code.
import type * as CallBudget from './call-budget';
import type * as ConferenceSession from './conference-session';
import type * as Escalation from './escalation';

// Each workflow type's modules are evaluated when a run of that type first calls into them, not when the worker
// creates a workflow: the SDK gives every workflow its own module cache, so importing all three here would make each
// of a thousand cached sessions build the escalation's and the budget's code and schemas as well. A plain require,
// resolved by the bundler: an `import()` would add an await before the workflow's first command.
/* eslint-disable no-restricted-globals, @typescript-eslint/no-require-imports */

export function callBudget(
  ...args: Parameters<typeof CallBudget.callBudget>
): ReturnType<typeof CallBudget.callBudget> {
  return (require('./call-budget') as typeof CallBudget).callBudget(...args);
}

export function conferenceSession(
  ...args: Parameters<typeof ConferenceSession.conferenceSession>
): ReturnType<typeof ConferenceSession.conferenceSession> {
  return (require('./conference-session') as typeof ConferenceSession).conferenceSession(...args);
}

export function escalation(
  ...args: Parameters<typeof Escalation.escalation>
): ReturnType<typeof Escalation.escalation> {
  return (require('./escalation') as typeof Escalation).escalation(...args);
}
