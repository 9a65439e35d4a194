import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** A port nothing listens on right now, for real processes that need a fixed number. */
export { freePort } from '../../dev/chaos/processes';

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains the text; rejects if the process exits first or time runs out. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `detached`: the process leads a process group of its own, as a terminal's job does (signal it with -pid). */
export function startProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  { detached = false }: { detached?: boolean } = {},
): RunningProcess {
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const matches = (text: string | RegExp) => (typeof text === 'string' ? output.includes(text) : text.test(output));
  const waitFor = (text: string | RegExp, timeoutMs = 90_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`Timed out waiting for ${String(text)}. Output:\n${output}`)),
        timeoutMs,
      );
      const check = () => matches(text) && done();
      const done = (error?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      listeners.add(check);
      void exited.then(({ code }) => !matches(text) && done(new Error(`Exited ${code} first. Output:\n${output}`)));
      check();
    });
  return { child, output: () => output, waitFor, exited };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops what a test started as separate processes (worker, receiver) and then what they used (simulator, Temporal):
 * SIGTERM each and wait for its exit, so no process outlives its dev server.
 */
export async function stopProcesses(
  processes: readonly RunningProcess[],
  ...resources: ({ close(): Promise<void> } | { teardown(): Promise<void> } | undefined)[]
): Promise<void> {
  for (const running of processes) {
    running.child.kill('SIGTERM');
    await running.exited;
  }
  for (const resource of resources) {
    if (resource && 'close' in resource) await resource.close();
    else if (resource) await resource.teardown();
  }
}
