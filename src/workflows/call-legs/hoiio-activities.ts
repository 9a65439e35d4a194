/**
 * The conference activities as workflow code calls them, one proxy per kind of request: each kind has its own
 * patience. Changing an option here changes the commands a workflow issues: recorded histories must still replay.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { ConferenceActivities as HoiioActivities } from '../../activities/conference';

/** Placing a batch of legs. */
export const placement = proxyActivities<HoiioActivities>({
  // The activity bounds its own request well inside this, so a timed-out attempt can never dial behind a retry.
  startToCloseTimeout: '2 minutes',
  // The activity heartbeats every 5 s while it waits on Hoiio: a crashed worker's attempt is retried (and reconciled)
  // after this, not after the whole start-to-close. It exceeds the activity's own 25 s attempt deadline, so an
  // attempt the server gives up on has always stopped dialing.
  heartbeatTimeout: '30 seconds',
  // On cancel, wait for the dial's outcome (at most one bounded attempt): its legs must be known to be hung up.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // Limits (rate, concurrent calls) and server faults clear with time; everything else fails at once. Bounded by
  // attempts (about 35 minutes of backoff), not by a schedule-to-close timeout, which could cut an attempt off while
  // its request is still on its way.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 40 },
});

/**
 * Reconciling a dial that gave up: its legs may be live, so it is retried for as long as it takes rather than guessed.
 * The caller waits; its permits stay held, as they should while those legs may be up.
 */
export const reconciliation = proxyActivities<HoiioActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The cancellation path's look at what an interrupted dial placed: a few minutes at most. */
export const lastLook = proxyActivities<HoiioActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  scheduleToCloseTimeout: '5 minutes',
});

export const accounts = proxyActivities<HoiioActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Polls, hangups and moderation of single legs. */
export const legControl = proxyActivities<HoiioActivities>({
  startToCloseTimeout: '2 minutes',
  // These endpoints allow 60 requests a minute: back off up to a full window.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '10 minutes',
});

/**
 * The blocks of an IVR call after its dial (gather, transfer, hang up): each one short. A rate limit is retried for a
 * couple of minutes; past that the call has likely been hung up by Hoiio for want of a next block anyway.
 */
export const ivrBlocks = proxyActivities<HoiioActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds' },
  scheduleToCloseTimeout: '3 minutes',
});

/**
 * A session's pre-flight reads (rates, balance): reads only, so retried freely; a rate limit waits a minute at most
 * and the rates read so far are kept. If Hoiio cannot be read for half an hour, the session fails rather than dial
 * unchecked.
 */
export const preflight = proxyActivities<HoiioActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '30 minutes',
});
