/**
 * `escalation`: phones an incident's on-call tree, step by step, until someone presses the acknowledge key, then
 * bridges them into the incident's conference room (docs/escalation.md). Same call-leg engine and call budget as
 * `conferenceSession`, asking for permits ahead of routine calls.
 *
 * The rules live in {@link EscalationRun}; this function wires the messages to it. Deterministic only: no I/O, no Node
 * built-ins. The access token is never seen here: activities hold it.
 */
import { setHandler } from '@temporalio/workflow';
import type { EscalationInput } from '../domain/escalation-input';
import type { EscalationResult } from '../domain/escalation-types';
import { EscalationRun, type EscalationResume } from './escalation/escalation-run';
import {
  acknowledgeUpdate,
  addRespondersUpdate,
  callEndedSignal,
  escalateUpdate,
  escalationStatusQuery,
  ivrEventSignal,
  resolveUpdate,
  type AcknowledgeRequest,
  type AddRespondersRequest,
  type ResolveRequest,
} from './messages';

export type { EscalationResume } from './escalation/escalation-run';

export async function escalation(input: EscalationInput, resume?: EscalationResume): Promise<EscalationResult> {
  const run = new EscalationRun(input, resume);
  setHandler(ivrEventSignal, (payload: unknown) => run.ivrEvent(payload));
  setHandler(callEndedSignal, (payload: unknown) => run.callEnded(payload));
  setHandler(escalationStatusQuery, () => run.status());
  setHandler(acknowledgeUpdate, (request) => run.acknowledge(request), {
    validator: (request: AcknowledgeRequest) => run.validateAcknowledge(request),
  });
  setHandler(resolveUpdate, (request) => run.resolve(request), {
    validator: (request: ResolveRequest) => run.validateResolve(request),
  });
  setHandler(escalateUpdate, () => run.escalate(), { validator: () => run.validateEscalate() });
  setHandler(addRespondersUpdate, (request) => run.addResponders(request), {
    validator: (request: AddRespondersRequest) => run.validateAddResponders(request),
  });
  return await run.run();
}
