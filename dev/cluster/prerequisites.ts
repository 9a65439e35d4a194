/**
 * What `npm run verify:cluster` runs on, found or built: PostgreSQL's server programs from Debian's packages, and the
 * Temporal server and its SQL schema tool built from the go.temporal.io/server module (through the Go module proxy,
 * the only way this project fetches them). Anything missing is named with the command that provides it.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_DIR } from '../stack/project-paths';
import { TEMPORAL_SERVER_VERSION } from './server-config';

export const CLUSTER_TOOLS_DIR = path.join(TOOLS_DIR, 'cluster');
export const SERVER_BINARY = path.join(CLUSTER_TOOLS_DIR, 'temporal-server');
export const SQL_TOOL_BINARY = path.join(CLUSTER_TOOLS_DIR, 'temporal-sql-tool');
const BUILD_MODULE_DIR = path.join(CLUSTER_TOOLS_DIR, 'build');

export interface Prerequisites {
  /** Directory of initdb, pg_ctl, postgres (Debian: /usr/lib/postgresql/<major>/bin). */
  pgBin: string;
  serverBinary: string;
  sqlTool: string;
}

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The newest Debian PostgreSQL with a server (initdb) installed, or PG_BIN_DIR when set. */
export function findPostgres(): string | undefined {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) {
    if (!isExecutable(path.join(fromEnv, 'initdb'))) {
      throw new Error(`PG_BIN_DIR=${fromEnv} has no executable initdb; unset it or point it at PostgreSQL's bin/`);
    }
    return fromEnv;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return majors.map((major) => path.join(root, major, 'bin')).find((bin) => isExecutable(path.join(bin, 'initdb')));
}

function run(command: string, args: string[], cwd: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    log(`$ ${command} ${args.join(' ')}`);
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with code ${code}`)),
    );
  });
}

const onPath = (name: string): boolean =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && isExecutable(path.join(dir, name)));

/**
 * Builds the server (cmd/server) and the schema tool (cmd/tools/sql) of go.temporal.io/server at the pinned version,
 * from a throwaway module that requires it: `go install module@version` refuses a module with replace directives.
 * Takes many minutes on two cores the first time; the binaries stay in .tools/cluster/ for later runs.
 */
export async function buildTemporalServer(log: (line: string) => void): Promise<void> {
  mkdirSync(BUILD_MODULE_DIR, { recursive: true });
  writeFileSync(path.join(BUILD_MODULE_DIR, 'go.mod'), 'module bridgekeeper.local/clusterbuild\n\ngo 1.24\n');
  writeFileSync(
    path.join(BUILD_MODULE_DIR, 'tools.go'),
    '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.temporal.io/server/cmd/server"\n\t_ "go.temporal.io/server/cmd/tools/sql"\n)\n',
  );
  await run('go', ['get', `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`], BUILD_MODULE_DIR, log);
  await run('go', ['mod', 'tidy'], BUILD_MODULE_DIR, log);
  await run('go', ['build', '-o', SERVER_BINARY, 'go.temporal.io/server/cmd/server'], BUILD_MODULE_DIR, log);
  await run('go', ['build', '-o', SQL_TOOL_BINARY, 'go.temporal.io/server/cmd/tools/sql'], BUILD_MODULE_DIR, log);
}

export async function resolvePrerequisites(
  options: { build: boolean },
  log: (line: string) => void,
): Promise<Prerequisites> {
  const missing: string[] = [];
  const pgBin = findPostgres();
  if (!pgBin) {
    missing.push(
      'PostgreSQL server programs (initdb, pg_ctl): `apt-get update && apt-get install -y postgresql` ' +
        '(Debian), or set PG_BIN_DIR to a PostgreSQL bin/ directory',
    );
  }
  const haveServer = isExecutable(SERVER_BINARY) && isExecutable(SQL_TOOL_BINARY);
  if (!haveServer) {
    if (options.build && onPath('go')) {
      log(`Temporal server ${TEMPORAL_SERVER_VERSION} not in ${CLUSTER_TOOLS_DIR}; building it with Go (many minutes)`);
      await buildTemporalServer(log);
    } else {
      const how = onPath('go')
        ? 'run `npm run verify:cluster -- --build`, which builds them with the Go on PATH'
        : 'install Go 1.25 or newer (https://go.dev/doc/install), then run `npm run verify:cluster -- --build`';
      missing.push(
        `the Temporal server ${TEMPORAL_SERVER_VERSION} and temporal-sql-tool in ${CLUSTER_TOOLS_DIR} ` +
          `(built from the go.temporal.io/server module): ${how}`,
      );
    }
  }
  if (missing.length > 0) throw new Error(`missing prerequisites:\n  - ${missing.join('\n  - ')}`);
  return { pgBin: pgBin!, serverBinary: SERVER_BINARY, sqlTool: SQL_TOOL_BINARY };
}
