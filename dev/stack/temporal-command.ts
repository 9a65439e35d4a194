import { spawn } from 'node:child_process';
import { resolveTemporalCli } from './temporal-cli';

/**
 * `npm run temporal -- <args>`: the Temporal CLI for people who have not installed it, pointed at the embedded dev
 * server unless TEMPORAL_ADDRESS says otherwise.
 */
async function main(): Promise<void> {
  const cli = await resolveTemporalCli((message) => console.error(message));
  const env = { ...process.env, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' };
  const child = spawn(cli, process.argv.slice(2), { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
