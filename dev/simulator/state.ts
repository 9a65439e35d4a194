import { AccountStore } from './accounts';
import { CallEngine } from './call-engine';
import { type AccountConfig } from './config-schema';
import { Notifier } from './notifier';
import { OutcomePlanner } from './outcomes';
import { streamsFor } from './random';
import { RateLimiter } from './rate-limiter';
import { type Settings } from './settings';
import { SimClock } from './sim-clock';
import { Stats } from './stats';
import { TimerSet } from './timers';

/** Everything one running simulator knows; handlers and inspection routes share it. */
export interface SimulatorState {
  settings: Settings;
  accounts: AccountStore;
  clock: SimClock;
  timers: TimerSet;
  stats: Stats;
  limiter: RateLimiter;
  planner: OutcomePlanner;
  engine: CallEngine;
  notifier: Notifier;
  rngs: ReturnType<typeof streamsFor>;
  log: (line: string) => void;
}

export function createState(
  settings: Settings,
  accounts: AccountConfig[],
  log: (line: string) => void,
): SimulatorState {
  const timers = new TimerSet();
  const stats = new Stats();
  const clock = new SimClock(settings.timeScale);
  const planner = new OutcomePlanner();
  const store = new AccountStore(accounts);
  const state = {
    settings,
    accounts: store,
    clock,
    timers,
    stats,
    planner,
    log,
    rngs: streamsFor(settings.seed),
  } as Omit<SimulatorState, 'engine' | 'notifier' | 'limiter'> as SimulatorState;
  state.limiter = new RateLimiter();
  state.notifier = new Notifier({
    settings,
    stats,
    timers,
    rng: () => state.rngs.notifications,
    tokenFor: (appId) => store.get(appId)?.config.accessToken,
    log,
  });
  state.engine = new CallEngine({
    settings,
    accounts: store,
    clock,
    timers,
    stats,
    planner,
    rng: () => state.rngs.outcomes,
    onEnded: (leg) => {
      log(`leg ${leg.txnRef} ended ${leg.callStatus ?? ''} (${leg.endedBy ?? ''}), ${leg.minutes ?? 0} min`);
      // An IVR call's end is one of its notices, sent through onIvrNotice.
      if (leg.kind === 'conference') state.notifier.notify(leg);
    },
    onIvrNotice: (leg, notice) => {
      log(`ivr ${leg.txnRef} ${notice.callState}${notice.digits === undefined ? '' : ' (digits)'}`);
      state.notifier.notifyIvr(leg, notice);
    },
  });
  return state;
}

/**
 * `/_sim/reset`: forget calls, stats, rate windows, delivery log and script attempt counters; restore credit and
 * reseed the generators, so a test starts from the same place every time. Settings and accounts stay.
 */
export function resetState(state: SimulatorState): void {
  state.engine.reset();
  state.timers.clearAll();
  state.timers.wakeSleepers();
  state.notifier.reset();
  state.limiter.reset();
  state.planner.reset();
  state.accounts.resetCredit();
  state.rngs = streamsFor(state.settings.seed);
  const fresh = new Stats();
  Object.assign(state.stats, fresh);
}
