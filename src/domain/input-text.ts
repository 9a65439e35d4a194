/**
 * How an error message shows bad input: one wording for every rule (zod's own messages reworded to ours, "must be …")
 * and one cut for long values, so a 300-character mistake costs one line of the terminal, not five. Pure: workflow
 * code, the CLI, the receiver and the Hoiio client all render problems with it.
 */
import type * as z from 'zod/mini';

/** Characters of a bad value an error message shows; the rest is counted, not printed. */
export const SHOWN_VALUE_LENGTH = 40;

/**
 * A bad value as an error message quotes it: JSON, cut after {@link SHOWN_VALUE_LENGTH} characters with its length,
 * e.g. `"+9999…… (301 characters)`. A string's length counts its characters, anything else its JSON text.
 */
export function showValue(value: unknown): string {
  if (typeof value === 'string') {
    const characters = Array.from(value);
    if (characters.length <= SHOWN_VALUE_LENGTH) return JSON.stringify(value);
    const head = JSON.stringify(characters.slice(0, SHOWN_VALUE_LENGTH).join('')).slice(0, -1);
    return `${head}… (${characters.length} characters)`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  const characters = Array.from(text);
  if (characters.length <= SHOWN_VALUE_LENGTH) return text;
  return `${characters.slice(0, SHOWN_VALUE_LENGTH).join('')}… (${characters.length} characters)`;
}

/** `where = value: rule`, the one shape of a problem in every message; no value when there is none worth showing. */
export function formatProblem(path: string, value: unknown, rule: string): string {
  return `${path}${value === undefined ? '' : ` = ${showValue(value)}`}: ${rule}`;
}

/** `participants[3].name`, from zod's path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text ? `${text}.${String(key)}` : String(key);
  }, '');
}

/**
 * An input or a signal's payload checked against its schema, every problem in our wording: workflow code loads no zod
 * locale (zod/mini), so a rule without our wording would read only "Invalid input".
 */
export function parsePayload<S extends z.ZodMiniType>(
  schema: S,
  payload: unknown,
): z.core.util.SafeParseResult<z.output<S>> {
  return schema.safeParse(payload, { error: inputRule });
}

/** The problems of a payload in one line, for a log: paths and rules, never the values. */
export function describePayloadIssues(error: z.core.$ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(payload)'}: ${issue.message}`).join('; ');
}

/**
 * A zod error map in our wording, for `safeParse(input, { error: inputRule })`: a schema's own messages win over it,
 * so only the rules a schema leaves unworded ("Too big: expected string to have <=200 characters") are reworded.
 */
export function inputRule(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_big':
      return bound('at most', 'less than', issue.maximum, issue.inclusive, issue.origin);
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'must not be empty';
      return bound('at least', 'more than', issue.minimum, issue.inclusive, issue.origin);
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${quoteRule(issue.values[0])}`
        : `must be one of ${issue.values.map(quoteRule).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern
        ? `must match ${issue.pattern}`
        : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `must not have ${issue.keys.length === 1 ? 'the field' : 'the fields'} ${issue.keys.map(quoteRule).join(', ')}`;
    case 'invalid_union':
      return 'must be one of the accepted forms';
    default:
      return undefined;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

const UNITS: Record<string, [string, string]> = {
  string: [' character', ' characters'],
  array: [' entry', ' entries'],
  set: [' entry', ' entries'],
};

function bound(
  inclusiveWords: string,
  exclusiveWords: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  origin: string,
): string {
  const verb = origin === 'array' || origin === 'set' ? 'have' : 'be';
  const unit = UNITS[origin]?.[Number(limit) === 1 ? 0 : 1] ?? '';
  return `must ${verb} ${inclusive === false ? exclusiveWords : inclusiveWords} ${String(limit)}${unit}`;
}

function quoteRule(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
