import { z } from 'zod';
import { formatPath, inputRule } from '../domain/input-text';

/**
 * Prometheus Alertmanager's webhook payload, version "4" (https://prometheus.io/docs/alerting/latest/configuration/,
 * `<webhook_config>`). Strict about what the receiver uses (the group key, statuses, labels, annotations, each alert's
 * startsAt), and requires the rest of version 4's fields so that something which is not Alertmanager is told so;
 * tolerant of fields a later Alertmanager may add.
 */

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const time = z
  .string()
  .refine((text) => RFC3339.test(text) && !Number.isNaN(Date.parse(text)), 'must be an RFC 3339 time');
const labelSet = z.record(z.string(), z.string(), { error: 'must be an object of string values' });
const status = z.enum(ALERT_STATUSES, { error: `must be one of ${ALERT_STATUSES.join(', ')}` });
const text = z.string({ error: 'must be a string' });

export const alertSchema = z.object({
  status,
  labels: labelSet,
  annotations: labelSet,
  /** Kept across repeated notifications of one firing; a new firing after a resolve has a new one. */
  startsAt: time,
  /** `0001-01-01T00:00:00Z` while firing with no end known. */
  endsAt: time,
  generatorURL: text,
  fingerprint: text,
});
export type Alert = z.infer<typeof alertSchema>;

/** Alertmanager sends at most `max_alerts` per notification when configured; this bounds a hostile body. */
export const MAX_ALERTS = 1_000;

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook version 4)' }),
  groupKey: text.min(1, 'must not be empty'),
  /** How many alerts `max_alerts` left out; older Alertmanagers do not send it. */
  truncatedAlerts: z.number().int().min(0).optional(),
  status,
  receiver: text,
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: text,
  alerts: z
    .array(alertSchema, { error: 'must be an array of alerts' })
    .min(1, 'must hold at least one alert')
    .max(MAX_ALERTS, `must hold at most ${MAX_ALERTS} alerts`),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

export interface PayloadIssue {
  /** Where in the payload, e.g. `alerts[0].startsAt`. */
  field: string;
  message: string;
}

export function parseAlertmanagerPayload(
  body: unknown,
): { ok: true; payload: AlertmanagerPayload } | { ok: false; issues: PayloadIssue[] } {
  const parsed = alertmanagerPayloadSchema.safeParse(body, { error: inputRule });
  if (parsed.success) return { ok: true, payload: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      field: formatPath(issue.path) || '(payload)',
      message: issue.message,
    })),
  };
}
