/**
 * What a run of calls asked of Hoiio and what arrived along the way, kept as plain JSON so it can be carried over
 * continue-as-new. Changed only through {@link CallCounters}, so that every count has one place that makes it.
 */
export interface SessionCounters {
  conferenceCall: number;
  historyLookups: number;
  statusPolls: number;
  hangups: number;
  moderations: number;
  /** Failed attempts of dials that finally succeeded, counted by Temporal. */
  retries: number;
  /** Why they failed, as far as the activity's heartbeats tell (may be short of `retries`). */
  retryReasons: Record<string, number>;
  duplicateNotifications: number;
  /** `callEnded` payloads that did not parse: dropped, never applied (absent in snapshots of older runs). */
  malformedMessages?: number;
  /** Ends corrected by a later, authoritative report (absent in snapshots of older runs). */
  correctedEnds?: number;
}

export function emptyCounters(): SessionCounters {
  return {
    conferenceCall: 0,
    historyLookups: 0,
    statusPolls: 0,
    hangups: 0,
    moderations: 0,
    retries: 0,
    retryReasons: {},
    duplicateNotifications: 0,
  };
}

export class CallCounters {
  private readonly counts: SessionCounters;

  constructor(counts: SessionCounters) {
    this.counts = copyCounters(counts);
  }

  /** A copy: callers read counts, they never write them. */
  read(): SessionCounters {
    return copyCounters(this.counts);
  }

  /** A dial that reached Hoiio: its requests over every attempt, and why the attempts before the last failed. */
  dialed(result: {
    conferenceCallRequests: number;
    historyLookups: number;
    attempts: number;
    retryReasons: readonly string[];
  }): void {
    this.counts.conferenceCall += result.conferenceCallRequests;
    this.historyLookedUp(result.historyLookups);
    this.retried(result.attempts, result.retryReasons);
  }

  /** Retries of dials, counted by Temporal (`attempts` − 1), with the reasons their heartbeats gave. */
  retried(attempts: number, reasons: readonly string[]): void {
    this.counts.retries += Math.max(0, attempts - 1);
    for (const reason of reasons) this.counts.retryReasons[reason] = (this.counts.retryReasons[reason] ?? 0) + 1;
  }

  historyLookedUp(lookups = 1): void {
    this.counts.historyLookups += lookups;
  }

  polled(): void {
    this.counts.statusPolls += 1;
  }

  hungUp(): void {
    this.counts.hangups += 1;
  }

  moderated(): void {
    this.counts.moderations += 1;
  }

  duplicateNotification(): void {
    this.counts.duplicateNotifications += 1;
  }

  malformedMessage(): void {
    this.counts.malformedMessages = (this.counts.malformedMessages ?? 0) + 1;
  }

  endCorrected(): void {
    this.counts.correctedEnds = (this.counts.correctedEnds ?? 0) + 1;
  }
}

function copyCounters(counters: SessionCounters): SessionCounters {
  return { ...counters, retryReasons: { ...counters.retryReasons } };
}
