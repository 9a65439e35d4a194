import type { z } from 'zod';
import { inputRule } from '../domain/input-text';

/**
 * Reading a Hoiio notification's form body into a schema's payload, shared by the conference (`notification-schema.ts`)
 * and IVR (`ivr-notification-schema.ts`) notifications.
 *
 * Fields are read from the POST body only, because the body is what `X-Hoiio-Signature` covers; the URL query is
 * unsigned, so a field there could have been added by anyone who saw the notify_url. `query` is consulted only to
 * explain a field that is missing from the body. A known field given twice is rejected (which copy would be the real
 * one?); unknown fields are ignored, since Hoiio may add some.
 */

export interface NotificationIssue {
  /** Hoiio's field name, e.g. `duration`. */
  field: string;
  message: string;
}

export type FormParse<Payload> =
  | { ok: true; payload: Payload }
  | { ok: false; issues: NotificationIssue[]; /** What is safe to log: txn_ref if it was readable. */ txnRef?: string };

export const TXN_REF = /^[\x21-\x7e]{1,128}$/;
export const TXN_REF_RULE = 'must be a transaction reference: 1 to 128 visible ASCII characters';

export interface FormOptions {
  /** Fields whose empty value means "not given" (a sender that lists every field, empty where it has none). */
  emptyIsAbsent?: readonly string[];
}

export function parseForm<Payload>(
  schema: z.ZodType<Payload, Record<string, string>>,
  names: readonly string[],
  rawBody: string,
  query: URLSearchParams,
  options: FormOptions = {},
): FormParse<Payload> {
  const form = new URLSearchParams(rawBody);
  const fields: Record<string, string> = {};
  const issues: NotificationIssue[] = [];
  for (const name of names) {
    const values = form.getAll(name);
    if (values.length > 1) issues.push({ field: name, message: `appears ${values.length} times; expected once` });
    else if (values[0] !== undefined && !(values[0] === '' && options.emptyIsAbsent?.includes(name))) {
      fields[name] = values[0];
    }
  }
  const txnRef = fields.txn_ref !== undefined && TXN_REF.test(fields.txn_ref) ? fields.txn_ref : undefined;

  const parsed = schema.safeParse(fields, { error: inputRule });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join('.') || '(form)';
      if (issues.some((known) => known.field === field)) continue;
      const missing = fields[field] === undefined && names.includes(field);
      let message = missing ? 'is required' : issue.message;
      if (missing && query.has(field)) message = 'is required in the signed body (it is only in the URL query)';
      issues.push({ field, message });
    }
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, issues, txnRef };
  return { ok: true, payload: parsed.data };
}

export function describeIssues(issues: readonly NotificationIssue[]): string {
  return issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
}
