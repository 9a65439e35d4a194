export {
  NOTIFY_PATH,
  IVR_NOTIFY_PATH,
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
export { IVR_NOTIFICATION_FIELDS, ivrNotificationSchema, parseIvrNotification } from './ivr-notification-schema';
export { deliverSignal, type Delivery } from './signal-delivery';
export {
  ALERTMANAGER_PATH,
  DEFAULT_POLICY_NAME,
  ESCALATION_WORKFLOW_TYPE,
  RESOLVE_REASON,
  alertmanagerOptions,
  choosePolicy,
  incidentIdFor,
  loadPolicies,
  titleFor,
  type AlertmanagerOptions,
} from './alertmanager';
export { alertmanagerPayloadSchema, parseAlertmanagerPayload, type AlertmanagerPayload } from './alertmanager-schema';
export {
  receiverConfigFromEnv,
  ReceiverConfigError,
  DEFAULT_RECEIVER_HOST,
  DEFAULT_RECEIVER_PORT,
  DEFAULT_RECEIVER_LIMITS,
  DEFAULT_POLICY_LABEL,
  type AlertmanagerConfig,
  type ReceiverConfig,
  type ReceiverLimits,
} from './config';
