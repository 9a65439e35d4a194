import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * bridgekeeper's own metrics (docs/observability.md lists each with its labels). One registry per process: the
 * worker serves it beside the SDK's metrics, the receiver on its own port. Labels are bounded sets (endpoints,
 * statuses, accounts, currencies, reasons); never a number, a txn_ref or a workflow id.
 */
export const registry = new Registry();

export const legsEnded = new Counter({
  name: 'bridgekeeper_legs_ended_total',
  help: 'Call legs whose end is known, by account and final status (answered, busy, noanswer, failed, ...)',
  labelNames: ['account', 'outcome'] as const,
  registers: [registry],
});

/** Integer thousandths, as inside the code (docs/design.md, invariant 4): a float sum of decimals would drift. */
export const costThousandths = new Counter({
  name: 'bridgekeeper_cost_thousandths_total',
  help: 'What Hoiio billed for ended legs, in thousandths of the currency (1000 = 1.000)',
  labelNames: ['account', 'currency'] as const,
  registers: [registry],
});

export const hoiioRequestSeconds = new Histogram({
  name: 'bridgekeeper_hoiio_request_seconds',
  help: 'Time from sending a Hoiio request to its reply (or failure), by endpoint; conference/call is the dial latency',
  labelNames: ['endpoint'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const hoiioReplies = new Counter({
  name: 'bridgekeeper_hoiio_replies_total',
  help: "Hoiio replies by endpoint and status: Hoiio's status (success_ok, error_...) or transport_<reason>",
  labelNames: ['endpoint', 'status'] as const,
  registers: [registry],
});

export const notificationsReceived = new Counter({
  name: 'bridgekeeper_notifications_received_total',
  help: 'Notifications posted to the receiver, by source (conference, ivr)',
  labelNames: ['source'] as const,
  registers: [registry],
});

export const notificationsRejected = new Counter({
  name: 'bridgekeeper_notifications_rejected_total',
  help: 'Notifications not signalled, by source and reason (bad_signature, bad_token, malformed, replay, ...)',
  labelNames: ['source', 'reason'] as const,
  registers: [registry],
});

export const notificationSignalSeconds = new Histogram({
  name: 'bridgekeeper_notification_signal_seconds',
  help: 'Time from a notification reaching the receiver to Temporal accepting its signal, by source',
  labelNames: ['source'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});

export const activeCalls = new Gauge({
  name: 'bridgekeeper_active_calls',
  help: 'Lines in use on the account: permits of its call budget held for a call or a dial about to be placed',
  labelNames: ['account'] as const,
  registers: [registry],
});

export const permitsHeld = new Gauge({
  name: 'bridgekeeper_permits_held',
  help: "Permits of the account's call budget granted and not yet given back (at most 8)",
  labelNames: ['account'] as const,
  registers: [registry],
});

export const permitsWaiting = new Gauge({
  name: 'bridgekeeper_permits_waiting',
  help: "Permits asked of the account's call budget and not yet granted",
  labelNames: ['account'] as const,
  registers: [registry],
});

/** Every metric name bridgekeeper exports (histograms add _bucket, _sum and _count); the dashboard test reads it. */
export const METRIC_NAMES = [
  legsEnded,
  costThousandths,
  hoiioRequestSeconds,
  hoiioReplies,
  notificationsReceived,
  notificationsRejected,
  notificationSignalSeconds,
  activeCalls,
  permitsHeld,
  permitsWaiting,
].map((metric) => (metric as unknown as { name: string }).name);

const STATUS_LABEL = /^[a-z][a-z0-9_]{0,63}$/;

/** A Hoiio status as a label: Hoiio's own words when they look like a status, `other` otherwise (bounded). */
export function statusLabel(status: string): string {
  return STATUS_LABEL.test(status) ? status : 'other';
}

type ScrapeHook = () => Promise<void>;
const scrapeHooks = new Set<ScrapeHook>();

/** Runs before every scrape (gauges read from elsewhere, such as the call budgets); returns its removal. */
export function onScrape(hook: ScrapeHook): () => void {
  scrapeHooks.add(hook);
  return () => {
    scrapeHooks.delete(hook);
  };
}

/** The registry in Prometheus' text format, the scrape hooks run first (a failing hook leaves its gauges as they were). */
export async function scrape(): Promise<string> {
  await Promise.all([...scrapeHooks].map((hook) => hook().catch(() => undefined)));
  return registry.metrics();
}
