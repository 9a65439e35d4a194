import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { EscalationInput } from '../../../src/domain/escalation-input';
import { type ResolveRequest, resolveUpdate } from '../../../src/workflows/messages';

export interface StandInState {
  input: EscalationInput;
  /** Every `resolve` request received, in order. */
  resolves: ResolveRequest[];
}

export const standInQuery = defineQuery<StandInState>('standIn');

/**
 * Registered under the workflow type `escalation` (its function name), standing in for the real one in receiver
 * tests: it records what it was started with and every `resolve`, and finishes after the first.
 */
export async function escalation(input: EscalationInput): Promise<StandInState> {
  const state: StandInState = { input, resolves: [] };
  setHandler(standInQuery, () => state);
  setHandler(resolveUpdate, (request) => {
    state.resolves.push(request);
    return { hungUp: 0 };
  });
  await condition(() => state.resolves.length > 0);
  return state;
}
