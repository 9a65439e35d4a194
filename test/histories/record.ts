/**
 * Records the histories that `test/workflows/replay.test.ts` replays: a few sessions, escalations and the call budget, run by the
 * current release on a throwaway stack. Run it when a release ships (`npm run histories:record`), and keep the
 * recordings of every release whose workflows may still be running: a change that replays any of them differently
 * would break those runs in production, and fails `npm test` instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startLocalStack } from '../../dev/stack/local-stack';
import { resolveTemporalCli } from '../../dev/stack/temporal-cli';
import { conferenceSession, escalation } from '../../src/workflows';
import {
  callBudgetWorkflowId,
  endUpdate,
  kickUpdate,
  muteUpdate,
  redialUpdate,
  statusQuery,
} from '../../src/workflows/messages';
import { version } from '../../package.json';

const talk = (seconds: number) => ({ outcome: 'answered', ringSeconds: 1, talkSeconds: seconds });

async function main(): Promise<void> {
  const out = join(__dirname, version);
  mkdirSync(out, { recursive: true });
  const stack = await startLocalStack({ simulator: { timeScale: 600, seed: 3 } });
  try {
    const client = stack.env.client;
    const start = (id: string, input: Parameters<typeof conferenceSession>[0]) =>
      client.workflow.start(conferenceSession, { taskQueue: stack.taskQueue, workflowId: id, args: [input] });
    const numbers = (n: number, base: number) => Array.from({ length: n }, (_, i) => `+65${base + i}`);

    await stack.simPost('/_sim/config', {
      scripts: {
        ...Object.fromEntries(numbers(14, 81_000_000).map((n) => [n, talk(120)])),
        '+6581100000': { outcome: 'busy' },
        '+6581100001': { outcome: 'unanswered' },
        ...Object.fromEntries(numbers(3, 81_200_000).map((n) => [n, talk(86_400)])),
        // maxCost: a 2-minute leg (0.040) passes the cap of 0.030 while the long one is still up.
        '+6581400000': talk(120),
        '+6581400001': talk(86_400),
        // Escalation responders: no answer, then a keypress that takes the incident; one who never presses.
        '+6581300000': { outcome: 'unanswered' },
        '+6581300001': { outcome: 'answered', ringSeconds: 2, keys: '1', keyAfterSeconds: 3, talkSeconds: 60 },
        '+6581300002': talk(60),
        '+6581300003': { outcome: 'answered', ringSeconds: 2 },
      },
      // A call between blocks waits 5 real seconds before the simulator hangs it up: room for the round trips.
      timing: { ivrIdleSeconds: 3_000 },
    });
    const page = (id: string, input: Omit<Parameters<typeof escalation>[0], 'incident'>) =>
      client.workflow.start(escalation, {
        taskQueue: stack.taskQueue,
        workflowId: `escalation:${id}`,
        args: [{ incident: { id, title: 'Recorded incident' }, ...input }],
      });
    const escalations = [
      // Step 1 unanswered, step 2 acknowledged by keypress: transfer and alsoDial.
      await page('replay-ack', {
        policy: {
          steps: [
            { notify: ['+6581300000'], waitSeconds: 30 },
            { notify: ['+6581300001'], waitSeconds: 30 },
          ],
        },
        bridge: { room: 'replay_ack', alsoDial: ['+6581300002'] },
      }),
      // Nobody presses: repeats until its cost bound, continuing as new between passes.
      await page('replay-repeat', {
        policy: {
          steps: [{ notify: ['+6581300003'], waitSeconds: 30 }],
          repeat: 'until-acknowledged',
          maxCost: '0.040',
        },
        bridge: { room: 'replay_repeat' },
      }),
    ];
    const sessions = [
      // Batches over the room's 8 places, a busy redial, an unanswered leg, and a continue-as-new.
      await start('replay-batches', { participants: numbers(14, 81_000_000), messagesPerRun: 10 }),
      await start('replay-redial', {
        participants: ['+6581100000', '+6581100001'],
        redial: { busy: { attempts: 1, delaySeconds: 1 } },
      }),
      await start('replay-end', { participants: numbers(3, 81_200_000) }),
      // Pre-flight before the first dial, and the session ended at its cost cap.
      await start('replay-max-cost', { participants: numbers(2, 81_400_000), maxCost: { SGD: '0.030' } }),
    ];
    const ending = sessions[2]!;
    const activeLegs = async (count: number) => {
      while ((await ending.query(statusQuery)).activeLegs !== count) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // Kicked, redialed by hand, muted, then ended with a reason: the moderation updates in one history.
    const [kicked, muted] = numbers(3, 81_200_000);
    await activeLegs(3);
    await ending.executeUpdate(kickUpdate, { args: [{ number: kicked! }] });
    await activeLegs(2);
    await ending.executeUpdate(redialUpdate, { args: [{ number: kicked! }] });
    await activeLegs(3);
    await ending.executeUpdate(muteUpdate, { args: [{ number: muted! }] });
    await ending.executeUpdate(endUpdate, { args: [{ reason: 'recorded' }] });
    await Promise.all([...sessions, ...escalations].map((handle) => handle.result()));

    const budget = client.workflow.getHandle(callBudgetWorkflowId(stack.hoiio.default.appId));
    const recorded = [...[...sessions, ...escalations].map((handle) => handle.workflowId), budget.workflowId];
    // Visibility lags behind: give it time to list every run, continued-as-new ones included.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // The CLI writes histories in the JSON form `historyFromJSON` reads (and `temporal workflow show` users know).
    const cli = await resolveTemporalCli();
    const run = promisify(execFile);
    for (const workflowId of recorded) {
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        const args = ['workflow', 'show', '--address', stack.env.address, '-w', workflowId, '-r', execution.runId];
        const { stdout } = await run(cli, [...args, '-o', 'json'], { maxBuffer: 64 * 1024 * 1024 });
        const name = `${workflowId.replace(/[^a-z0-9-]/gi, '_')}-${execution.runId}.json`;
        writeFileSync(join(out, name), stdout);
        const events = (JSON.parse(stdout) as { events?: unknown[] }).events?.length ?? 0;
        console.log(`recorded ${join(version, name)} (${events} events)`);
      }
    }
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
