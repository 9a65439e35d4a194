import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import { ivrEventSignal, type IvrEvent } from '../../../src/workflows/messages';
import { finishSignal } from './signal-collector';

/** Every `ivrEvent` payload the collector has seen, in arrival order. */
export const ivrCollectedQuery = defineQuery<IvrEvent[]>('ivrCollected');

/** A stand-in escalation for receiver tests: records every ivrEvent signal, exactly as delivered. */
export async function ivrEventCollector(): Promise<IvrEvent[]> {
  const seen: IvrEvent[] = [];
  let finished = false;
  setHandler(ivrEventSignal, (payload) => {
    seen.push(payload);
  });
  setHandler(ivrCollectedQuery, () => seen);
  setHandler(finishSignal, () => {
    finished = true;
  });
  await condition(() => finished);
  return seen;
}
