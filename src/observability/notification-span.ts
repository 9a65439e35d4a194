import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReceiverLogEvent } from '../notifications/notification-log';

const tracer = trace.getTracer('bridgekeeper-receiver');

/**
 * The receiver's span for one notification, current while it is handled: the signal it sends carries it in its
 * headers (the client's OpenTelemetry interceptor), so the workflow's HandleSignal span joins the same trace. With no
 * tracer provider registered (no OTLP endpoint configured) this is the API's no-op.
 */
export function traceNotification(source: string, handle: () => Promise<ReceiverLogEvent>): Promise<ReceiverLogEvent> {
  return tracer.startActiveSpan(`notification ${source}`, async (span) => {
    try {
      const event = await handle();
      span.setAttributes({
        'bridgekeeper.outcome': event.outcome,
        'http.response.status_code': event.status,
        ...(event.workflowId === undefined ? {} : { 'temporal.workflow_id': event.workflowId }),
        ...(event.txnRef === undefined ? {} : { 'bridgekeeper.txn_ref': event.txnRef }),
        ...(event.account === undefined ? {} : { 'bridgekeeper.account': event.account }),
      });
      if (event.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: event.reason });
      return event;
    } finally {
      span.end();
    }
  });
}
