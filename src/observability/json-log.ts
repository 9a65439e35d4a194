import { format } from 'node:util';
import { DefaultLogger, type LogLevel, type Logger } from '@temporalio/worker';
import type { ReceiverLog } from '../notifications/notification-log';
import { consoleReceiverLog, formatLogEvent } from '../notifications/notification-log';

/**
 * One log format for the worker (the SDK's Runtime logger) and the receiver: with LOG_FORMAT=json, every line a JSON
 * object `{time, level, msg, ...}` with snake_case context (workflow_id, txn_ref, account, ...); otherwise the
 * readable lines of before. LOG_LEVEL (default INFO) sets the worker's level.
 */
export type LogFormat = 'text' | 'json';

export interface LogSettings {
  format: LogFormat;
  level: LogLevel;
}

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function logSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LogSettings {
  const formatText = env.LOG_FORMAT || 'text';
  if (formatText !== 'text' && formatText !== 'json') {
    throw new Error(`LOG_FORMAT must be text or json; got ${JSON.stringify(formatText)}`);
  }
  const level = (env.LOG_LEVEL || 'INFO').toUpperCase() as LogLevel;
  if (!LEVELS.includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}; got ${JSON.stringify(env.LOG_LEVEL)}`);
  }
  return { format: formatText, level };
}

/** Context keys as the JSON lines spell them; the SDK and our events use camelCase. */
const RENAMED: Record<string, string> = {
  workflowId: 'workflow_id',
  runId: 'run_id',
  workflowRunId: 'run_id',
  workflowType: 'workflow_type',
  activityId: 'activity_id',
  activityType: 'activity_type',
  taskQueue: 'task_queue',
  txnRef: 'txn_ref',
  callStatus: 'call_status',
  callState: 'call_state',
  sdkComponent: 'sdk_component',
};

/**
 * Never written, whatever a caller passes: defence in depth, since tokens and signatures are kept out of log events
 * by construction already (the access token, the notify secret, bk_token, X-Hoiio-Signature, API keys).
 */
const SECRET_KEY = /token|secret|signature|password|authorization|api_?key|cookie/i;

function plain(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** One JSON line. */
export function jsonLine(level: string, message: string, fields: Record<string, unknown> = {}): string {
  const line: Record<string, unknown> = { time: new Date().toISOString(), level: level.toLowerCase(), msg: message };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || SECRET_KEY.test(key)) continue;
    line[RENAMED[key] ?? key] = plain(value);
  }
  return JSON.stringify(line);
}

/** The SDK's Runtime logger writing JSON lines to stderr, as DefaultLogger writes its text. */
export class JsonLogger extends DefaultLogger {
  constructor(level: LogLevel) {
    super(level, ({ level: entryLevel, message, meta }) => {
      process.stderr.write(`${jsonLine(entryLevel, message, meta)}\n`);
    });
  }
}

export function runtimeLogger(settings: LogSettings): Logger {
  return settings.format === 'json' ? new JsonLogger(settings.level) : new DefaultLogger(settings.level);
}

/** The receiver's notification log in the chosen format: the same fields either way. */
export function receiverLog(settings: LogSettings): ReceiverLog {
  if (settings.format === 'text') return consoleReceiverLog;
  return (event) => {
    const { outcome, status, source = 'conference', ...context } = event;
    const level = outcome === 'accepted' ? 'info' : 'warn';
    const message = formatLogEvent({ outcome, status, source, reason: event.reason }).split(' reason=')[0]!;
    process.stdout.write(`${jsonLine(level, message, { source, outcome, status, ...context })}\n`);
  };
}

/**
 * With LOG_FORMAT=json, the process's own console lines (startup, shutdown, errors) become JSON lines too, so that
 * every line a worker or receiver writes parses.
 */
export function useLogFormatForConsole(settings: LogSettings): void {
  if (settings.format !== 'json') return;
  const write =
    (stream: NodeJS.WriteStream, level: string) =>
    (...args: unknown[]) => {
      stream.write(`${jsonLine(level, format(...args))}\n`);
    };
  console.log = write(process.stdout, 'info');
  console.info = write(process.stdout, 'info');
  console.warn = write(process.stderr, 'warn');
  console.error = write(process.stderr, 'error');
}
