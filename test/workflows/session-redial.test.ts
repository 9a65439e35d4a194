/**
 * Dialing a participant again whose leg has ended (`redial`), the reason given to `end` in the summary, and
 * `call --id` of a finished session: the real stack (a Temporal dev server, the simulator and the receiver over HTTP,
 * a production worker), the workflow driven both through its messages and through the real CLI as a child process.
 */
import { E164_RULE } from '../../src/domain/hoiio-rules';
import { formatMoney, parseMoney, sumMoney } from '../../src/domain/money';
import type { SessionStatus, SessionSummary } from '../../src/domain/session-types';
import type { conferenceSession } from '../../src/workflows';
import { endUpdate, kickUpdate, redialUpdate } from '../../src/workflows/messages';
import { runCli } from '../cli/run-cli';
import { cliEnvFor, startSessionStack, type SessionStack } from '../support/session-stack';
import { uniqueId } from '../support/temporal-test-env';
import { LONG_CALL, expectSummaryMatchesLedger, numbers, resetSimulator, sessionKit } from './support/session-kit';

/** Answered, then the participant hangs up by themselves after half a simulated minute. */
const SHORT_CALL = { outcome: 'answered', ringSeconds: 1, talkSeconds: 30 } as const;

let stack: SessionStack;

beforeAll(async () => {
  // 600x: a simulated minute of talk passes in 0.1 s.
  stack = await startSessionStack({ timeScale: 600, seed: 11 });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => resetSimulator(stack));

/** Sessions a failed test left running would hold permits the next test needs: cancelled, they give them back. */
const sessions: string[] = [];
afterEach(async () => {
  for (const id of sessions.splice(0)) {
    const handle = stack.env.client.workflow.getHandle(id);
    if ((await handle.describe()).status.name !== 'RUNNING') continue;
    await handle.cancel();
    await handle.result().catch(() => undefined);
  }
});

const kit = sessionKit(() => stack);
const { ledger, waitForStatus } = kit;
const startSession: typeof kit.startSession = async (input) => {
  const handle = await kit.startSession(input);
  sessions.push(handle.workflowId);
  return handle;
};

/** The participant's legs in the simulator's ledger, and what they cost there, summed exactly. */
async function billedLegs(number: string) {
  const legs = (await ledger()).calls.filter((call) => call.dest === number);
  return { legs, debit: formatMoney(sumMoney(legs.map((leg) => parseMoney(leg.debit ?? '0')))) };
}

function participant(summary: SessionSummary, number: string) {
  return summary.participants.find((p) => p.number === number)!;
}

describe('redial', () => {
  it('dials a kicked and a dropped participant again; the summary counts every leg to the thousandth', async () => {
    const [host, kicked, dropped] = numbers(3, 81_000_000);
    await stack.simPost('/_sim/config', {
      scripts: { [host!]: LONG_CALL, [kicked!]: LONG_CALL, [dropped!]: [SHORT_CALL, LONG_CALL] },
    });
    const handle = await startSession({ participants: [host!, kicked!, dropped!] });
    await waitForStatus(
      handle,
      (status) => status.activeLegs === 2 && status.participants.some((p) => p.number === dropped && p.minutes > 0),
    );
    await handle.executeUpdate(kickUpdate, { args: [{ number: kicked! }] });
    await waitForStatus(handle, (status) => status.activeLegs === 1);

    expect(await handle.executeUpdate(redialUpdate, { args: [{ number: kicked! }] })).toEqual({ queued: kicked });
    expect(await handle.executeUpdate(redialUpdate, { args: [{ number: dropped! }] })).toEqual({ queued: dropped });
    // Both back in the room, each on a second leg that has been billed a minute at least.
    await waitForStatus(
      handle,
      (status) =>
        status.activeLegs === 3 &&
        status.participants.filter((p) => p.txnRefs.length === 2 && p.status === 'in-call').length === 2,
    );
    await handle.executeUpdate(endUpdate, { args: [{ reason: 'wrap-up' }] });
    const summary = await handle.result();
    const { calls } = await ledger();

    expectSummaryMatchesLedger(summary, calls);
    for (const number of [kicked!, dropped!]) {
      const { legs, debit } = await billedLegs(number);
      expect(legs).toHaveLength(2);
      expect(legs.every((leg) => parseMoney(leg.debit ?? '0') > 0)).toBe(true);
      expect(participant(summary, number)).toMatchObject({
        status: 'answered',
        attempts: 2,
        txnRefs: legs.map((leg) => leg.txn_ref),
        debit,
      });
    }
    // The kick belonged to the first leg: the second one was ended by `end`, not kicked.
    expect(participant(summary, kicked!).reason).toBeUndefined();
    expect(summary.legs.total).toBe(5);
    expect(summary.endedBy).toBe('end-request');
    expect(summary.endReason).toBe('wrap-up');
  });

  it('respects the automatic redial cap: a manual redial counts as an attempt and is not redialed automatically', async () => {
    const [host, busy] = numbers(2, 81_500_000);
    await stack.simPost('/_sim/config', { scripts: { [host!]: LONG_CALL, [busy!]: { outcome: 'busy' } } });
    const handle = await startSession({
      participants: [host!, busy!],
      redial: { busy: { attempts: 1, delaySeconds: 0 } },
    });
    const busyAfter = (attempts: number) => (status: SessionStatus) =>
      status.participants.some((p) => p.number === busy && p.status === 'busy' && p.attempts === attempts);
    // The first try and its one automatic redial: the cap is used up.
    await waitForStatus(handle, busyAfter(2));

    await handle.executeUpdate(redialUpdate, { args: [{ number: busy! }] });
    // Busy again, and final: not `redial-wait`, so no automatic redial follows the manual one.
    await waitForStatus(handle, busyAfter(3));
    await handle.executeUpdate(endUpdate, { args: [{}] });
    const summary = await handle.result();
    const { legs, debit } = await billedLegs(busy!);

    expect(legs.map((leg) => leg.call_status_dest)).toEqual(['busy', 'busy', 'busy']);
    expect(participant(summary, busy!)).toMatchObject({ status: 'busy', attempts: 3, debit });
    expectSummaryMatchesLedger(summary, (await ledger()).calls);
  });

  it('refuses, naming the number and the rule: not in the session, live, queued, waiting to redial, session ending', async () => {
    // Nine long calls: the room holds 8, so the ninth waits in the queue.
    const inRoom = numbers(8, 82_000_000);
    const [ninth, busy] = numbers(2, 82_100_000);
    await stack.simPost('/_sim/config', {
      scripts: {
        ...Object.fromEntries([...inRoom, ninth!].map((number) => [number, LONG_CALL])),
        [busy!]: { outcome: 'busy' },
      },
    });
    const handle = await startSession({
      participants: [busy!, ...inRoom, ninth!],
      redial: { busy: { attempts: 1, delaySeconds: 86_400 } },
      // Nothing is polled while the test looks at the session ending.
      notificationGraceSeconds: 3_600,
    });
    await waitForStatus(
      handle,
      (status) =>
        status.activeLegs === 8 &&
        status.participants.find((p) => p.number === busy)?.status === 'redial-wait' &&
        status.participants.find((p) => p.number === ninth)?.status === 'queued',
    );
    const refusal = async (number: unknown) =>
      await handle.executeUpdate(redialUpdate, { args: [{ number } as { number: string }] }).then(
        () => 'accepted',
        (error: { cause?: { message?: string } }) => error.cause?.message,
      );

    expect(await refusal('+6599999999')).toBe(
      '+6599999999 is not a participant of this session: use addParticipants to dial a new number',
    );
    expect(await refusal(inRoom[0])).toBe(
      `${inRoom[0]} still has a live call: only a participant whose call has ended can be redialed`,
    );
    expect(await refusal(ninth)).toBe(
      `${ninth} is queued for dialing already: only a participant whose call has ended can be redialed`,
    );
    expect(await refusal(busy)).toBe(
      `${busy} is waiting for an automatic redial already: only a participant whose call has ended can be redialed`,
    );
    expect(await refusal(42)).toBe(`number 42: ${E164_RULE}`);

    // Ending: every end notification is dropped, so the session stays `ending` until it is cancelled.
    await stack.simPost('/_sim/config', { faults: { notifications: { dropRate: 1 } } });
    await handle.executeUpdate(endUpdate, { args: [{}] });
    await waitForStatus(handle, (status) => status.phase === 'ending');
    expect(await refusal(inRoom[0])).toBe(`The session is ending: ${inRoom[0]} cannot be redialed`);

    // A refused update leaves no trace in history, and nothing more was dialed.
    const history = await handle.fetchHistory();
    const updates = (history.events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes);
    expect(
      updates.map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name),
    ).toEqual(['end']);
    expect((await ledger()).calls).toHaveLength(9);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
  });
});

describe('bridgekeeper CLI on the real stack', () => {
  it('redial, add pointing to redial, end --reason in the summary, call --id of a finished session', async () => {
    const cliEnv: NodeJS.ProcessEnv = cliEnvFor(stack);
    const [host, dropped] = numbers(2, 83_000_000);
    await stack.simPost('/_sim/config', { scripts: { [host!]: LONG_CALL, [dropped!]: [SHORT_CALL, LONG_CALL] } });
    const id = uniqueId('cli-redial');
    sessions.push(id);
    const started = await runCli(['call', host!, dropped!, '--id', id], cliEnv);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const handle = stack.env.client.workflow.getHandle<typeof conferenceSession>(id);
    const firstRunId = (await handle.describe()).runId;
    await waitForStatus(
      handle,
      (status) => status.participants.find((p) => p.number === dropped)?.status === 'answered',
    );

    // A running id stays refused, --force or not.
    const running = await runCli(['call', host!, '--id', id, '--force'], cliEnv);
    expect(running.code).toBe(1);
    expect(running.stderr).toBe(`bridgekeeper: workflow ${id} already exists: pick another --id\n`);

    const add = await runCli(['add', id, dropped!], cliEnv);
    expect(add.code).toBe(0);
    expect(add.stdout).toBe(
      `added nothing: ${dropped} is already in the session and its call has ended: ` +
        `\`bridgekeeper redial ${id} ${dropped}\` dials it again\n`,
    );

    const badNumber = await runCli(['redial', id, '+65abc'], cliEnv);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain('"+65abc": must be E.164');
    const live = await runCli(['redial', id, host!], cliEnv);
    expect(live.code).toBe(1);
    expect(live.stderr).toBe(
      `bridgekeeper: rejected by workflow ${id}: ${host} still has a live call: ` +
        'only a participant whose call has ended can be redialed\n',
    );
    const redial = await runCli(['redial', id, dropped!], cliEnv);
    expect(redial.stderr).toBe('');
    expect(redial.code).toBe(0);
    expect(redial.stdout).toBe(`queued ${dropped} to be dialed again\n`);
    await waitForStatus(handle, (status) =>
      status.participants.some((p) => p.number === dropped && p.txnRefs.length === 2 && p.status === 'in-call'),
    );

    const end = await runCli(['end', id, '--reason', 'agenda done'], cliEnv);
    expect(end.code).toBe(0);
    const summary = await runCli(['summary', id], cliEnv);
    expect(summary.code).toBe(0);
    const firstLine = summary.stdout.split('\n')[0]!;
    expect(firstLine).toContain(' | end-request: agenda done | ');
    const { legs, debit } = await billedLegs(dropped!);
    expect(legs).toHaveLength(2);
    const row = summary.stdout.split('\n').find((line) => line.includes(dropped!))!;
    expect(row).toContain(`${legs[0]!.txn_ref}, ${legs[1]!.txn_ref}`);
    expect(row).toContain(` ${debit} `);

    // The session has finished: the same id is refused, saying so, when, and how to run it again.
    const { closeTime } = await handle.describe();
    const again = await runCli(['call', host!, '--id', id], cliEnv);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      `bridgekeeper: workflow ${id} has run already and finished (completed) at ${closeTime!.toISOString()}: ` +
        'add --force to start a new run with this id, or pick another --id\n',
    );
    expect((await handle.describe()).runId).toBe(firstRunId);

    const forced = await runCli(['call', host!, '--id', id, '--force'], cliEnv);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe(`${id}\n`);
    const rerun = await handle.describe();
    expect(rerun.runId).not.toBe(firstRunId);
    expect(rerun.status.name).toBe('RUNNING');
    await waitForStatus(handle, (status) => status.activeLegs === 1);
    await handle.executeUpdate(endUpdate, { args: [{}] });
    expect((await handle.result()).endReason).toBeUndefined();
  });
});
