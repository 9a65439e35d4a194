/**
 * What the receiver logs about each notification: enough to trace it (workflow id, account, txn_ref, HTTP status,
 * reason), never a secret. The session token (bk_token), the signature header, the access token and the body are
 * left out by construction: no event field can hold them.
 */
export interface ReceiverLogEvent {
  /**
   * What was received: a conference leg's end (`/hoiio/notify`, the default), an IVR call's block (`/hoiio/ivr`), or
   * an Alertmanager webhook (`/alertmanager`).
   */
  source?: 'conference' | 'ivr' | 'alertmanager';
  /**
   * `duplicate`: a notification already signalled, answered 200 and not signalled again; for Alertmanager, a firing
   * whose escalation had already been started.
   */
  outcome: 'accepted' | 'duplicate' | 'rejected' | 'failed';
  /** The HTTP status the receiver answered with. */
  status: number;
  reason: string;
  workflowId?: string;
  account?: string;
  txnRef?: string;
  callStatus?: string;
  /** An IVR notification's call_state. */
  callState?: string;
}

export type ReceiverLog = (event: ReceiverLogEvent) => void;

const MAX_LOGGED_LENGTH = 200;

/** Caller-supplied text (a workflow id or account name from the URL) cut to a sane length, control characters out. */
export function loggable(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > MAX_LOGGED_LENGTH ? `${clean.slice(0, MAX_LOGGED_LENGTH)}…` : clean;
}

const PREFIX = { conference: 'notification', ivr: 'ivr notification', alertmanager: 'alertmanager' } as const;

/** One line: `notification rejected 403 workflow=... account=... txn_ref=... reason="..."`. */
export function formatLogEvent(event: ReceiverLogEvent): string {
  const parts = [`${PREFIX[event.source ?? 'conference']} ${event.outcome} ${event.status}`];
  if (event.workflowId !== undefined) parts.push(`workflow=${event.workflowId}`);
  if (event.account !== undefined) parts.push(`account=${event.account}`);
  if (event.txnRef !== undefined) parts.push(`txn_ref=${event.txnRef}`);
  if (event.callStatus !== undefined) parts.push(`call_status=${event.callStatus}`);
  if (event.callState !== undefined) parts.push(`call_state=${event.callState}`);
  parts.push(`reason=${JSON.stringify(event.reason)}`);
  return parts.join(' ');
}

export const consoleReceiverLog: ReceiverLog = (event) => {
  const line = formatLogEvent(event);
  if (event.outcome === 'accepted') console.log(line);
  else console.warn(line);
};
