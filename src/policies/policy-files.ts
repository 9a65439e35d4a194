/**
 * Escalation policy files, JSON or YAML, as `bridgekeeper page --policy`, `bridgekeeper policy check` and the
 * receiver's policies directory read them. A file is checked in full when it is read, so a mistake shows up when the
 * policy is written or the receiver starts, not at 3 a.m. when the page should go out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatProblems, type PolicyFile, validatePolicyFile } from '../domain/escalation-input';

export const POLICY_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

/** A policy file that cannot be used, with every reason: the path, then each bad field with its value and rule. */
export class PolicyFileError extends Error {
  /** Every problem on its own, for a listing with one per line (`bridgekeeper policy check`). */
  readonly items: string[];

  constructor(
    readonly path: string,
    problems: string | string[],
  ) {
    const items = typeof problems === 'string' ? [problems] : problems;
    super(`${path}: ${items.join('; ')}`);
    this.name = 'PolicyFileError';
    this.items = items;
  }

  /** Every problem in one line, as the message has them after the path. */
  get problems(): string {
    return this.items.join('; ');
  }
}

export function parsePolicyText(text: string, path: string): PolicyFile {
  let data: unknown;
  try {
    data = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new PolicyFileError(path, `not valid ${extname(path).slice(1).toUpperCase() || 'YAML'}: ${message(error)}`);
  }
  const checked = validatePolicyFile(data);
  if (!checked.ok) {
    throw new PolicyFileError(
      path,
      checked.problems.map((problem) => formatProblems([problem])),
    );
  }
  return checked.value;
}

export function readPolicyFile(path: string): PolicyFile {
  if (!(POLICY_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase())) {
    throw new PolicyFileError(path, `must end in ${POLICY_EXTENSIONS.join(', ')}`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyFileError(path, `cannot be read: ${message(error)}`);
  }
  return parsePolicyText(text, path);
}

/**
 * Every policy in a directory, by name (the file name without its extension). Throws on the first directory problem
 * and lists every bad file at once.
 */
export function readPolicyDirectory(dir: string): Map<string, PolicyFile> {
  const policies = new Map<string, PolicyFile>();
  const errors: PolicyFileError[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const extension = extname(entry).toLowerCase();
    if (!(POLICY_EXTENSIONS as readonly string[]).includes(extension)) continue;
    const name = basename(entry, extname(entry));
    if (policies.has(name)) {
      errors.push(new PolicyFileError(join(dir, entry), `policy "${name}" is defined by another file too`));
      continue;
    }
    try {
      policies.set(name, readPolicyFile(join(dir, entry)));
    } catch (error) {
      if (error instanceof PolicyFileError) errors.push(error);
      else throw error;
    }
  }
  if (errors.length > 0) throw new PolicyFileError(dir, errors.map((error) => error.message).join('\n'));
  return policies;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
