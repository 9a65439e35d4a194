import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/processes';

/**
 * The Dockerfile, read statically (no Docker engine on CI machines): a build stage that makes dist/ with the same
 * `npm run build` that test/e2e/build.test.ts runs and then starts with plain node, and a small runtime stage with
 * production dependencies only, run by a user other than root.
 */
const DOCKERFILE = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  body: Instruction[];
}

/** Instructions with their continuation lines joined, comments dropped; ARGs before the first FROM resolved. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op, rest] = /^(\S+)\s+(.*)$/.exec(line)!;
    const instruction = { op: op!.toUpperCase(), args: rest! };
    if (instruction.op === 'FROM') {
      const [image, , name] = instruction.args.split(/\s+/);
      const from = image!.replace(/\$\{(\w+)\}/g, (_m, arg: string) => args[arg] ?? `\${${arg}}`);
      stages.push({ from, name, body: [] });
    } else if (stages.length === 0 && instruction.op === 'ARG') {
      const [key, value] = instruction.args.split('=');
      args[key!] = value ?? '';
    } else {
      stages.at(-1)?.body.push(instruction);
    }
  }
  return { args, stages };
}

const { stages } = parseDockerfile(DOCKERFILE);
const runs = (stage: Stage) => stage.body.filter((i) => i.op === 'RUN').map((i) => i.args);

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage, both on a pinned Node 20 slim image', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    for (const stage of stages) expect(stage.from).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
  });

  it('builds dist/ with `npm ci` and the same `npm run build` as the build test', () => {
    const build = stages[0]!;
    expect(runs(build)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && tsx src/bundle-workflows.ts');
    expect(readFileSync(path.join(PROJECT_ROOT, 'test', 'e2e', 'build.test.ts'), 'utf8')).toContain(
      "spawnSync('npm', ['run', '--silent', 'build']",
    );
    // What it copies in exists, and is all the build reads.
    const copied = build.body.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(copied.filter((file) => !existsSync(path.join(PROJECT_ROOT, file)))).toEqual([]);
  });

  it('runs as a user other than root, with production dependencies and the build stage’s dist/ only', () => {
    const runtime = stages[1]!;
    const users = runtime.body.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    expect(runs(runtime)[0]).toMatch(/^npm ci --omit=dev\b/);
    expect(runtime.body).toContainEqual({ op: 'COPY', args: '--from=build /app/dist ./dist' });
    expect(runtime.body.filter((i) => i.op === 'COPY' && /\bsrc\b/.test(i.args))).toEqual([]);
  });

  it('starts the worker by default; the receiver and the CLI are the same image with another command', () => {
    const runtime = stages[1]!;
    expect(runtime.body.filter((i) => i.op === 'CMD').map((i) => i.args)).toEqual(['["node", "dist/worker.js"]']);
    expect(runtime.body.filter((i) => i.op === 'ENTRYPOINT')).toEqual([]);
    expect(runs(runtime).join('\n')).toContain('exec node /app/dist/cli/main.js "$@"');
    for (const entry of ['worker.ts', 'receiver.ts', 'cli/main.ts']) {
      expect(existsSync(path.join(PROJECT_ROOT, 'src', entry))).toBe(true);
    }
  });

  it('keeps secrets, local state and build output out of the build context', () => {
    for (const entry of ['.git', '.env', '.env.*', 'node_modules', 'dist', '.data']) {
      expect(DOCKERIGNORE).toContain(entry);
    }
  });
});
