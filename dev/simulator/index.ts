import Fastify from 'fastify';
import { type AddressInfo } from 'node:net';
import { type AccountConfig, describeIssues, optionsFileSchema } from './config-schema';
import { registerInspectionRoutes } from './inspection-routes';
import { registerApiRoutes } from './routes';
import { applyConfigPatch } from './runtime-config';
import {
  completeAccount,
  DEMO_ACCOUNT,
  DEFAULT_HOST,
  DEFAULT_PORT,
  defaultSettings,
  SettingsError,
  type SimulatorOptions,
} from './settings';
import { createState, type SimulatorState } from './state';
import { readStateFile, restoreLedger, StateFileWriter } from './state-file';

export type { SimulatorOptions } from './settings';
export type { SimCall, SimStats, SimNotificationCounts } from './inspection-types';
export { DEMO_ACCOUNT } from './settings';

export interface RunningSimulator {
  /** Where a Hoiio client points, e.g. http://127.0.0.1:4010/open/ */
  baseUrl: string;
  /** e.g. http://127.0.0.1:4010, for /_sim/ requests. */
  origin: string;
  host: string;
  port: number;
  /** Live state, for in-process tools; tests should prefer the HTTP inspection routes. */
  state: SimulatorState;
  /** Stops listening, clears every timer, drops held notifications and waits for in-flight deliveries. */
  close(): Promise<void>;
}

/**
 * Starts the Hoiio simulator. `port: 0` picks a free port. Options are validated the same way as `/_sim/config`
 * bodies, so a bad knob fails here with the field named.
 */
export async function startSimulator(options: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  const { log = () => undefined, ...json } = options;
  const parsed = optionsFileSchema.safeParse(json);
  if (!parsed.success) throw new SettingsError(describeIssues(parsed.error));
  const {
    host = DEFAULT_HOST,
    port = DEFAULT_PORT,
    includeDemoAccount = true,
    accounts = [],
    stateFile,
    ...knobs
  } = parsed.data;

  const configs = new Map<string, AccountConfig>();
  if (includeDemoAccount) configs.set(DEMO_ACCOUNT.appId, DEMO_ACCOUNT);
  for (const input of accounts) configs.set(input.appId, completeAccount(input, configs.get(input.appId)));

  const settings = defaultSettings();
  const state = createState(settings, [...configs.values()], log);
  applyConfigPatch(state, { ...knobs, seed: knobs.seed ?? settings.seed });
  // Loaded before listening: a bad file fails the start, naming the file, instead of silently forgetting the ledger,
  // and no request can see the counters before they are restored (a txn_ref would repeat).
  const ledger = stateFile === undefined ? undefined : readStateFile(stateFile);
  const endDropped = ledger && restoreLedger(state, ledger);
  const writer = stateFile === undefined ? undefined : new StateFileWriter(stateFile, state);

  // No Fastify logger: it would print request URLs, and a GET request carries the access token in its query.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  if (writer) {
    // A call changes on a request (dial, hangup, a block, /_sim/reset) or on one of its timers.
    app.addHook('onResponse', (_request, _reply, done) => {
      writer.touch();
      done();
    });
    state.timers.afterFire = () => writer.touch();
  }
  await registerApiRoutes(app, state);
  registerInspectionRoutes(app, state);
  await app.listen({ host, port });
  if (endDropped) {
    endDropped();
    writer?.touch();
  }

  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${urlHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    baseUrl: `${origin}/open/`,
    origin,
    host: address.address,
    port: address.port,
    state,
    close: () => {
      closing ??= (async () => {
        state.timers.close();
        state.timers.wakeSleepers();
        await app.close();
        try {
          writer?.close();
        } finally {
          await state.notifier.close();
        }
      })();
      return closing;
    },
  };
}
