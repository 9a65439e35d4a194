import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../support/processes';

/**
 * The SDK's Prometheus exporter binds a port picked a moment before; when another process takes it in between, the
 * worker must start anyway, on another port, instead of failing with "Address already in use".
 */
it('installs the SDK’s metrics on another port when the one picked is taken in between', () => {
  const run = spawnSync('node', ['--import', 'tsx', 'test/observability/support/sdk-port-race.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  expect(result).toEqual({ taken: expect.any(Number), port: expect.any(Number), status: 200 });
  expect(result.port).not.toBe(result.taken);
}, 90_000);
