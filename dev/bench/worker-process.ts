/**
 * The scale scenario's worker, alone in a process of its own and run as in production: built (`npm run build`) and
 * started as `node dist/worker.js` with the prebuilt workflow bundle, configured only by the documented variables. So
 * its memory is measured apart from the simulator, the receiver and the benchmark's clients, which share the
 * benchmark's process, and without webpack, which a worker run from source loads to bundle its workflows (about
 * 240 MB more at start). It serves a task queue of its own: nothing else runs on it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WORKFLOW_BUNDLE_FILE } from '../../src/bundle-workflows';
import { ProcessRegistry, type ManagedProcess } from '../chaos/processes';

/** What `npm run build` writes and the worker runs (src/bundle-workflows.ts). */
export const WORKFLOW_BUNDLE_PATH = path.join('dist', WORKFLOW_BUNDLE_FILE);

export interface WorkerProcess {
  taskQueue: string;
  /** Highest resident set size seen so far, in bytes (sampled every 250 ms from /proc). */
  peakRss(): number;
  stop(): Promise<void>;
}

/** Starts the worker and resolves once it polls its task queue. `env`: what differs from the benchmark's own. */
export async function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-worker-'));
  const taskQueue = `bench-worker-${process.pid}`;
  const registry = new ProcessRegistry();
  const worker: ManagedProcess = registry.start(
    'worker',
    path.join(dir, 'worker.log'),
    process.execPath,
    ['dist/worker.js'],
    { ...process.env, ...env, TEMPORAL_TASK_QUEUE: taskQueue, BRIDGEKEEPER_METRICS_PORT: 'off' },
  );
  const exitHook = (): void => registry.killAll();
  process.once('exit', exitHook);
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, residentBytes(worker.pid));
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  try {
    await worker.waitForLog('Worker polling task queue', 120_000);
  } catch (error) {
    clearInterval(timer);
    registry.killAll();
    throw error;
  }
  return {
    taskQueue,
    peakRss: () => {
      sample();
      return peak;
    },
    async stop() {
      sample();
      clearInterval(timer);
      await worker.stop('SIGTERM', 20_000);
      process.off('exit', exitHook);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** VmRSS of a process, from /proc (0 once it is gone, or where there is no /proc). */
function residentBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0;
  }
}
