/**
 * What the receiver logs about each notification: enough to trace it (workflow id, account, txn_ref, HTTP status,
 * reason), never a secret. The session token (bk_token), the signature header, the access token and the body are
 * left out by construction: no event field can hold them.
 */
export interface ReceiverLogEvent {
  /** `duplicate`: a txn_ref already signalled, answered 200 and not signalled again. */
  outcome: 'accepted' | 'duplicate' | 'rejected' | 'failed';
  /** The HTTP status the receiver answered with. */
  status: number;
  reason: string;
  workflowId?: string;
  account?: string;
  txnRef?: string;
  callStatus?: string;
}

export type ReceiverLog = (event: ReceiverLogEvent) => void;

const MAX_LOGGED_LENGTH = 200;

/** Caller-supplied text (a workflow id or account name from the URL) cut to a sane length, control characters out. */
export function loggable(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const clean = text.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > MAX_LOGGED_LENGTH ? `${clean.slice(0, MAX_LOGGED_LENGTH)}…` : clean;
}

/** One line: `notification rejected 403 workflow=... account=... txn_ref=... reason="..."`. */
export function formatLogEvent(event: ReceiverLogEvent): string {
  const parts = [`notification ${event.outcome} ${event.status}`];
  if (event.workflowId !== undefined) parts.push(`workflow=${event.workflowId}`);
  if (event.account !== undefined) parts.push(`account=${event.account}`);
  if (event.txnRef !== undefined) parts.push(`txn_ref=${event.txnRef}`);
  if (event.callStatus !== undefined) parts.push(`call_status=${event.callStatus}`);
  parts.push(`reason=${JSON.stringify(event.reason)}`);
  return parts.join(' ');
}

export const consoleReceiverLog: ReceiverLog = (event) => {
  const line = formatLogEvent(event);
  if (event.outcome === 'accepted') console.log(line);
  else console.warn(line);
};
