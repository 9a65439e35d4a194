import { mkdirSync } from 'node:fs';
import { resolveTemporalCli } from '../../dev/stack/temporal-cli';
import { TOOLS_DIR } from '../../dev/stack/project-paths';

// Resolve (and if need be install) the Temporal CLI once, before test files race to do it in parallel.
export default async function globalSetup(): Promise<void> {
  mkdirSync(TOOLS_DIR, { recursive: true });
  process.env.TEMPORAL_CLI_PATH = await resolveTemporalCli((message) => console.log(message));
}
