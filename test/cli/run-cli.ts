import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'bridgekeeper.cjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI child that keeps running while the test acts: its result, and a wait for a pattern in its stdout. */
export interface RunningCli {
  done: Promise<CliRun>;
  /** Resolves once stdout matches `pattern`; rejects if the CLI exits first. */
  sawOutput(pattern: RegExp): Promise<void>;
}

/** Runs the real CLI the way a user would, with the given extra environment. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Starts the real CLI and returns at once, for commands that wait (`page --wait`) while the test does more. */
export function startCli(args: string[], env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<{ pattern: RegExp; resolve: () => void }>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const watcher of watchers) {
      if (!watcher.pattern.test(stdout)) continue;
      watchers.delete(watcher);
      watcher.resolve();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    done,
    sawOutput: (pattern) =>
      pattern.test(stdout)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => watchers.add({ pattern, resolve })),
            done.then((run) => {
              throw new Error(`the CLI exited (${run.code}) before printing ${pattern}:\n${run.stdout}${run.stderr}`);
            }),
          ]),
  };
}
