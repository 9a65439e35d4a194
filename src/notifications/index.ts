export {
  NOTIFY_PATH,
  ROUTING_PARAMS,
  buildNotifyUrl,
  notifySecret,
  sessionToken,
  verifySessionToken,
} from './notify-url';
export {
  createReceiver,
  startReceiver,
  HEALTH_PATH,
  type Receiver,
  type ReceiverCounters,
  type ReceiverOptions,
  type StartReceiverOptions,
  type RunningReceiver,
} from './receiver';
export { type ReceiverAccount, type ReceiverAccounts } from './routing';
export { consoleReceiverLog, formatLogEvent, type ReceiverLog, type ReceiverLogEvent } from './notification-log';
export {
  notificationSchema,
  parseNotification,
  describeIssues,
  NOTIFICATION_FIELDS,
  type NotificationIssue,
  type NotificationParse,
} from './notification-schema';
export {
  receiverConfigFromEnv,
  ReceiverConfigError,
  DEFAULT_RECEIVER_HOST,
  DEFAULT_RECEIVER_PORT,
  DEFAULT_RECEIVER_LIMITS,
  type ReceiverConfig,
  type ReceiverLimits,
} from './config';
