import { optionsFromEnv } from './env-config';
import { startSimulator } from './index';

/** `npm run simulator`: the Hoiio simulator on its own, configured from the environment (see docs/simulator.md). */
async function main(): Promise<void> {
  const options = optionsFromEnv();
  const quiet = process.env.SIMULATOR_LOG === '0';
  const simulator = await startSimulator({
    ...options,
    log: quiet ? () => undefined : (line) => console.log(`[simulator] ${line}`),
  });
  const accounts = simulator.state.accounts.all().map((account) => account.config.appId);
  console.log(`Hoiio simulator listening on ${simulator.baseUrl} (accounts: ${accounts.join(', ')})`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`[simulator] ${signal}: shutting down`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
