/**
 * A throwaway PostgreSQL cluster for verify:cluster: initdb into the run's directory, the postmaster on 127.0.0.1 and
 * a free port, password auth over TCP. initdb and postgres refuse to run as root, so as root (CI and these machines)
 * both run as the `postgres` user that Debian's package creates, through runuser; as anyone else they run as is.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, type ManagedProcess, type ProcessRegistry } from '../chaos/processes';

export interface Postgres {
  port: number;
  user: string;
  password: string;
  version: string;
  process: ManagedProcess;
}

const USER = 'temporal';

interface RunAs {
  /** [command, args] that run `binary args` as this user. */
  command: (binary: string, args: string[]) => [string, string[]];
  uid?: number;
  gid?: number;
}

/** As root: run as the `postgres` account (uid and gid), else as ourselves. */
function runAs(): RunAs {
  if (process.getuid?.() !== 0) return { command: (binary, args) => [binary, args] };
  const info = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (info.status !== 0 || group.status !== 0) {
    throw new Error(
      'running as root, PostgreSQL must run as another user and there is no `postgres` user: ' +
        'install Debian `postgresql` (it creates one) or run verify:cluster as a non-root user',
    );
  }
  return {
    command: (binary, args) => ['runuser', ['-u', 'postgres', '--', binary, ...args]],
    uid: Number(info.stdout),
    gid: Number(group.stdout),
  };
}

export async function startPostgres(options: {
  pgBin: string;
  dir: string;
  registry: ProcessRegistry;
  log: (line: string) => void;
}): Promise<Postgres> {
  const { pgBin, dir, registry } = options;
  const as = runAs();
  const pgDir = path.join(dir, 'postgres');
  const dataDir = path.join(pgDir, 'data');
  mkdirSync(pgDir, { recursive: true });
  // The postgres user must reach its directory inside our (private) run directory.
  chmodSync(dir, 0o711);
  const password = `verify-${process.pid}-${Date.now().toString(36)}`;
  const pwFile = path.join(pgDir, 'pwfile');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (as.uid !== undefined && as.gid !== undefined) {
    chownSync(pgDir, as.uid, as.gid);
    chownSync(pwFile, as.uid, as.gid);
  }
  const initdb = spawnSync(
    ...as.command(path.join(pgBin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      USER,
      `--pwfile=${pwFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
    ]),
    { encoding: 'utf8', cwd: os.tmpdir() },
  );
  if (initdb.status !== 0) throw new Error(`initdb failed (exit ${initdb.status}):\n${initdb.stderr}${initdb.stdout}`);

  const port = await freePort();
  const postgresArgs = ['-D', dataDir, '-h', '127.0.0.1', '-p', String(port), '-k', dataDir];
  const [command, args] = as.command(path.join(pgBin, 'postgres'), postgresArgs);
  const child = registry.start('postgres', path.join(dir, 'postgres.log'), command, args, process.env);
  await child.waitForLog('database system is ready to accept connections', 60_000);
  const version = spawnSync(path.join(pgBin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  options.log(`${version} on 127.0.0.1:${port} (data ${dataDir})`);
  return { port, user: USER, password, version, process: child };
}
