/**
 * `page` flags and a policy file → the escalation workflow's input, and `policy check`'s verdict on files. The policy
 * file is read and checked by src/policies/policy-files.ts and the input by the workflow's own schema
 * (src/domain/escalation-input.ts), so the CLI refuses what the workflow would, before anything is started.
 */
import { userInfo } from 'node:os';
import {
  escalationFromPolicy,
  formatProblems,
  validateEscalationInput,
  type EscalationPlan,
  type PolicyFile,
} from '../domain/escalation-input';
import { PolicyFileError, readPolicyFile } from '../policies/policy-files';

/** The `page` command's options as commander hands them over. */
export interface PageOptions {
  policy: string;
  incident: string;
  title: string;
  room?: string;
  account?: string;
  callerId?: string;
}

export type PageBuild = { ok: true; input: EscalationPlan } | { ok: false; problems: string[] };

/**
 * Reads the policy file, builds the input for the incident, lets `--room`, `--account` and `--caller-id` override the
 * file, and validates the whole. Every problem comes back, each with its path, bad value and rule.
 */
export function buildPageInput(options: PageOptions, read: (path: string) => PolicyFile = readPolicyFile): PageBuild {
  let file: PolicyFile;
  try {
    file = read(options.policy);
  } catch (error) {
    if (error instanceof PolicyFileError)
      return { ok: false, problems: error.items.map((item) => `${error.path}: ${item}`) };
    throw error;
  }
  const draft = escalationFromPolicy(file, { id: options.incident, title: options.title });
  if (options.room !== undefined) draft.bridge = { ...draft.bridge, room: options.room };
  if (options.account !== undefined) draft.account = options.account;
  if (options.callerId !== undefined) draft.callerId = options.callerId;
  const checked = validateEscalationInput(draft);
  if (!checked.ok) return { ok: false, problems: checked.problems.map((problem) => formatProblems([problem])) };
  return { ok: true, input: checked.value };
}

export type PolicyVerdict =
  { path: string; ok: true; file: PolicyFile } | { path: string; ok: false; problems: string[] };

/** `policy check`: each file read and checked in full; a file that cannot be read is a problem like any other. */
export function checkPolicyFiles(
  paths: string[],
  read: (path: string) => PolicyFile = readPolicyFile,
): PolicyVerdict[] {
  return paths.map((path) => {
    try {
      return { path, ok: true, file: read(path) };
    } catch (error) {
      if (error instanceof PolicyFileError) return { path, ok: false, problems: error.items };
      throw error;
    }
  });
}

/** Who `ack` says acknowledged when `--by` is not given: the OS user, or `cli` when there is none to name. */
export function defaultAcknowledger(user: () => string = () => userInfo().username): string {
  try {
    return user().trim() || 'cli';
  } catch {
    // userInfo() throws for a uid with no passwd entry, as in some containers.
    return 'cli';
  }
}
