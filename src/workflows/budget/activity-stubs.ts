import { proxyActivities } from '@temporalio/workflow';
import type { BudgetActivities } from '../../activities/budget';
import type { ConferenceActivities } from '../../activities/conference';

/** Whether a holder workflow still runs, and what a gone one held. */
export const holderChecks = proxyActivities<BudgetActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/** Asking every holder to report, through visibility: one page of signals at a time, heartbeating. */
export const prompting = proxyActivities<BudgetActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

export const legControl = proxyActivities<Pick<ConferenceActivities, 'hangupLeg'>>({
  startToCloseTimeout: '1 minute',
  // Hoiio allows 60 hangups a minute: back off up to a full window.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  scheduleToCloseTimeout: '10 minutes',
});
