/** The typed Hoiio client and everything a caller needs around it. */
export {
  HoiioClient,
  createHoiioClient,
  HOIIO_ENDPOINTS,
  SIMULATOR_BASE_URL,
  type HoiioClientOptions,
  type RequestOptions,
} from './client';
export {
  HoiioError,
  HoiioInputError,
  HoiioApiError,
  HoiioTransportError,
  HoiioConfigError,
  isHoiioError,
  type HoiioInputIssue,
  type HoiioTransportReason,
} from './errors';
export {
  checkAccountConfigured,
  hoiioConfigFromEnv,
  selectHoiioAccount,
  DEFAULT_ACCOUNT,
  type HoiioConfig,
  type HoiioAccountConfig,
} from './config';
export {
  MAX_DESTINATIONS_PER_REQUEST,
  E164_PATTERN,
  ROOM_PATTERN,
  MAX_TAG_LENGTH,
  MAX_NOTIFY_URL_LENGTH,
  moderateActions,
  ivrTransferOnFailure,
  MAX_IVR_MSG_LENGTH,
  type ConferenceCallParams,
  type IvrDialParams,
  type IvrGatherParams,
  type IvrTransferParams,
  type IvrHangupParams,
  type ModerateAction,
  type ModerateParams,
  type HistoryParams,
  type RateParams,
} from './params';
export {
  callStatuses,
  type CallStatus,
  type HoiioCallRecord,
  type ConferenceCallResult,
  type IvrDialResult,
  type IvrTransferResult,
  type HistoryPage,
  type RateQuote,
  type Balance,
} from './replies';
export { HoiioSecret } from './secret';
export { DEFAULT_TIMEOUTS, type HoiioTimeouts } from './transport';
export * from './statuses';
export * from './signature';
