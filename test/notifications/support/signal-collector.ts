import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import { callEndedSignal, type CallEnded } from '../../../src/workflows/messages';

/** Every `callEnded` payload the collector has seen, in arrival order. */
export const collectedQuery = defineQuery<CallEnded[]>('collected');
/** Lets the collector finish, returning what it saw. */
export const finishSignal = defineSignal('finish');

/** A stand-in session for receiver tests: records every callEnded signal, exactly as delivered. */
export async function signalCollector(): Promise<CallEnded[]> {
  const seen: CallEnded[] = [];
  let finished = false;
  setHandler(callEndedSignal, (payload) => {
    seen.push(payload);
  });
  setHandler(collectedQuery, () => seen);
  setHandler(finishSignal, () => {
    finished = true;
  });
  await condition(() => finished);
  return seen;
}
