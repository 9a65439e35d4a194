import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { formatMoney, parseMoney } from '../../src/domain/money';
import { type IvrBlock, type Leg } from './call-engine';
import { describeIssues, OUTCOMES } from './config-schema';
import { type SimulatorState } from './state';

/**
 * The simulator's ledger on disk (the `stateFile` option), so that a restarted simulator still answers about the
 * calls it placed before, never reuses a txn_ref, and ends the calls that were up when it stopped. Money is stored
 * as decimal strings, as everywhere outside the process. Knobs, statistics and the delivery log are not kept.
 */

const VERSION = 1;

const money = z.string().regex(/^-?\d{1,15}(\.\d{1,3})?$/, 'expected a decimal with at most 3 decimals');
const count = z.number().int().nonnegative();
const simSeconds = z.number().finite();
const epochMs = z.number().int().nonnegative();
const outcome = z.enum(OUTCOMES);
const blockName = z.enum(['dial', 'gather', 'transfer', 'hangup']);
const block = z.object({ name: blockName, tag: z.string().optional(), notifyUrl: z.string().optional() });

const storedIvr = z.object({
  session: z.string(),
  phase: z.enum([
    'ringing',
    'dial-message',
    'idle',
    'gather',
    'hangup-message',
    'transfer-message',
    'transfer-ringing',
    'transferred',
    'ended',
  ]),
  dialMsg: z.boolean(),
  maxDurationSeconds: simSeconds.optional(),
  dial: block,
  latest: block,
  blocksDone: z.array(blockName),
  digits: z.array(z.string()),
  transferDest: z.string().optional(),
  transferStatus: outcome.optional(),
  transferRate: money.optional(),
  transferAnsweredSim: simSeconds.optional(),
  cursor: simSeconds,
});

const storedLeg = z.object({
  txnRef: z.string().min(1),
  kind: z.enum(['conference', 'ivr']),
  appId: z.string().min(1),
  dest: z.string(),
  room: z.string(),
  tag: z.string().optional(),
  callerId: z.string().optional(),
  notifyUrl: z.string().optional(),
  endpoint: z.string(),
  currency: z.string(),
  rate: money,
  plan: z.object({
    outcome,
    ringSeconds: simSeconds,
    talkSeconds: simSeconds,
    keys: z.string(),
    keyAfterSeconds: simSeconds,
    hangUpAfterSeconds: simSeconds.optional(),
    scripted: z.boolean(),
  }),
  state: z.enum(['ringing', 'answered', 'ended']),
  callStatus: outcome.optional(),
  muted: z.boolean(),
  dialedAt: epochMs,
  answeredAt: epochMs.optional(),
  endedAt: epochMs.optional(),
  answeredSim: simSeconds.optional(),
  minutes: count.optional(),
  debit: money.optional(),
  endedBy: z
    .enum(['completed', 'kick', 'hangup', 'callee', 'idle', 'max_duration', 'ivr_hangup', 'transfer_failed', 'restart'])
    .optional(),
  ivr: storedIvr.optional(),
});
type StoredLeg = z.infer<typeof storedLeg>;

const ledgerSchema = z.object({
  version: z.literal(VERSION),
  /** When it was written (real epoch ms) and the stopped process's simulated clock then. */
  savedAt: epochMs,
  simSeconds,
  txnSeq: count,
  roomSeq: count,
  sessionSeq: count,
  balances: z.record(z.string(), z.object({ points: money, bonus: money })),
  legs: z.array(storedLeg),
});
type StoredLedger = z.infer<typeof ledgerSchema>;

/** The state file could not be used; names the file and what is wrong, so nothing is silently started afresh. */
export class StateFileError extends Error {
  constructor(file: string, problem: string) {
    super(`Simulator state file ${file}: ${problem}`);
    this.name = 'StateFileError';
  }
}

/** Reads the ledger of an earlier run; undefined when the file does not exist yet (the first run). */
export function readStateFile(file: string): StoredLedger | undefined {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StateFileError(file, `cannot be read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(
      file,
      `is not valid JSON (${(error as Error).message}); move it away to start with an empty ledger`,
    );
  }
  const parsed = ledgerSchema.safeParse(json);
  if (!parsed.success) {
    throw new StateFileError(
      file,
      `is not a simulator ledger of version ${VERSION}: ${describeIssues(parsed.error).join('; ')}`,
    );
  }
  return parsed.data;
}

/**
 * Loads an earlier run's ledger into a fresh state: its legs, counters and balances. Returns what ends the calls
 * that were still up, as dropped at the time of the stop, sending their end notifications (docs/simulator.md): the
 * caller runs it once the simulator listens, so a start that fails on its port notifies no one.
 */
export function restoreLedger(state: SimulatorState, ledger: StoredLedger): () => void {
  const legs = ledger.legs.map(legFromStore);
  state.engine.restore({ txnSeq: ledger.txnSeq, roomSeq: ledger.roomSeq, sessionSeq: ledger.sessionSeq, legs });
  for (const [appId, balance] of Object.entries(ledger.balances)) {
    const account = state.accounts.get(appId);
    if (!account) continue;
    account.points = parseMoney(balance.points);
    account.bonus = parseMoney(balance.bonus);
  }
  return () => {
    for (const leg of legs) state.engine.endDropped(leg, ledger.simSeconds, ledger.savedAt);
  };
}

function captureLedger(state: SimulatorState): StoredLedger {
  const { txnSeq, roomSeq, sessionSeq, legs } = state.engine.snapshot();
  const balances: StoredLedger['balances'] = {};
  for (const account of state.accounts.all()) {
    balances[account.config.appId] = { points: formatMoney(account.points), bonus: formatMoney(account.bonus) };
  }
  return {
    version: VERSION,
    savedAt: Date.now(),
    simSeconds: state.clock.nowSeconds(),
    txnSeq,
    roomSeq,
    sessionSeq,
    balances,
    legs: legs.map(legToStore),
  };
}

/**
 * Writes the ledger at most every `delayMs` while it changes, and once more on close. Each write goes to a temporary
 * file that is then renamed over the old one, so a crash mid-write leaves the previous ledger whole.
 */
export class StateFileWriter {
  private pending: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly state: SimulatorState,
    private readonly delayMs = 200,
  ) {}

  /** Something may have changed: write soon. Many changes in a burst cost one write. */
  touch(): void {
    if (this.closed || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      try {
        this.write();
      } catch (error) {
        // A timer has no caller to throw to; the final write on close throws instead.
        console.error(`[simulator] ${(error as Error).message}`);
      }
    }, this.delayMs);
    this.pending.unref();
  }

  /** The last write, with every call as it is now; calls still up are ended by the next start. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pending);
    this.pending = undefined;
    this.write();
  }

  private write(): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify(captureLedger(this.state)));
      renameSync(temporary, this.file);
    } catch (error) {
      throw new StateFileError(this.file, `cannot be written (${(error as Error).message})`);
    }
  }
}

function legToStore(leg: Leg): StoredLeg {
  const { rate, debit, ivr, ...rest } = leg;
  return {
    ...rest,
    rate: formatMoney(rate),
    ...(debit === undefined ? {} : { debit: formatMoney(debit) }),
    ...(ivr === undefined
      ? {}
      : {
          ivr: {
            ...ivr,
            transferRate: ivr.transferRate === undefined ? undefined : formatMoney(ivr.transferRate),
          },
        }),
  };
}

function legFromStore(stored: StoredLeg): Leg {
  const { rate, debit, ivr, ...rest } = stored;
  return {
    ...rest,
    tag: stored.tag,
    callerId: stored.callerId,
    notifyUrl: stored.notifyUrl,
    callStatus: stored.callStatus,
    answeredAt: stored.answeredAt,
    endedAt: stored.endedAt,
    answeredSim: stored.answeredSim,
    minutes: stored.minutes,
    endedBy: stored.endedBy,
    plan: { ...stored.plan, hangUpAfterSeconds: stored.plan.hangUpAfterSeconds },
    rate: parseMoney(rate),
    debit: debit === undefined ? undefined : parseMoney(debit),
    ivr: ivr && {
      ...ivr,
      maxDurationSeconds: ivr.maxDurationSeconds,
      dial: blockFromStore(ivr.dial),
      latest: blockFromStore(ivr.latest),
      transferDest: ivr.transferDest,
      transferStatus: ivr.transferStatus,
      transferRate: ivr.transferRate === undefined ? undefined : parseMoney(ivr.transferRate),
      transferAnsweredSim: ivr.transferAnsweredSim,
    },
  };
}

function blockFromStore(stored: z.infer<typeof block>): IvrBlock {
  return { name: stored.name, tag: stored.tag, notifyUrl: stored.notifyUrl };
}
