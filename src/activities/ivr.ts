/**
 * The blocks of an IVR call after its dial (docs/hoiio-api.md, "IVR"): gather keys, transfer into a conference room,
 * hang up with a message. The dial itself is `placeIvrCall` (place-call.ts), which shares the conference dial's
 * reconcile-by-tag. Each block's notify_url is built here, on the receiver's IVR path, so the routing token never
 * passes through workflow code (docs/design.md, invariant 5).
 *
 * Failures are typed by Hoiio's status like the other activities; `error_session_ended` (and the other statuses that
 * mean the call is gone) fail at once, and the workflow takes them as "that call has already ended".
 */

import type { HoiioClient } from '../hoiio/client';
import { IVR_NOTIFY_PATH } from '../notifications/notify-url';
import { attemptSignal } from './attempt';
import type { ConferenceActivityDeps } from './conference';
import { toFailure } from './hoiio-failure';
import { activityNotifyUrl } from './place-call';

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
  /**
   * What Hoiio does if the transfer fails after it was accepted: `hangup` (Hoiio's default, used when left out) or
   * `continue` (an ongoing notification with transfer_status, the session still usable).
   */
  onFailure?: 'hangup' | 'continue';
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

/**
 * The IVR blocks as activities. Each sends one request with the block's notify_url on the receiver's IVR path for the
 * calling workflow, built here as place-call builds the dial's. Not reconciled like a dial: a block that is sent
 * twice is refused by Hoiio (error_session_not_ready, error_session_ended), never carried out twice.
 */
export function createIvrActivities(
  deps: ConferenceActivityDeps,
  clientFor: (account: string) => HoiioClient,
): IvrActivities {
  const notifyUrl = (account: string): string => activityNotifyUrl(deps, account, IVR_NOTIFY_PATH);
  return {
    async ivrGather(request: GatherRequest): Promise<void> {
      const signal = attemptSignal();
      try {
        await clientFor(request.account).ivrGather(
          {
            session: request.session,
            notifyUrl: notifyUrl(request.account),
            msg: request.msg,
            maxDigits: request.maxDigits,
            timeout: request.timeoutSeconds,
            attempts: request.attempts,
            tag: request.tag,
          },
          { signal },
        );
      } catch (error) {
        throw toFailure(error, undefined, signal);
      }
    },

    async ivrTransfer(request: TransferRequest): Promise<TransferResult> {
      const signal = attemptSignal();
      try {
        const result = await clientFor(request.account).ivrTransfer(
          {
            session: request.session,
            room: request.room,
            msg: request.msg,
            onFailure: request.onFailure,
            tag: request.tag,
            notifyUrl: notifyUrl(request.account),
          },
          { signal },
        );
        return { room: result.room ?? request.room };
      } catch (error) {
        throw toFailure(error, undefined, signal);
      }
    },

    async ivrHangup(request: IvrHangupRequest): Promise<void> {
      const signal = attemptSignal();
      try {
        await clientFor(request.account).ivrHangup(
          {
            session: request.session,
            // Without a message there is nothing to wait for: hang up at once, even mid-block.
            ...(request.msg === undefined ? { force: true } : { msg: request.msg }),
            tag: request.tag,
            notifyUrl: notifyUrl(request.account),
          },
          { signal },
        );
      } catch (error) {
        throw toFailure(error, undefined, signal);
      }
    },
  };
}
