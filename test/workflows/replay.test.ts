/**
 * Workflow code must replay every history a running workflow may have: sessions run for up to 30 days and the call
 * budget forever, across deploys. The recordings under `test/histories/<release>/` (made by
 * `npm run histories:record`) are replayed against today's code; a change in the order of commands fails here, in CI,
 * instead of wedging workflows in production. See docs/deploying.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../../dev/stack/local-stack';
import { productionReplayOptions } from '../support/replay-options';

const root = join(__dirname, '..', 'histories');

function recordings(): { workflowId: string; file: string }[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((release) =>
      readdirSync(join(root, release.name))
        .filter((name) => name.endsWith('.json'))
        .map((name) => ({ workflowId: `${release.name}/${name}`, file: join(root, release.name, name) })),
    );
}

describe('recorded histories', () => {
  it('replay against the current workflow code, for every release kept', async () => {
    installQuietRuntime();
    const recorded = recordings();
    expect(recorded.length).toBeGreaterThanOrEqual(4);
    const histories = recorded.map(({ workflowId, file }) => ({
      workflowId,
      history: historyFromJSON(JSON.parse(readFileSync(file, 'utf8'))),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      // With the interceptors every worker bundles (leg metrics, gated trace spans): they must not change a command.
      // Traces: the SDK's OpenTelemetry interceptors alone fail every recording here; ours turn them on per run.
      productionReplayOptions(),
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  });
});
