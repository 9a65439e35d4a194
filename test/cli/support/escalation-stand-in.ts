/**
 * A stand-in for the `escalation` workflow, for the CLI tests only: it registers under the real workflow type and
 * answers the real messages (src/workflows/messages.ts), so `page --wait`, `ack`, `escalate`, `resolve` and
 * `escalation status` can run end to end through the CLI without the real workflow or Hoiio. It places no calls: its
 * timeline says it rang the first responder of the first step, and its result carries two fixed legs.
 *
 * Behaviour: `acknowledge` (once) moves to `bridging`; `escalate` moves to the next step while there is one;
 * `resolve` ends it, with outcome `acknowledged` if someone had, else `resolved`.
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { EscalationInput } from '../../../src/domain/escalation-input';
import type { EscalationResult, EscalationStatus, TimelineEntry } from '../../../src/domain/escalation-types';
import {
  acknowledgeUpdate,
  escalateUpdate,
  escalationStatusQuery,
  resolveUpdate,
} from '../../../src/workflows/messages';

export async function escalation(input: EscalationInput): Promise<EscalationResult> {
  const startedAt = Date.now();
  const steps = input.policy.steps;
  const status: EscalationStatus = {
    incident: input.incident,
    phase: 'paging',
    round: 0,
    step: 0,
    tries: [],
    timeline: [],
  };
  const note = (entry: Omit<TimelineEntry, 'at' | 'round' | 'step'>) =>
    status.timeline.push({ at: Date.now(), round: status.round, step: status.step, ...entry });
  const ring = () => {
    note({ event: 'step-started' });
    const first = steps[status.step]?.notify[0];
    if (first !== undefined) {
      const { number, name } = typeof first === 'string' ? { number: first, name: undefined } : first;
      note({ event: 'rang', number, ...(name === undefined ? {} : { name }) });
    }
  };
  ring();

  let reason: string | undefined;
  let resolved = false;
  setHandler(escalationStatusQuery, () => status);
  setHandler(acknowledgeUpdate, ({ by }) => {
    if (status.acknowledged) return { acknowledged: false };
    const at = Date.now();
    status.acknowledged = { by, via: 'update', at, secondsToAcknowledge: (at - startedAt) / 1000 };
    note({ event: 'acknowledged', detail: `acknowledged by ${by}` });
    status.phase = 'bridging';
    note({ event: 'bridged', detail: `room ${input.bridge.room}` });
    return { acknowledged: true };
  });
  setHandler(escalateUpdate, () => {
    if (status.acknowledged || status.step + 1 >= steps.length) return {};
    status.step += 1;
    note({ event: 'escalated', detail: 'by request' });
    ring();
    return { step: status.step, round: status.round };
  });
  setHandler(resolveUpdate, (request) => {
    reason = request.reason;
    resolved = true;
    note({ event: 'resolved', ...(request.reason === undefined ? {} : { detail: request.reason }) });
    return { hungUp: status.acknowledged ? 1 : 0 };
  });

  await condition(() => resolved);
  status.phase = 'ended';
  const firstNumber = status.timeline.find((entry) => entry.number !== undefined)?.number ?? '+6500000000';
  return {
    incident: input.incident,
    outcome: status.acknowledged ? 'acknowledged' : 'resolved',
    ...(status.acknowledged ? { acknowledged: status.acknowledged } : {}),
    ...(reason === undefined ? {} : { reason }),
    startedAt,
    endedAt: Date.now(),
    timeline: status.timeline,
    legs: [
      {
        txnRef: 'TX-PAGE-1',
        number: firstNumber,
        kind: 'page',
        status: 'answered',
        minutes: 1,
        currency: 'SGD',
        rate: '0.020',
        debit: '0.020',
      },
      {
        txnRef: 'TX-BRIDGE-1',
        number: firstNumber,
        kind: 'bridge',
        status: 'answered',
        minutes: 7,
        currency: 'SGD',
        rate: '0.020',
        debit: '0.140',
      },
    ],
    cost: { SGD: '0.160' },
  };
}
