import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { classifyDialFailure } from '../../src/workflows/call-legs/dial-failure';

/** How the workflow sees a failed placeConferenceCall: an ActivityFailure around the last attempt's failure. */
function dialFailed(cause: Error, retryState: RetryState): ActivityFailure {
  return new ActivityFailure('Activity task failed', 'placeConferenceCall', '1', retryState, 'worker', cause);
}

describe('classifyDialFailure', () => {
  it('takes a retryable status whose retries ran out as ambiguous, never as a refusal of the account', () => {
    const exhausted = dialFailed(
      ApplicationFailure.retryable('rate limited', 'error_rate_limit_exceeded'),
      RetryState.TIMEOUT,
    );
    expect(classifyDialFailure(exhausted)).toEqual({ kind: 'ambiguous', type: 'error_rate_limit_exceeded' });
    const lastTimedOut = dialFailed(
      ApplicationFailure.retryable('no answer in time', 'transport_timeout'),
      RetryState.TIMEOUT,
    );
    expect(classifyDialFailure(lastTimedOut).kind).toBe('ambiguous');
  });

  it('takes an attempt aborted under its request as ambiguous, whatever its flag says', () => {
    const aborted = dialFailed(
      ApplicationFailure.nonRetryable('aborted', 'transport_aborted'),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(classifyDialFailure(aborted).kind).toBe('ambiguous');
    const heartbeatLost = dialFailed(
      new TimeoutFailure('heartbeat', undefined, TimeoutType.HEARTBEAT),
      RetryState.TIMEOUT,
    );
    expect(classifyDialFailure(heartbeatLost)).toEqual({ kind: 'ambiguous', type: 'unknown' });
  });

  it('takes only a final Hoiio status as a refusal, of one number, of the request or of the account', () => {
    const final = (type: string) =>
      classifyDialFailure(dialFailed(ApplicationFailure.nonRetryable(type, type), RetryState.NON_RETRYABLE_FAILURE));
    const refused = (scope: string, type: string) => ({ kind: 'refused', scope, type });
    expect(final('error_dest_not_supported')).toEqual(refused('number', 'error_dest_not_supported'));
    expect(final('error_insufficient_credit')).toEqual(refused('account', 'error_insufficient_credit'));
    expect(final('error_invalid_access_token')).toEqual(refused('account', 'error_invalid_access_token'));
    expect(final('error_invalid_room')).toEqual(refused('request', 'error_invalid_room'));
    expect(final('HoiioConfigError')).toEqual({ kind: 'not-sent', type: 'HoiioConfigError' });
    // A retry's history lookup refused for good says nothing of the dial before it.
    expect(final('history_error_invalid_access_token').kind).toBe('ambiguous');
    // A status we do not know could mean anything, including "dialed": look before deciding.
    expect(final('error_something_new').kind).toBe('ambiguous');
  });
});
