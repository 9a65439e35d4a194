/**
 * The chaos suite's child processes: each runs in its own process group with its output in a log file, can be
 * signalled and awaited, and is killed (SIGKILL to the whole group) when the suite stops for any reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  /** Set before we signal the process on purpose, so an exit we caused is not reported as a crash. */
  expectExit = false;

  constructor(
    readonly name: string,
    readonly logFile: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    const fd = openSync(logFile, 'a');
    this.child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env,
      detached: true, // own process group: a Ctrl-C at the terminal reaches the suite, which stops it in order
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
    this.child.once('error', () => undefined);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 20): string {
    return this.log().trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Signals the process itself (not its group): what a deploy or the OOM killer does to a worker. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGKILL to the whole group, synchronously: safe in an 'exit' handler. */
  killGroup(): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // No such group any more.
    }
  }

  /** Signals, waits up to `graceMs`, then SIGKILLs the group. Resolves with how it ended. */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<ExitInfo & { forced: boolean }> {
    this.expectExit = true;
    if (!this.running) {
      this.killGroup();
      return { ...(await this.exited), forced: false };
    }
    this.signal(signal);
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) this.killGroup();
    const info = await this.exited;
    // Anything the process left in its group (it should have none) goes too.
    this.killGroup();
    return { ...info, forced: !done };
  }

  /** Resolves once the log contains `text`; rejects if the process exits first or the time runs out. */
  async waitForLog(text: string | RegExp, timeoutMs: number, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const matches = () => {
      const log = this.log().slice(from);
      return typeof text === 'string' ? log.includes(text) : text.test(log);
    };
    for (;;) {
      if (matches()) return;
      if (!this.running) throw new Error(`${this.name} exited before it logged ${String(text)}:\n${this.tail()}`);
      if (Date.now() > deadline) {
        throw new Error(`${this.name} did not log ${String(text)} within ${timeoutMs / 1000} s:\n${this.tail()}`);
      }
      await sleep(100);
    }
  }
}

/** Every process the suite started, so that one call (or the 'exit' handler) can kill whatever is left. */
export class ProcessRegistry {
  private readonly all = new Set<ManagedProcess>();

  start(name: string, logFile: string, command: string, args: string[], env: NodeJS.ProcessEnv): ManagedProcess {
    const managed = new ManagedProcess(name, logFile, command, args, env);
    this.all.add(managed);
    void managed.exited.then(() => this.all.delete(managed));
    return managed;
  }

  /** Processes still running (by name), for the final check that nothing is left behind. */
  alive(): string[] {
    return [...this.all].filter((p) => p.running).map((p) => `${p.name} (pid ${p.pid})`);
  }

  killAll(): void {
    for (const managed of this.all) managed.killGroup();
  }
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
