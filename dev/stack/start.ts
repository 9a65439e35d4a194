import { randomUUID } from 'node:crypto';
import { formatSummary } from '../../src/cli/summary-table';
import { conferenceSession } from '../../src/workflows';
import { simGet } from '../simulator/inspection-client';
import type { SimCall } from '../simulator';
import { startEmbeddedStack, type EmbeddedStack } from './embedded-stack';
import { ledgerFigures } from './ledger-figures';
import { StackBuilder } from './stack-builder';

/**
 * `npm start`: the embedded stack plus a demo. `--once` exits after the demo (0 on success), `--no-demo` skips it.
 * Otherwise it runs until Ctrl-C or SIGTERM, and then stops every process it started.
 */
const args = new Set(process.argv.slice(2));
const once = args.has('--once');
const demo = !args.has('--no-demo');
const log = (message: string) => console.log(`[bridgekeeper] ${message}`);
const builder = new StackBuilder(log);

async function shutdown(code: number): Promise<never> {
  await builder.stop();
  process.exit(code);
}

/**
 * Signals this close to the previous one are the same request: a Ctrl-C reaches every process of the terminal's
 * group, and npm passes its copy on to us as well, so one key press arrives twice.
 */
const SAME_REQUEST_MS = 1_000;
let lastSignalAt: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Kept installed: a second Ctrl-C while stopping must not kill us before the dev server is down.
  process.on(signal, () => {
    const previous = lastSignalAt;
    lastSignalAt = Date.now();
    if (previous !== undefined) {
      if (lastSignalAt - previous >= SAME_REQUEST_MS) log(`${signal} received again; still stopping, please wait`);
      return;
    }
    log(`${signal} received, shutting down`);
    void shutdown(0);
  });
}

/** Two sessions at once with 20 participants between them: more than the account's 8 lines, so they share. */
async function runDemo(stack: EmbeddedStack): Promise<void> {
  const startedAt = Date.now();
  const run = randomUUID().slice(0, 8);
  const sessions = [
    { id: `demo-${run}-standup`, room: `standup_${run}`, participants: demoNumbers(12, 81_000_000) },
    { id: `demo-${run}-oncall`, room: `oncall_${run}`, participants: demoNumbers(8, 82_000_000) },
  ];
  log(
    `Demo: ${sessions.length} sessions, ${sessions.reduce((n, s) => n + s.participants.length, 0)} participants, one account of 8 lines`,
  );
  const results = await Promise.all(
    sessions.map(async (session) => {
      const handle = await stack.client.workflow.start(conferenceSession, {
        taskQueue: stack.taskQueue,
        workflowId: session.id,
        args: [{ participants: session.participants, room: session.room, tag: 'demo' }],
      });
      log(`Started ${session.id}: ${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${session.id}`);
      return { id: session.id, summary: await handle.result() };
    }),
  );
  for (const { id, summary } of results) {
    console.log(`\nCost summary of ${id}\n${formatSummary(summary)}`);
  }
  if (!stack.simulatorOrigin) return;
  // The ledger keeps earlier runs (docs/simulator.md, "State file"): count what this run dialed.
  const { calls } = await simGet<{ calls: SimCall[] }>(stack.simulatorOrigin, '/_sim/calls');
  const ours = calls.filter((call) => call.dialed_at !== null && Date.parse(call.dialed_at) >= startedAt);
  log(`The simulator's ledger for this run: ${ledgerFigures(ours)}`);
  // With --once the stack stops next, and a link would be dead.
  if (!once) log(`Every leg the simulator dialed: ${stack.simulatorOrigin}/_sim/calls`);
}

function demoNumbers(count: number, base: number): string[] {
  return Array.from({ length: count }, (_, i) => `+65${base + i + 1}`);
}

function portFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name}=${text} is not a port: expected a whole number from 1 to 65535`);
  }
  return port;
}

async function main(): Promise<void> {
  const unknown = [...args].filter((arg) => !['--once', '--no-demo'].includes(arg));
  if (unknown.length > 0) throw new Error(`Unknown option ${unknown.join(' ')}: expected --once and/or --no-demo`);
  const stack = await startEmbeddedStack(
    {
      log,
      temporalPort: portFromEnv('BRIDGEKEEPER_TEMPORAL_PORT', 7233),
      uiPort: portFromEnv('BRIDGEKEEPER_TEMPORAL_UI_PORT', 8233),
    },
    builder,
  );
  if (demo) await runDemo(stack);
  if (once) return shutdown(0);
  log(`Ready. Temporal UI: ${stack.uiUrl}. Try: npx bridgekeeper call +6591234567 +6591234568 --wait`);
  log('Press Ctrl-C to stop.');
}

main().catch(async (error: unknown) => {
  console.error(`[bridgekeeper] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
