import { type ApiFault, type Endpoint } from './config-schema';
import { type Random } from './random';
import { type Settings } from './settings';

const NO_FAULTS: ApiFault = {
  rateLimitRate: 0,
  internalErrorRate: 0,
  http5xxRate: 0,
  http5xxAfterRate: 0,
  http5xxStatus: 503,
  slowRate: 0,
  slowMs: 0,
};

export interface FaultDecision {
  /** Answer this instead of doing the work. */
  instead: 'error_rate_limit_exceeded' | 'error_internal_server_error' | 'http5xx' | undefined;
  /** Do the work, then answer a bare 5xx instead of the reply. */
  failAfter: boolean;
  http5xxStatus: number;
  /** Hold the reply back this long (0: not at all). */
  delayMs: number;
}

/** The knobs for one endpoint: its own settings laid over the `*` ones, field by field. */
export function faultsFor(endpoint: Endpoint, settings: Settings): ApiFault {
  return { ...NO_FAULTS, ...settings.apiFaults['*'], ...settings.apiFaults[endpoint] };
}

/** Rolls the dice for one request. Always five draws, so one knob does not shift another's sequence. */
export function decideFault(endpoint: Endpoint, settings: Settings, rng: Random): FaultDecision {
  const knobs = faultsFor(endpoint, settings);
  const rateLimited = rng.chance(knobs.rateLimitRate);
  const internal = rng.chance(knobs.internalErrorRate);
  const http5xx = rng.chance(knobs.http5xxRate);
  const failAfter = rng.chance(knobs.http5xxAfterRate);
  const slow = rng.chance(knobs.slowRate);
  return {
    instead: rateLimited
      ? 'error_rate_limit_exceeded'
      : internal
        ? 'error_internal_server_error'
        : http5xx
          ? 'http5xx'
          : undefined,
    failAfter,
    http5xxStatus: knobs.http5xxStatus,
    delayMs: slow ? knobs.slowMs : 0,
  };
}
