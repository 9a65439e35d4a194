import { Client, Connection } from '@temporalio/client';
import { temporalConfigFromEnv } from './config/temporal';
import { hoiioConfigFromEnv } from './hoiio/config';
import { ALERTMANAGER_PATH, alertmanagerOptions } from './notifications/alertmanager';
import { receiverConfigFromEnv } from './notifications/config';
import { NOTIFY_PATH } from './notifications/notify-url';
import { startReceiver } from './notifications/receiver';
import { logSettingsFromEnv, receiverLog, useLogFormatForConsole } from './observability/json-log';
import { startTracing, tracingClientInterceptors } from './observability/tracing';

/**
 * `npm run receiver`, or `node dist/receiver.js` after `npm run build`: the notification receiver on its
 * own, for deployments that run several of them behind the public URL. Temporal from TEMPORAL_* variables, accounts
 * from HOIIO_*, listening per RECEIVER_* (see config.ts); the Alertmanager webhook when BRIDGEKEEPER_ALERTMANAGER_TOKEN
 * and BRIDGEKEEPER_POLICIES_DIR are set (a bad policy file stops startup, naming it and its problems). SIGINT/SIGTERM stop listening, let requests in flight
 * finish, close the connection and exit 0.
 */
async function main(): Promise<void> {
  const logs = logSettingsFromEnv();
  useLogFormatForConsole(logs);
  const receiverConfig = receiverConfigFromEnv();
  const temporal = temporalConfigFromEnv();
  const hoiio = hoiioConfigFromEnv();
  // Policies are read and checked before anything connects: a bad file stops startup, naming it.
  const alertmanager =
    receiverConfig.alertmanager &&
    alertmanagerOptions(receiverConfig.alertmanager, temporal.taskQueue, Object.keys(hoiio.accounts));

  const connection = await Connection.connect(temporal.connection);
  const tracing = startTracing('bridgekeeper-receiver');
  const client = new Client({
    connection,
    namespace: temporal.namespace,
    interceptors: tracingClientInterceptors(tracing),
  });
  let receiver;
  try {
    receiver = await startReceiver({
      host: receiverConfig.host,
      port: receiverConfig.port,
      client,
      accounts: hoiio.accounts,
      notifySecret: receiverConfig.notifySecret,
      limits: receiverConfig.limits,
      alertmanager,
      log: receiverLog(logs),
    });
  } catch (error) {
    await connection.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${receiverConfig.port} on ${receiverConfig.host} is already in use: stop what holds it or set RECEIVER_PORT`,
      );
    }
    throw error;
  }
  const accounts = Object.keys(hoiio.accounts).sort().join(', ');
  console.log(
    `bridgekeeper receiver listening on ${receiver.url}${NOTIFY_PATH} (public URL ${receiverConfig.publicUrl}; ` +
      `Temporal ${temporal.address}, namespace ${temporal.namespace}; accounts: ${accounts})`,
  );
  if (alertmanager) {
    const policies = [...alertmanager.policies.keys()].sort().join(', ');
    console.log(
      `bridgekeeper receiver: Alertmanager webhook on ${receiver.url}${ALERTMANAGER_PATH} (task queue ` +
        `${alertmanager.taskQueue}; policy label ${alertmanager.policyLabel}; policies: ${policies})`,
    );
  }

  const running = receiver;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`bridgekeeper receiver: ${signal}, shutting down`);
    void running
      .close()
      .then(() => connection.close())
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error('bridgekeeper receiver: shutdown failed:', error instanceof Error ? error.message : error);
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`bridgekeeper receiver: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
