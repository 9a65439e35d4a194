/**
 * A stand-in for Hoiio, as plain activity functions: it answers what Hoiio would, records every request, and sends
 * the end-of-call notifications our receiver would signal. The workflows (session and call budget) are the real ones.
 * Each session names its own `account`, and each account can be given its own behaviour.
 */
import { Context, ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBudgetActivities } from '../../../src/activities/budget';
import type { ConferenceActivities, PlaceCallRequest, PollResult } from '../../../src/activities/conference';
import type { IvrActivities } from '../../../src/activities/ivr';
import type { PlaceCallResult } from '../../../src/activities/place-call';
import type { CallEnded } from '../../../src/domain/call-ended';
import type { IvrEvent } from '../../../src/domain/ivr-event';
import type { FinalCallStatus } from '../../../src/domain/hoiio-rules';
import { debitFor, formatMoney, parseMoney } from '../../../src/domain/money';
import { callEndedSignal, ivrEventSignal } from '../../../src/workflows/messages';
import {
  startTemporalTestEnv,
  startTestWorker,
  stopTemporalTestEnv,
  uniqueId,
  type TestWorker,
} from '../../support/temporal-test-env';

export interface StubLeg {
  number: string;
  txnRef: string;
  tag: string;
  room: string;
  workflowId: string;
  ended: boolean;
  /** Set for an IVR call. */
  session?: string;
  /** An IVR call's blocks, in order: `gather`, `transfer:<room>`, `hangup:<msg>`. */
  blocks?: string[];
}

/** What the callee of an IVR call does. */
export interface IvrScript {
  outcome: FinalCallStatus;
  /** Keys pressed during a gather (absent: presses nothing). */
  keys?: string;
  /** Ms from the dial to the answer (or to the end, when never answered); default 50. */
  ringMs?: number;
  /** Ms from the gather's start to the keys (or to the empty answer); default 50. */
  keyMs?: number;
  /** Ms a call moved into a room stays there; default 300. */
  roomMs?: number;
  /** Ms from a hangup block to the call's end notification; default 0 (notified before the block's reply). */
  hangupEndMs?: number;
}

/** How a leg ends: its status, billed minutes and per-minute rate. */
export interface LegFate {
  status: FinalCallStatus;
  minutes: number;
  rate: string;
}

export interface AccountBehaviour {
  /** A failure type to refuse this request with (non-retryable, as Hoiio's final answer), or undefined to place it. */
  refuse?: (request: PlaceCallRequest) => string | undefined;
  /** Which numbers of a request get a leg (default all). */
  place?: (request: PlaceCallRequest) => string[];
  /** Place the legs, then fail as if the connection dropped before the reply: the outcome is unknown. */
  loseReply?: (request: PlaceCallRequest) => boolean;
  /** Notify each leg's end before the dial's reply comes back. */
  endBeforeReply?: boolean;
  /** How each number's leg ends (default answered, 1 minute at 0.020). */
  fate?: (number: string) => LegFate;
  /** When Hoiio notifies a leg's end on its own: ms after placing, or `never` (then only a hangup or a poll tells). */
  notifyAfterMs?: number | 'never';
  /** What voice/query_status answers, per poll of a leg (0-based). */
  poll?: (txnRef: string, pollIndex: number) => PollResult;
  /** What each callee of an IVR call does (default: answers and presses nothing). */
  ivr?: (number: string) => IvrScript;
}

const DEFAULT_FATE: LegFate = { status: 'answered', minutes: 1, rate: '0.020' };

export class StubHoiio {
  /** Every dial the workflow asked for, refused or not, in order. */
  readonly dials: PlaceCallRequest[] = [];
  /** Every conference/call that Hoiio accepted, in order. */
  readonly requests: PlaceCallRequest[] = [];
  readonly reconciles: PlaceCallRequest[] = [];
  readonly polls: string[] = [];
  readonly hangups: string[] = [];
  readonly legs: StubLeg[] = [];
  /** What each ended leg was billed, as the notification said. */
  readonly billed: { txnRef: string; debit: string }[] = [];
  /** Most legs live at once in any one room, and on the whole account. */
  peakInRoom = 0;
  peakOnAccount = 0;
  private readonly behaviours = new Map<string, AccountBehaviour>();
  private txnCounter = 0;

  constructor(
    private readonly client: () => Client,
    private readonly budgetKey: string,
  ) {}

  behave(account: string, behaviour: AccountBehaviour): void {
    this.behaviours.set(account, behaviour);
  }

  requestsOf(account: string): PlaceCallRequest[] {
    return this.requests.filter((request) => request.account === account);
  }

  fateOf(account: string, number: string): LegFate {
    return this.behaviours.get(account)?.fate?.(number) ?? DEFAULT_FATE;
  }

  activities(): ConferenceActivities {
    return {
      ...this.ivrActivities(),
      resolveAccount: ({ account }) => Promise.resolve({ account, budgetKey: this.budgetKey }),
      // Credit enough for any test here: each number at the rate its leg is billed at.
      preflightCheck: ({ account, numbers }) =>
        Promise.resolve({
          balance: { currency: 'SGD', amount: '100000.000' },
          rates: numbers.map((number) => ({
            number,
            rate: { currency: 'SGD', amount: this.fateOf(account, number).rate },
          })),
        }),
      placeConferenceCall: async (request) => {
        this.dials.push(request);
        const behaviour = this.behaviours.get(request.account) ?? {};
        const refusal = behaviour.refuse?.(request);
        if (refusal) throw ApplicationFailure.nonRetryable(`Hoiio refused: ${refusal}`, refusal);
        this.requests.push(request);
        const workflowId = Context.current().info.workflowExecution?.workflowId;
        if (!workflowId) throw new Error('placeConferenceCall runs for a workflow only');
        const placed = (behaviour.place?.(request) ?? request.numbers).map((number) =>
          this.open(request, number, workflowId),
        );
        if (behaviour.endBeforeReply) await Promise.all(placed.map((leg) => this.end(leg, request.account)));
        else for (const leg of placed) this.scheduleEnd(leg, request.account, behaviour.notifyAfterMs ?? 200);
        if (behaviour.loseReply?.(request)) {
          throw ApplicationFailure.nonRetryable('socket hang up after the request was sent', 'HoiioTransportError');
        }
        const legs = placed.map(({ number, txnRef }) => ({ number, txnRef }));
        return {
          legs,
          notPlaced: [],
          adopted: false,
          conferenceCallRequests: 1,
          historyLookups: 0,
          retryReasons: [],
          attempts: 1,
        };
      },
      reconcileBatch: (request) => Promise.resolve(this.reconcile(request)),
      pollLeg: ({ account, txnRef }) => Promise.resolve(this.poll(account, txnRef)),
      hangupLeg: async ({ account, txnRef }) => {
        this.hangups.push(txnRef);
        const leg = this.legByRef(txnRef);
        if (leg.session !== undefined)
          await this.ivrEnd(
            leg,
            account,
            leg.blocks!.length > 0 ? 'answered' : 'unanswered',
            leg.blocks!.length > 0 ? 1 : 0,
          );
        else if (!leg.ended) await this.end(leg, account);
      },
      moderateLeg: () => Promise.resolve(),
    };
  }

  ivrCalls(account: string): StubLeg[] {
    return this.legs.filter((leg) => leg.session !== undefined && this.accountOf.get(leg.txnRef) === account);
  }

  private readonly accountOf = new Map<string, string>();

  private ivrActivities(): IvrActivities & { placeIvrCall(r: PlaceCallRequest): Promise<PlaceCallResult> } {
    const script = (account: string, number: string): IvrScript =>
      this.behaviours.get(account)?.ivr?.(number) ?? { outcome: 'answered' };
    return {
      placeIvrCall: (request) => {
        this.dials.push(request);
        const behaviour = this.behaviours.get(request.account) ?? {};
        const refusal = behaviour.refuse?.(request);
        if (refusal) throw ApplicationFailure.nonRetryable(`Hoiio refused: ${refusal}`, refusal);
        this.requests.push(request);
        const workflowId = Context.current().info.workflowExecution!.workflowId;
        const leg = this.open(request, request.numbers[0]!, workflowId);
        leg.session = `S${leg.txnRef}`;
        leg.blocks = [];
        this.accountOf.set(leg.txnRef, request.account);
        const plan = script(request.account, leg.number);
        setTimeout(() => {
          if (leg.ended) return;
          const sent =
            plan.outcome === 'answered'
              ? this.ivrSignal(leg, { callState: 'ongoing', dialStatus: 'answered' })
              : this.ivrEnd(leg, request.account, plan.outcome, 0);
          sent.catch(() => undefined); // the test may be over
        }, plan.ringMs ?? 50).unref();
        return Promise.resolve({
          legs: [{ number: leg.number, txnRef: leg.txnRef, session: leg.session }],
          notPlaced: [],
          adopted: false,
          conferenceCallRequests: 1,
          historyLookups: 0,
          retryReasons: [],
          attempts: 1,
        });
      },
      ivrGather: ({ account, session, tag }) => {
        const leg = this.ivrLeg(session);
        leg.blocks!.push('gather');
        const plan = script(account, leg.number);
        setTimeout(() => {
          if (!leg.ended)
            this.ivrSignal(leg, { callState: 'ongoing', digits: plan.keys ?? '', tag }).catch(() => undefined);
        }, plan.keyMs ?? 50).unref();
        return Promise.resolve();
      },
      ivrTransfer: ({ account, session, room }) => {
        const leg = this.ivrLeg(session);
        leg.blocks!.push(`transfer:${room}`);
        leg.room = room;
        const stay = script(account, leg.number).roomMs ?? 300;
        setTimeout(() => void this.ivrEnd(leg, account, 'answered', 1).catch(() => undefined), stay).unref();
        return Promise.resolve({ room });
      },
      ivrHangup: async ({ account, session, msg }) => {
        const leg = this.ivrLeg(session);
        leg.blocks!.push(`hangup:${msg ?? ''}`);
        const endMs = script(account, leg.number).hangupEndMs ?? 0;
        if (endMs === 0) return this.ivrEnd(leg, account, 'answered', 1);
        setTimeout(() => void this.ivrEnd(leg, account, 'answered', 1).catch(() => undefined), endMs).unref();
      },
    };
  }

  private ivrLeg(session: string): StubLeg {
    const leg = this.legs.find((candidate) => candidate.session === session);
    if (!leg) throw ApplicationFailure.nonRetryable('no such session', 'error_invalid_session');
    if (leg.ended) throw ApplicationFailure.nonRetryable('session ended', 'error_session_ended');
    return leg;
  }

  private async ivrSignal(leg: StubLeg, event: Omit<IvrEvent, 'txnRef' | 'session'>): Promise<void> {
    const payload: IvrEvent = { txnRef: leg.txnRef, session: leg.session!, dest: leg.number, ...event };
    await this.client().workflow.getHandle(leg.workflowId).signal(ivrEventSignal, payload);
  }

  private async ivrEnd(leg: StubLeg, account: string, status: FinalCallStatus, minutes: number): Promise<void> {
    if (leg.ended) return;
    leg.ended = true;
    const rate = this.fateOf(account, leg.number).rate;
    const debit = formatMoney(debitFor(parseMoney(rate), minutes));
    this.billed.push({ txnRef: leg.txnRef, debit });
    await this.ivrSignal(leg, {
      callState: 'ended',
      dialStatus: status,
      durationMinutes: minutes,
      currency: 'SGD',
      rate,
      debit,
    });
  }

  /** The end-of-call notification Hoiio would send for this leg, as our receiver signals it. */
  endReport(account: string, leg: Pick<StubLeg, 'number' | 'txnRef' | 'tag'>): CallEnded {
    const fate = this.fateOf(account, leg.number);
    const billed = fate.status === 'answered' ? fate.minutes : 0;
    return {
      txnRef: leg.txnRef,
      dest: leg.number,
      callStatus: fate.status,
      durationMinutes: billed,
      currency: 'SGD',
      rate: fate.rate,
      debit: formatMoney(debitFor(parseMoney(fate.rate), billed)),
      tag: leg.tag,
    };
  }

  private reconcile(request: PlaceCallRequest): { legs: { number: string; txnRef: string }[]; notPlaced: string[] } {
    this.reconciles.push(request);
    const found = this.legs.filter((leg) => leg.tag === request.tag).map(({ number, txnRef }) => ({ number, txnRef }));
    const placed = new Set(found.map((leg) => leg.number));
    return { legs: found, notPlaced: request.numbers.filter((number) => !placed.has(number)) };
  }

  private poll(account: string, txnRef: string): PollResult {
    const index = this.polls.filter((polled) => polled === txnRef).length;
    this.polls.push(txnRef);
    const answer = this.behaviours.get(account)?.poll?.(txnRef, index) ?? { ongoing: true };
    if (!('unknown' in answer) && !answer.ongoing) this.legByRef(txnRef).ended = true;
    return answer;
  }

  private open(request: PlaceCallRequest, number: string, workflowId: string): StubLeg {
    this.txnCounter += 1;
    const leg = {
      number,
      txnRef: `TX${this.txnCounter}`,
      tag: request.tag,
      room: request.room,
      workflowId,
      ended: false,
    };
    this.legs.push(leg);
    const live = this.legs.filter((other) => !other.ended);
    this.peakOnAccount = Math.max(this.peakOnAccount, live.length);
    this.peakInRoom = Math.max(this.peakInRoom, live.filter((other) => other.room === leg.room).length);
    return leg;
  }

  private scheduleEnd(leg: StubLeg, account: string, afterMs: number | 'never'): void {
    if (afterMs === 'never') return;
    setTimeout(() => void this.end(leg, account).catch(() => undefined), afterMs);
  }

  private async end(leg: StubLeg, account: string): Promise<void> {
    if (leg.ended) return;
    leg.ended = true;
    this.billed.push({ txnRef: leg.txnRef, debit: this.endReport(account, leg).debit });
    await this.client().workflow.getHandle(leg.workflowId).signal(callEndedSignal, this.endReport(account, leg));
  }

  private legByRef(txnRef: string): StubLeg {
    const leg = this.legs.find((candidate) => candidate.txnRef === txnRef);
    if (!leg) throw new Error(`unknown leg ${txnRef}`);
    return leg;
  }
}

export interface StubHoiioStack {
  hoiio: StubHoiio;
  /** The Hoiio application id every account of the stub resolves to: the call budget's key. */
  budgetKey: string;
  client(): Client;
  taskQueue(): string;
}

/**
 * The fast tier's stack for one test file: a dev server, and a worker whose Hoiio activities are a {@link StubHoiio}
 * and whose budget activities are the real ones, running `workflowsPath` (default: the production workflows).
 */
export function useStubHoiioStack(workflowsPath?: string): StubHoiioStack {
  let env: TestWorkflowEnvironment | undefined;
  let worker: TestWorker | undefined;
  const budgetKey = uniqueId('fast-app');
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useStubHoiioStack: the stack has not started (beforeAll failed?)');
    return value;
  };
  const hoiio = new StubHoiio(() => started(env).client, budgetKey);
  beforeAll(async () => {
    env = await startTemporalTestEnv();
    worker = await startTestWorker(env, {
      workflowsPath,
      activities: { ...createBudgetActivities(env.client), ...hoiio.activities() },
    });
  });
  afterAll(() => stopTemporalTestEnv(env, worker));
  return { hoiio, budgetKey, client: () => started(env).client, taskQueue: () => started(worker).taskQueue };
}
