export { AriClient, type AriClientOptions } from './client';
export { AriError } from './errors';
export {
  AriEventStream,
  backoffDelay,
  eventsUrl,
  type AriEventStreamOptions,
  type AriStreamEventName,
  type AriStreamHandlers,
  type DisconnectedInfo,
  type ReconnectOptions,
  type ReconnectedInfo,
} from './events';
export {
  AriHttp,
  ApplicationsApi,
  AsteriskApi,
  BridgesApi,
  ChannelsApi,
  EndpointsApi,
  PlaybacksApi,
  RecordingsApi,
  ariBaseUrl,
  type AriHttpOptions,
  type DtmfOptions,
  type ExternalMediaParams,
  type HangupOptions,
  type OriginateParams,
  type PlayOptions,
  type RecordOptions,
} from './rest';
export * from './types';
