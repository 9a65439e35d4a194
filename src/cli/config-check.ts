/**
 * `bridgekeeper config check`: what an operator runs before (or instead of) starting a worker or a receiver. It
 * validates every variable the worker and the receiver read, reaches Temporal (the namespace must exist) and asks
 * each configured Hoiio account for its balance (`user/get_balance`, which dials nobody and costs nothing). One line
 * per check; a secret (access token, API key, notify secret, Alertmanager token) is never printed, only whether it is
 * set. Exit 0 when every check passes, 1 otherwise.
 */
import type { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { temporalConfigFromEnv, type TemporalConfig } from '../config/temporal';
import { workerTuningFromEnv } from '../config/worker';
import { formatMoney } from '../domain/money';
import { createHoiioClient } from '../hoiio/client';
import { hoiioConfigFromEnv, type HoiioConfig } from '../hoiio/config';
import { alertmanagerOptions } from '../notifications/alertmanager';
import { receiverConfigFromEnv } from '../notifications/config';
import { CliError } from './cli-errors';

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

export interface ConfigCheckOptions {
  /** Skip the Hoiio balance requests (a health check that must not spend Hoiio's rate limit). */
  hoiio?: boolean;
  /** How long to wait for Temporal's answer. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/** Runs `fn` as one check: its detail when it returns, the error's first line when it throws. */
async function check(name: string, fn: () => string | Promise<string>): Promise<CheckResult> {
  try {
    return { check: name, ok: true, detail: await fn() };
  } catch (error) {
    return { check: name, ok: false, detail: messageOf(error) };
  }
}

export async function runConfigCheck(
  env: NodeJS.ProcessEnv = process.env,
  options: ConfigCheckOptions = {},
): Promise<CheckResult[]> {
  let temporal: TemporalConfig | undefined;
  let hoiio: HoiioConfig | undefined;
  const results = [
    await check('temporal config', () => {
      temporal = temporalConfigFromEnv(env);
      const { connection } = temporal;
      const tls = connection.tls ? 'on' : 'off';
      const profile = temporal.profile ? `, profile ${temporal.profile}` : '';
      return (
        `address ${temporal.address}, namespace ${temporal.namespace}, task queue ${temporal.taskQueue}, ` +
        `TLS ${tls}, API key ${connection.apiKey ? 'set' : 'not set'}${profile}`
      );
    }),
    await check('hoiio config', () => {
      hoiio = hoiioConfigFromEnv(env);
      const accounts = Object.entries(hoiio.accounts).map(([name, account]) => `${name} (${account.appId})`);
      return `accounts ${accounts.join(', ')}`;
    }),
    await check('receiver config', () => {
      const receiver = receiverConfigFromEnv(env);
      const parts = [
        `listens on ${receiver.host}:${receiver.port}`,
        `public URL ${receiver.publicUrl}`,
        `notify secret ${receiver.notifySecret ? 'set' : 'derived from each token'}`,
      ];
      if (receiver.alertmanager) {
        const accounts = hoiio ? Object.keys(hoiio.accounts) : undefined;
        const { policies } = alertmanagerOptions(receiver.alertmanager, temporal?.taskQueue ?? '', accounts);
        parts.push(`Alertmanager webhook on, policies ${[...policies.keys()].sort().join(', ')}`);
      } else {
        parts.push('Alertmanager webhook off');
      }
      return parts.join(', ');
    }),
    await check('worker config', () => {
      const tuning = workerTuningFromEnv(env);
      return `shutdown grace ${tuning.shutdownGraceMs} ms`;
    }),
  ];
  if (temporal) results.push(await check('temporal', () => reachTemporal(temporal!, options.timeoutMs)));
  if (hoiio && options.hoiio !== false) {
    for (const [name, account] of Object.entries(hoiio.accounts)) {
      results.push(
        await check(`hoiio account ${name}`, async () => {
          const client = createHoiioClient(account);
          try {
            const { currency, balance } = await client.getBalance();
            return `${account.appId} at ${account.baseUrl}: balance ${currency} ${formatMoney(balance)}`;
          } finally {
            await client.close();
          }
        }),
      );
    }
  }
  return results;
}

/** Connects and describes the namespace: proves the address, TLS, credentials and namespace in one round trip. */
async function reachTemporal(config: TemporalConfig, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connection, connectTimeout: timeoutMs });
  } catch (error) {
    throw new Error(`cannot reach Temporal at ${config.address}: ${messageOf(error)}`);
  }
  try {
    const client = new Client({ connection, namespace: config.namespace });
    await connection.withDeadline(Date.now() + timeoutMs, () =>
      client.workflowService.describeNamespace({ namespace: config.namespace }),
    );
    return `reached ${config.address}, namespace ${config.namespace} exists`;
  } catch (error) {
    throw new Error(`Temporal at ${config.address}, namespace ${config.namespace}: ${messageOf(error)}`);
  } finally {
    await connection.close();
  }
}

export function formatCheck(result: CheckResult): string {
  return `${result.ok ? 'ok  ' : 'FAIL'} ${result.check}: ${result.detail}`;
}

/** Prints every check's line and resolves to the exit code: `node dist/worker.js --check [--no-hoiio]`. */
export async function printConfigCheck(
  print: (text: string) => void,
  options: ConfigCheckOptions = {},
): Promise<{ failed: number; total: number }> {
  const results = await runConfigCheck(process.env, options);
  results.forEach((result) => print(formatCheck(result)));
  return { failed: results.filter((result) => !result.ok).length, total: results.length };
}

/** `bridgekeeper config check [--no-hoiio]`. */
export function registerConfigCommands(program: Command, print: (text: string) => void): void {
  program
    .command('config')
    .description('check the configuration of workers and receivers')
    .command('check')
    .description('validate every variable, reach Temporal and each Hoiio account (user/get_balance; nobody is dialed)')
    .option('--no-hoiio', 'skip the Hoiio balance requests')
    .action(async (options: { hoiio: boolean }) => {
      const { failed, total } = await printConfigCheck(print, { hoiio: options.hoiio });
      if (failed > 0) throw new CliError(`config check: ${failed} of ${total} checks failed`);
    });
}
