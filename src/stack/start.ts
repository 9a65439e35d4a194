import { hello } from '../workflows';
import { StackBuilder, startEmbeddedStack, type EmbeddedStack } from './embedded-stack';

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

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal} received, shutting down`);
    void shutdown(0);
  });
}

async function runDemo(stack: EmbeddedStack): Promise<void> {
  const workflowId = `hello-${Date.now()}`;
  const result = await stack.client.workflow.execute(hello, {
    taskQueue: stack.taskQueue,
    workflowId,
    args: ['bridgekeeper'],
  });
  log(`Workflow ${workflowId} completed: ${result}`);
  log(`See its history at ${stack.uiUrl}/namespaces/${stack.namespace}/workflows/${workflowId}`);
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
  log(`Ready. Temporal UI: ${stack.uiUrl}. Press Ctrl-C to stop.`);
}

main().catch(async (error: unknown) => {
  console.error(`[bridgekeeper] ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
