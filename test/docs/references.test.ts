/**
 * The repository must stand alone: every path the docs and comments point at exists, nothing cites notes that live
 * outside it, and every "invariant N" is one that docs/design.md defines. One pass over the tracked text files,
 * reporting every bad reference at once, each with its file and line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicyText } from '../../src/policies/policy-files';

const ROOT = path.resolve(__dirname, '../..');
const TEXT_FILE = /\.(md|ts|js|cjs|mjs|yml|json)$/;
const SKIPPED = [/^test\/histories\//, /(^|\/)package-lock\.json$/];

// Built from parts so that this file does not trip its own check.
const OUTSIDE_NOTES = new RegExp(
  `\\b(?:${['DESIGN', 'API', 'IVR', 'ASSUMPTIONS'].join('|')})\\.md\\b|\\.\\./${'shared'}`,
  'g',
);
const MARKDOWN_LINK = /\[[^\]]*\]\(([^)\s]+)\)/g;
const BACKTICKED = /`([^`]+)`/g;
// A whole backticked span naming a file (with an extension) or a folder (trailing slash) of the repository.
const REPOSITORY_PATH = /^(?:src|dev|docs|test|bin)\/(?:[\w.-]+\/)*(?:[\w-]+\.\w+|[\w.-]+\/)?$/;
const INVARIANT_CITATION = /\binvariant (\d+)/gi;

function trackedTextFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => TEXT_FILE.test(file) && !SKIPPED.some((pattern) => pattern.test(file)))
    .filter((file) => existsSync(path.join(ROOT, file)));
}

/** The numbers of the list under "## Invariants" in docs/design.md. */
function definedInvariants(): Set<number> {
  const design = readFileSync(path.join(ROOT, 'docs/design.md'), 'utf8');
  const section = /^## Invariants$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(design)?.[1] ?? '';
  return new Set([...section.matchAll(/^(\d+)\. /gm)].map((match) => Number(match[1])));
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#');
}

function problemsIn(file: string, invariants: Set<number>): string[] {
  const problems: string[] = [];
  const isMarkdown = file.endsWith('.md');
  readFileSync(path.join(ROOT, file), 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const where = `${file}:${index + 1}`;
      for (const match of line.matchAll(OUTSIDE_NOTES)) {
        problems.push(`${where}: cites ${match[0]}, which is not in the repository`);
      }
      // In code, `a[i](x)` looks like a link; only markdown has links.
      if (isMarkdown) {
        for (const [, target] of line.matchAll(MARKDOWN_LINK)) {
          if (target === undefined || isExternal(target)) continue;
          const relative = decodeURIComponent(target.split('#')[0] ?? '');
          if (!existsSync(path.resolve(ROOT, path.dirname(file), relative))) {
            problems.push(`${where}: link to ${target}, which does not exist`);
          }
        }
      }
      for (const [, span] of line.matchAll(BACKTICKED)) {
        const candidate = span?.trim() ?? '';
        if (REPOSITORY_PATH.test(candidate) && !existsSync(path.join(ROOT, candidate))) {
          problems.push(`${where}: path ${candidate}, which does not exist`);
        }
      }
      for (const [citation, number] of line.matchAll(INVARIANT_CITATION)) {
        if (!invariants.has(Number(number))) {
          problems.push(`${where}: "${citation}", which docs/design.md does not define`);
        }
      }
    });
  return problems;
}

describe('references in docs and comments', () => {
  const invariants = definedInvariants();

  it('finds the numbered invariants in docs/design.md', () => {
    expect([...invariants].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('point at what exists, inside the repository', () => {
    const problems = trackedTextFiles().flatMap((file) => problemsIn(file, invariants));
    expect(problems).toEqual([]);
  });
});

describe('the policy file example in docs/cli.md', () => {
  it('is a valid policy file', () => {
    const text = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
    expect(yaml).toBeDefined();
    const policy = parsePolicyText(yaml!, 'docs/cli.md.yaml');
    expect(policy.policy.steps.map((step) => step.mode)).toEqual(['simultaneous', 'sequential']);
  });
});
