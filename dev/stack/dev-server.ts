import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { assertPortFree } from './ports';
import { DATA_DIR } from './project-paths';
import type { Log } from './temporal-cli';

export interface DevServerOptions {
  cliPath: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  /** SQLite file, so workflows survive a restart of the stack. */
  dbFile?: string;
  log?: Log;
  readyTimeoutMs?: number;
  /**
   * Called as soon as the process exists, before it is ready: a caller that is interrupted while waiting (Ctrl-C
   * during start-up) can still stop it.
   */
  onSpawn?: (stop: () => Promise<void>) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

interface PidFile {
  serverPid: number;
  ownerPid: number;
}

const PID_FILE = path.join(DATA_DIR, 'temporal.pid');

/**
 * Starts `temporal server start-dev` on 127.0.0.1 and resolves once it answers gRPC. The server runs in its own
 * process group so that a Ctrl-C reaches our shutdown code first: workers drain while the server is still up.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  const namespace = options.namespace ?? 'default';
  const log = options.log ?? (() => undefined);
  mkdirSync(DATA_DIR, { recursive: true });
  const dbFile = options.dbFile ?? path.join(DATA_DIR, 'temporal.db');
  const logFile = path.join(DATA_DIR, 'temporal.log');

  await reclaimOrphan(log);
  const hint = 'Is another Temporal server or `npm start` running? Stop it, or choose other ports.';
  await assertPortFree(port, 'Temporal frontend', hint);
  await assertPortFree(uiPort, 'Temporal UI', hint);

  const logFd = openSync(logFile, 'a');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort)];
  args.push('--namespace', namespace, '--db-filename', dbFile, '--log-level', 'warn');
  const child = spawn(options.cliPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Could not start ${options.cliPath}: no process was created`);
  writePidFile({ serverPid: pid, ownerPid: process.pid });
  // However we exit, a server that is down must not leave its pid file to the next start (one that is still up
  // keeps it: the next start stops that orphan by it).
  process.once('exit', () => {
    if (exitCode !== undefined || !isAlive(pid)) removePidFile(pid);
  });

  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve();
    }),
  );

  const address = `127.0.0.1:${port}`;
  const stopServer = async (): Promise<void> => {
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!stopped) {
        log(`Temporal dev server (pid ${pid}) ignored SIGTERM for 15 s; killing it`);
        child.kill('SIGKILL');
        await exited;
      }
    }
    removePidFile(pid);
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopServer());
  options.onSpawn?.(stop);

  try {
    await waitUntilReady(address, namespace, options.readyTimeoutMs ?? 60_000, () => exitCode !== undefined);
  } catch (error) {
    await stop();
    const tail = readTail(logFile);
    throw new Error(`${(error as Error).message}\nLast lines of ${logFile}:\n${tail}`);
  }
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, pid, logFile, stop };
}

async function waitUntilReady(address: string, namespace: string, timeoutMs: number, hasExited: () => boolean) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited()) throw new Error('The Temporal dev server exited while starting');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `The Temporal dev server did not answer on ${address} within ${timeoutMs} ms: ${String(error)}`,
        );
      }
      await sleep(200);
    }
  }
}

/**
 * A stack killed with SIGKILL leaves its dev server running. If the process that started it is gone, stop the
 * orphan; if that process is alive, another `npm start` owns it and we must not start a second one.
 */
async function reclaimOrphan(log: Log): Promise<void> {
  const recorded = readPidFile();
  if (!recorded) return;
  assertNoRunningStack();
  if (isAlive(recorded.serverPid) && isTemporal(recorded.serverPid)) {
    log(`Stopping a Temporal dev server (pid ${recorded.serverPid}) left behind by an earlier run`);
    process.kill(recorded.serverPid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isAlive(recorded.serverPid) && Date.now() < deadline) await sleep(100);
    if (isAlive(recorded.serverPid)) process.kill(recorded.serverPid, 'SIGKILL');
  }
  rmSync(PID_FILE, { force: true });
}

/**
 * Fails, naming the owning process (pid and command), when another `npm start` on this data directory is running.
 * Checked before any port: its ports are busy too, and the owner is what the user needs to find.
 */
export function assertNoRunningStack(): void {
  const recorded = readPidFile();
  if (!recorded || recorded.ownerPid === process.pid) return;
  if (!isAlive(recorded.ownerPid) || !isStack(recorded.ownerPid)) return;
  const command = commandLineOf(recorded.ownerPid);
  throw new Error(
    `bridgekeeper's stack is already running: process ${recorded.ownerPid}` +
      `${command ? ` (${command})` : ''} owns the Temporal dev server ${recorded.serverPid} and ${DATA_DIR}. ` +
      `Stop it with Ctrl-C in its terminal or \`kill ${recorded.ownerPid}\`.`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The recorded owner is still an `npm start` (not some process that got its pid after a reboot). */
function isStack(pid: number): boolean {
  return commandLineIncludes(pid, 'stack/start');
}

function isTemporal(pid: number): boolean {
  return commandLineIncludes(pid, 'start-dev');
}

function commandLineIncludes(pid: number, text: string): boolean {
  const command = commandLineOf(pid);
  // Without /proc and with no answer from ps, trust the pid file.
  if (command === undefined) return !existsSync('/proc');
  return command.includes(text);
}

/** The process's command line from /proc, else from `ps` (macOS); undefined if neither tells. */
function commandLineOf(pid: number): string | undefined {
  try {
    if (existsSync('/proc')) return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function readPidFile(): PidFile | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(PID_FILE, 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
}

function writePidFile(content: PidFile): void {
  writeFileSync(PID_FILE, JSON.stringify(content));
}

function removePidFile(serverPid: number): void {
  if (readPidFile()?.serverPid === serverPid) rmSync(PID_FILE, { force: true });
}

function readTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
