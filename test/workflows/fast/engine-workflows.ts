/**
 * A caller of the call-leg engine that is not a conference session: it rings a fixed list of numbers into one room,
 * in batches as permits come, and waits until every leg has ended. What an escalation step needs, and no more: it
 * proves the engine serves a caller without any of the session's code.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { CallCounters, emptyCounters } from '../../../src/domain/call-counters';
import { LegBook, type LegRecord } from '../../../src/domain/leg-book';
import { CallLegEngine, type DialOutcome } from '../../../src/workflows/call-legs/call-leg-engine';
import { callEndedSignal } from '../../../src/workflows/messages';

export { callBudget } from '../../../src/workflows/call-budget';

export interface RingAllInput {
  account: string;
  room: string;
  numbers: string[];
  tag: string;
  /** The priority of its permit requests (an escalation's pages: `PAGE_PRIORITY`); none if unset. */
  priority?: number;
}

export interface RingAllResult {
  outcomes: DialOutcome[];
  /** Every leg's number, txn_ref and how its end became known, in the order they ended. */
  ended: { number: string; txnRef: string; source: string; status: string }[];
  counters: ReturnType<CallCounters['read']>;
}

export async function ringAll(input: RingAllInput): Promise<RingAllResult> {
  const ended: RingAllResult['ended'] = [];
  const counters = new CallCounters(emptyCounters());
  const legs = new LegBook({ legs: [], earlyEnds: [] }, { graceMs: 60_000, maxPollIntervalMs: 60_000 }, counters, {
    legPlaced: () => undefined,
    legEnded: (leg: LegRecord) => {
      ended.push({ number: leg.number, txnRef: leg.txnRef, source: leg.end!.source, status: leg.end!.status });
    },
    endCorrected: () => undefined,
  });
  const engine = new CallLegEngine({
    account: input.account,
    legs,
    counters,
    wantsLegs: () => true,
    hangingUp: () => undefined,
    // Nothing here waits on a poll's result except through the leg book, which `condition` reads anyway.
    changed: () => undefined,
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
  });
  setHandler(callEndedSignal, (payload: unknown) => void engine.notified(payload));

  await engine.connect();
  const outcomes: DialOutcome[] = [];
  const waiting = [...input.numbers];
  let batchNumber = 0;
  while (waiting.length > 0) {
    await engine.keepPermitsFor(waiting.length);
    await condition(() => engine.permitsAvailable > 0);
    const numbers = waiting.splice(0, Math.min(8, engine.permitsAvailable));
    batchNumber += 1;
    outcomes.push(await engine.dial({ room: input.room, numbers, tag: `${input.tag}-${batchNumber}` }));
    await engine.releaseForHandover();
  }
  await condition(() => legs.activeLegs().length === 0);
  await engine.close();
  return { outcomes, ended, counters: counters.read() };
}
