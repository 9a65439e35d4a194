/**
 * `npm run chaos`: sessions and escalations on a stack of real processes while the worker is stopped again and again
 * mid-dial, the dev server and the receiver are restarted and every simulator fault is on; then the simulator's ledger
 * is judged.
 * Prints a table, names every violation, exits 0 only when there is none. See docs/chaos.md.
 *
 *   npm run chaos                                   # 4 × 12, 2 escalations, 20 worker stops, 5 + 3 restarts
 *   npm run chaos -- --sessions 2 --worker-stops 3 --server-restarts 1 --receiver-restarts 1
 *   npm run chaos -- --calm                         # sanity check: no faults, no stops, no restarts
 *   npm run chaos -- --json out.json                # also write the result as JSON ("-" for stdout only)
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { runChaos, type ChaosOptions, type ChaosResult } from './run';

const HELP = `Usage: npm run chaos -- [options]
  --sessions <n>            concurrent conferenceSession workflows (default 4)
  --participants <n>        participants per session (default 12)
  --escalations <n>         escalation workflows paging scripted on-call trees alongside the sessions (default 2)
  --worker-stops <n>        worker stops, alternating SIGTERM and SIGKILL, each while a dial is in flight (default 20)
  --server-restarts <n>     Temporal dev server restarts on its database (default 5)
  --receiver-restarts <n>   notification receiver restarts (default 3)
  --no-faults               leave the simulator's faults off
  --calm                    no faults, no stops, no restarts: the suite's own sanity check
  --seed <n>                seeds the scripts, the simulator and the chaos schedule (default 7)
  --time-scale <x>          simulated seconds per real second (default 20)
  --talk <min-max>          simulated talk seconds of an answered leg (default 60-240)
  --timeout <s>             give up on unfinished sessions (stalls) after this many seconds (default 900)
  --json <file|->           write the result as JSON to a file, or to stdout instead of the table
  --keep-logs               keep the run directory (process logs, dev server database) after a pass; a failed
                            run always keeps it
`;

function whole(name: string, text: string | undefined, fallback: number, min = 0): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number >= ${min}`);
  return value;
}

export function parseOptions(argv: string[]): (Omit<ChaosOptions, 'log'> & { json?: string }) | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: 'string' },
      participants: { type: 'string' },
      escalations: { type: 'string' },
      'worker-stops': { type: 'string' },
      'server-restarts': { type: 'string' },
      'receiver-restarts': { type: 'string' },
      'no-faults': { type: 'boolean', default: false },
      calm: { type: 'boolean', default: false },
      seed: { type: 'string' },
      'time-scale': { type: 'string' },
      talk: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'string' },
      'keep-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const calm = values.calm;
  const timeScale = Number(values['time-scale'] ?? 20);
  if (!(timeScale > 0 && timeScale <= 10_000)) throw new Error('--time-scale must be a number in (0, 10000]');
  const talkMatch = /^(\d+)-(\d+)$/.exec(values.talk ?? '60-240');
  if (!talkMatch || Number(talkMatch[1]) < 1 || Number(talkMatch[1]) > Number(talkMatch[2])) {
    throw new Error('--talk must be <min>-<max> simulated seconds, e.g. 60-240');
  }
  const stopsIfChaos = (name: string, fallback: number) =>
    calm ? 0 : whole(name, values[name as 'worker-stops'], fallback);
  const options = {
    sessions: whole('sessions', values.sessions, 4, 1),
    participants: whole('participants', values.participants, 12, 1),
    escalations: whole('escalations', values.escalations, 2),
    workerStops: stopsIfChaos('worker-stops', 20),
    serverRestarts: stopsIfChaos('server-restarts', 5),
    receiverRestarts: stopsIfChaos('receiver-restarts', 3),
    faults: !calm && !values['no-faults'],
    seed: whole('seed', values.seed, 7),
    timeScale,
    talk: { min: Number(talkMatch[1]), max: Number(talkMatch[2]) },
    timeoutSeconds: whole('timeout', values.timeout, 900, 60),
    // Longer than the 120 s a session or escalation waits for a lost end notification before it polls: a leg whose
    // notification was dropped holds its permit with the line free for that long by design, and is no stall.
    stallSeconds: 150,
    workerShutdownGraceMs: 5_000,
    keepLogs: values['keep-logs'],
    json: values.json,
  };
  if (options.participants > 99_999 || options.sessions > 99) throw new Error('at most 99 sessions of 99999');
  if (options.escalations > 99) throw new Error('at most 99 escalations');
  return options;
}

export function resultTable(result: ChaosResult): string {
  const table = new Table({ head: ['figure', 'value'], style: { head: [], border: [] } });
  const f = result.faults;
  const faultDetail = Object.entries(f.breakdown)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ${count}`)
    .join('\n');
  table.push(
    ['faults injected', `${f.injected}${faultDetail ? `\n${faultDetail}` : ''}`],
    ['worker stops graceful (SIGTERM)', String(result.workerStops.graceful)],
    ['worker stops kill (SIGKILL)', String(result.workerStops.kill)],
    ['worker stops with a dial in flight', String(result.workerStops.midDial)],
    ['server restarts', String(result.serverRestarts)],
    ['receiver restarts', String(result.receiverRestarts)],
    ['sessions (completed / total)', `${result.sessions.completed} / ${result.sessions.total}`],
    ['legs', String(result.legs)],
    ['escalations (acknowledged / total)', `${result.escalations.acknowledged} / ${result.escalations.total}`],
    ['pages (IVR calls)', String(result.escalations.pages)],
    ['bridge legs', String(result.escalations.bridgeLegs)],
    ['doubles', String(result.doubles)],
    ['orphans', String(result.orphans)],
    ['stalls', String(result.stalls)],
    ['peak concurrent calls', String(result.peakConcurrent)],
    ['concurrent-limit rejections', String(result.concurrentRejections)],
    ['violations', String(result.violations.length)],
    ['seconds', result.seconds.toFixed(1)],
  );
  return table.toString();
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const { json, ...options } = parsed;
  const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const result = await runChaos({ ...options, log });
  if (json && json !== '-') writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  if (json === '-') {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    console.log(resultTable(result));
    for (const violation of result.violations) {
      const where = [violation.session, violation.number].filter(Boolean).join(' ');
      console.log(`VIOLATION ${violation.invariant}${where ? ` [${where}]` : ''}: ${violation.detail}`);
    }
    for (const warning of result.stallWarnings) console.log(`stall warning: ${warning}`);
    console.log(
      result.violations.length === 0
        ? `PASS: no violation${result.logsKept ? ` (logs in ${result.runDir})` : ''}`
        : `FAIL: ${result.violations.length} violation(s) of ${[...new Set(result.violations.map((v) => v.invariant))].join(', ')} (logs in ${result.runDir})`,
    );
  }
  return result.violations.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`[chaos] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(2);
    },
  );
}
