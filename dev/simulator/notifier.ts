import { Agent, request } from 'undici';
import { signNotification } from '../../src/hoiio/signature';
import { type IvrNotice, type Leg } from './call-engine';
import { ivrNotificationFields, notificationFields } from './leg-views';
import { type Random } from './random';
import { type Settings } from './settings';
import { type Stats } from './stats';
import { type TimerHandle, type TimerSet } from './timers';

export interface DeliveryRecord {
  txn_ref: string;
  /** A conference leg's end, or one of an IVR call's notifications. */
  kind: 'conference' | 'ivr';
  /** IVR only (else null): the session and the notification's call_state (ongoing or ended). */
  session: string | null;
  call_state: string | null;
  /** 1, or 2 for the extra copy of a duplicated notification. */
  copy: number;
  outcome: 'delivered' | 'failed' | 'dropped' | 'pending';
  http_status: number | null;
  error: string | null;
  at: string;
}

export interface NotifierDeps {
  settings: Settings;
  stats: Stats;
  timers: TimerSet;
  rng: () => Random;
  tokenFor: (appId: string) => string | undefined;
  log: (line: string) => void;
}

type About = Pick<DeliveryRecord, 'txn_ref' | 'kind' | 'session' | 'call_state'>;

interface Held {
  send: () => void;
  timer: TimerHandle | undefined;
}

/**
 * End-of-leg notifications: one signed, form-encoded POST per leg, sent once and never again, as Hoiio does.
 * Fault knobs bend delivery (drop, duplicate, delay, reorder) so receivers can prove they cope.
 */
export class Notifier {
  private readonly agent = new Agent({ keepAliveTimeout: 1_000, connections: 32 });
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private held: Held[] = [];
  readonly deliveries: DeliveryRecord[] = [];

  constructor(private readonly deps: NotifierDeps) {}

  notify(leg: Leg): void {
    if (leg.notifyUrl === undefined) return;
    this.dispatch(leg.appId, leg.notifyUrl, notificationFields(leg), {
      txn_ref: leg.txnRef,
      kind: 'conference',
      session: null,
      call_state: null,
    });
  }

  /** One of an IVR call's notifications; signed, faulted and logged exactly like a conference leg's. */
  notifyIvr(leg: Leg, notice: IvrNotice): void {
    if (notice.url === undefined || !leg.ivr) return;
    this.dispatch(leg.appId, notice.url, ivrNotificationFields(leg, notice), {
      txn_ref: leg.txnRef,
      kind: 'ivr',
      session: leg.ivr.session,
      call_state: notice.callState,
    });
  }

  private dispatch(appId: string, url: string, fields: [string, string][], about: About): void {
    const token = this.deps.tokenFor(appId);
    if (token === undefined) return;
    const body = new URLSearchParams(fields).toString();
    const signature = signNotification(body, token);
    const { settings, stats, timers } = this.deps;
    const faults = settings.notificationFaults;
    const rng = this.deps.rng();
    // Always four draws, in this order, so each knob's effect is reproducible for a given seed.
    const drop = rng.chance(faults.dropRate);
    const duplicate = rng.chance(faults.duplicateRate);
    const delay = rng.chance(faults.delayRate);
    const reorder = rng.chance(faults.reorderRate);

    if (drop) {
      stats.notifications.dropped += 1;
      this.record(about, 1, 'dropped', null, null);
      return;
    }
    const send = (): void => {
      this.post(about, 1, url, body, signature);
      if (duplicate) {
        stats.notifications.duplicated += 1;
        this.post(about, 2, url, body, signature);
      }
    };
    if (reorder) {
      stats.notifications.reordered += 1;
      const held: Held = { send, timer: undefined };
      held.timer = timers.set(() => this.release(held), faults.reorderHoldMs);
      this.held.push(held);
      return;
    }
    if (delay && faults.delayMs > 0) {
      stats.notifications.delayed += 1;
      timers.set(() => this.sendThenReleaseHeld(send), faults.delayMs);
      return;
    }
    this.sendThenReleaseHeld(send);
  }

  /** Forgets held notifications (their timers are cleared by the caller) and the delivery log. */
  reset(): void {
    this.held = [];
    this.deliveries.length = 0;
  }

  async close(): Promise<void> {
    this.held = [];
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
    await this.agent.close();
  }

  /** A held-back notification goes out right after the next one, which is what makes the pair arrive swapped. */
  private sendThenReleaseHeld(send: () => void): void {
    send();
    for (const held of [...this.held]) this.release(held);
  }

  private release(held: Held): void {
    if (!this.held.includes(held)) return;
    this.held = this.held.filter((other) => other !== held);
    this.deps.timers.clear(held.timer);
    held.send();
  }

  private post(about: About, copy: number, url: string, body: string, signature: string): void {
    const { stats, settings } = this.deps;
    const txnRef = about.txn_ref;
    stats.notifications.sent += 1;
    const record = this.record(about, copy, 'pending', null, null);
    const delivery = request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-hoiio-signature': signature },
      dispatcher: this.agent,
      headersTimeout: settings.notifyTimeoutMs,
      bodyTimeout: settings.notifyTimeoutMs,
      signal: this.abort.signal,
    })
      .then(async (response) => {
        await response.body.dump();
        // Hoiio expects 200 and ignores the body; anything else is a failed delivery, never retried.
        const ok = response.statusCode === 200;
        record.outcome = ok ? 'delivered' : 'failed';
        record.http_status = response.statusCode;
        if (ok) stats.notifications.delivered += 1;
        else stats.notifications.failed += 1;
        this.deps.log(`notify ${txnRef} -> HTTP ${response.statusCode}`);
      })
      .catch((error: unknown) => {
        record.outcome = 'failed';
        record.error = error instanceof Error ? error.message : String(error);
        stats.notifications.failed += 1;
        this.deps.log(`notify ${txnRef} failed: ${record.error}`);
      });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private record(
    about: About,
    copy: number,
    outcome: DeliveryRecord['outcome'],
    httpStatus: number | null,
    error: string | null,
  ): DeliveryRecord {
    const entry: DeliveryRecord = {
      ...about,
      copy,
      outcome,
      http_status: httpStatus,
      error,
      at: new Date().toISOString(),
    };
    this.deliveries.push(entry);
    return entry;
  }
}
