/**
 * Every fault the simulator can inject, turned on at once through `POST /_sim/config`, and the figures of what it
 * actually injected (from `/_sim/stats`).
 */
import type { SimStats } from '../bench/ledger';

export interface FaultKnobs {
  notifications: { dropRate: number; duplicateRate: number; delayRate: number; reorderRate: number };
  conferenceCall: { rateLimitRate: number; http5xxAfterRate: number; slowRate: number; slowMs: number };
  conferenceCallPerMinute: number | null;
  historyLagMs: number;
}

export const CHAOS_FAULTS: FaultKnobs = {
  notifications: { dropRate: 0.1, duplicateRate: 0.15, delayRate: 0.2, reorderRate: 0.2 },
  // Most dials answer slowly, so a worker stop can land while one is in flight.
  conferenceCall: { rateLimitRate: 0.1, http5xxAfterRate: 0.15, slowRate: 0.8, slowMs: 2_500 },
  conferenceCallPerMinute: 40,
  historyLagMs: 1_500,
};

export const NO_FAULTS: FaultKnobs = {
  notifications: { dropRate: 0, duplicateRate: 0, delayRate: 0, reorderRate: 0 },
  conferenceCall: { rateLimitRate: 0, http5xxAfterRate: 0, slowRate: 0, slowMs: 0 },
  conferenceCallPerMinute: null,
  historyLagMs: 0,
};

/** The `/_sim/config` patch: all fault kinds on (API: rate limits, 5xx before and after acting, slow replies). */
export function chaosFaults(knobs: FaultKnobs = CHAOS_FAULTS): Record<string, unknown> {
  return {
    rateLimits: { 'conference/call': knobs.conferenceCallPerMinute },
    // voice/get_history lists a new leg only after this long: a reconcile must not take "not listed" for "not dialed".
    historyLagMs: knobs.historyLagMs,
    faults: {
      api: {
        // Every endpoint (hangup, query_status, get_history...): some rate limits, server errors, slow replies.
        '*': { rateLimitRate: 0.05, internalErrorRate: 0.03, http5xxRate: 0.03, slowRate: 0.1, slowMs: 800 },
        'conference/call': {
          ...knobs.conferenceCall,
          internalErrorRate: 0.05,
          http5xxRate: 0.05,
          http5xxStatus: 503,
        },
        // Pages: the ambiguous 5xx after the call was placed, and slow replies so a worker stop can catch a page's
        // dial in flight; the IVR blocks (gather, transfer, hang-up) get the '*' faults.
        'ivr/start/dial': {
          rateLimitRate: 0.05,
          internalErrorRate: 0.05,
          http5xxRate: 0.05,
          http5xxAfterRate: 0.1,
          http5xxStatus: 503,
          slowRate: 0.5,
          slowMs: 2_500,
        },
      },
      notifications: { ...knobs.notifications, delayMs: 1_500, reorderHoldMs: 2_000 },
    },
  };
}

export interface FaultFigures {
  /** Faults the simulator reports having injected (slow replies are not counted by it). */
  injected: number;
  breakdown: Record<string, number>;
  knobs: FaultKnobs;
}

export function faultFigures(stats: SimStats, knobs: FaultKnobs = CHAOS_FAULTS): FaultFigures {
  const n = stats.notifications;
  const http5xx = Object.values(stats.http5xx).reduce((total, count) => total + count, 0);
  const breakdown: Record<string, number> = {
    'notification dropped': n.dropped,
    'notification duplicated': n.duplicated,
    'notification delayed': n.delayed,
    'notification reordered': n.reordered,
    'notification undelivered (receiver down)': n.failed,
    'HTTP 5xx (before or after acting)': http5xx,
    error_internal_server_error: stats.rejections.error_internal_server_error ?? 0,
    error_rate_limit_exceeded: stats.rejections.error_rate_limit_exceeded ?? 0,
  };
  const injected = Object.entries(breakdown)
    .filter(([name]) => !name.includes('receiver down'))
    .reduce((total, [, count]) => total + count, 0);
  return { injected, breakdown, knobs };
}
