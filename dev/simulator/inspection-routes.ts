import { type FastifyInstance } from 'fastify';
import { configPatchSchema, describeIssues } from './config-schema';
import { inspectionView } from './leg-views';
import { applyConfigPatch, describeConfig } from './runtime-config';
import { SettingsError } from './settings';
import { resetState, type SimulatorState } from './state';

/** `/_sim/*`: for tests and tools, never part of Hoiio's API. */
export function registerInspectionRoutes(app: FastifyInstance, state: SimulatorState): void {
  app.get('/_sim/calls', (request) => {
    const appId = (request.query as Record<string, string | undefined>).app_id;
    const legs = state.engine.all().filter((leg) => appId === undefined || leg.appId === appId);
    return { calls: legs.map(inspectionView) };
  });

  app.get('/_sim/stats', () => {
    const activeCalls: Record<string, number> = {};
    for (const account of state.accounts.all()) {
      activeCalls[account.config.appId] = state.engine.activeCalls(account.config.appId);
    }
    return { ...state.stats.snapshot(), activeCalls };
  });

  app.get('/_sim/notifications', () => ({ notifications: state.notifier.deliveries }));

  app.get('/_sim/config', () => describeConfig(state));

  app.post('/_sim/config', async (request, reply) => {
    const parsed = configPatchSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issues = describeIssues(parsed.error);
      return reply.code(400).send({ error: `invalid config: ${issues.join('; ')}`, issues });
    }
    try {
      applyConfigPatch(state, parsed.data);
    } catch (error) {
      if (!(error instanceof SettingsError)) throw error;
      return reply.code(400).send({ error: `invalid config: ${error.issues.join('; ')}`, issues: error.issues });
    }
    return describeConfig(state);
  });

  app.post('/_sim/reset', () => {
    resetState(state);
    return { status: 'reset' };
  });
}
