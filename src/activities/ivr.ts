/**
 * The blocks of an IVR call after its dial (docs/hoiio-api.md, "IVR"): gather keys, transfer into a conference room,
 * hang up with a message. The dial itself is `placeIvrCall` (place-call.ts), which shares the conference dial's
 * reconcile-by-tag. Each block's notify_url is built here, on the receiver's IVR path, so the routing token never
 * passes through workflow code (docs/design.md, invariant 5).
 *
 * Failures are typed by Hoiio's status like the other activities; `error_session_ended` (and the other statuses that
 * mean the call is gone) fail at once, and the workflow takes them as "that call has already ended".
 */

export interface IvrBlockRequest {
  account: string;
  /** Hoiio's IVR session id of the call. */
  session: string;
  /** Echoed on the block's notification, so the workflow knows which block of which try finished. */
  tag: string;
}

export interface GatherRequest extends IvrBlockRequest {
  /** Spoken before (and, with attempts > 1, again before each retry of) the input. */
  msg: string;
  /** 1 for a single-key answer. */
  maxDigits: number;
  /** Seconds the callee has to press, per attempt. */
  timeoutSeconds: number;
  attempts: number;
}

export interface TransferRequest extends IvrBlockRequest {
  /** The conference room (without `room:`). */
  room: string;
  msg?: string;
}

export interface TransferResult {
  /** The room the call was moved into, as Hoiio named it. */
  room: string;
}

export interface IvrHangupRequest extends IvrBlockRequest {
  /** Spoken before hanging up; absent hangs up at once (force), even mid-block. */
  msg?: string;
}

export interface IvrActivities {
  ivrGather(request: GatherRequest): Promise<void>;
  ivrTransfer(request: TransferRequest): Promise<TransferResult>;
  ivrHangup(request: IvrHangupRequest): Promise<void>;
}
