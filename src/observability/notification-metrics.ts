import type { ReceiverLogEvent } from '../notifications/notification-log';
import { notificationSignalSeconds, notificationsReceived, notificationsRejected } from './metrics';

/** Why a notification was not signalled, from the receiver's answer: a small fixed set of reasons. */
export function rejectionReason(event: ReceiverLogEvent): string | undefined {
  if (event.outcome === 'accepted') return undefined;
  if (event.outcome === 'duplicate') return 'replay';
  switch (event.status) {
    case 401:
      return 'bad_signature';
    case 403:
      return 'bad_token';
    case 404:
      return 'unknown_workflow';
    case 422:
      return 'stale';
    case 503:
      return 'signal_failed';
    default:
      return event.status >= 500 ? 'internal' : 'malformed';
  }
}

/** Counts one notification the receiver answered; `seconds` is how long it took, counted for accepted ones. */
export function countNotification(event: ReceiverLogEvent, seconds: number): void {
  const source = event.source ?? 'conference';
  notificationsReceived.inc({ source });
  const reason = rejectionReason(event);
  if (reason === undefined) notificationSignalSeconds.observe({ source }, seconds);
  else notificationsRejected.inc({ source, reason });
}
