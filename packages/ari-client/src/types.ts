/**
 * ARI resource and event shapes as Asterisk 22 sends them (see the fixtures in
 * shared/fixtures/asterisk-22 and the api-docs resource listings).
 */

export type ChannelState =
  | 'Down'
  | 'Rsrved'
  | 'OffHook'
  | 'Dialing'
  | 'Ring'
  | 'Ringing'
  | 'Up'
  | 'Busy'
  | 'Dialing Offhook'
  | 'Pre-ring'
  | 'Unknown';

export interface CallerId {
  name: string;
  number: string;
}

export interface DialplanCep {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

export interface Channel {
  id: string;
  name: string;
  state: ChannelState;
  protocol_id: string;
  caller: CallerId;
  connected: CallerId;
  accountcode: string;
  dialplan: DialplanCep;
  /** ISO-ish timestamp as Asterisk formats it: `2026-11-23T19:32:45.368+0000`. */
  creationtime: string;
  language: string;
  channelvars?: Record<string, string>;
  caller_rdnis?: string;
  tenantid?: string;
}

export interface Bridge {
  id: string;
  technology: string;
  bridge_type: string;
  bridge_class: string;
  creator: string;
  name: string;
  channels: string[];
  creationtime: string;
  video_mode?: string;
  video_source_id?: string;
  bridgevars?: Record<string, string>;
}

export interface Playback {
  id: string;
  media_uri: string;
  next_media_uri?: string;
  target_uri: string;
  language?: string;
  state: 'queued' | 'playing' | 'continuing' | 'done' | 'failed' | string;
}

export interface LiveRecording {
  name: string;
  format: string;
  target_uri: string;
  state: 'queued' | 'recording' | 'paused' | 'done' | 'failed' | 'canceled' | string;
  duration?: number;
  talking_duration?: number;
  silence_duration?: number;
  cause?: string;
}

export interface StoredRecording {
  name: string;
  format: string;
}

export interface AsteriskInfo {
  build?: { os: string; kernel: string; options: string; machine: string; date: string; user: string };
  system?: { version: string; entity_id: string };
  config?: {
    name: string;
    default_language: string;
    max_channels?: number;
    max_open_files?: number;
    max_load?: number;
    setid: { user: string; group: string };
  };
  status?: { startup_time: string; last_reload_time: string };
}

export interface AsteriskPing {
  asterisk_id: string;
  ping: string;
  timestamp: string;
}

export interface ConfigTuple {
  attribute: string;
  value: string;
}

export interface Application {
  name: string;
  channel_ids: string[];
  bridge_ids: string[];
  endpoint_ids: string[];
  device_names: string[];
  events_allowed: unknown[];
  events_disallowed: unknown[];
}

export interface Endpoint {
  technology: string;
  resource: string;
  state?: 'unknown' | 'offline' | 'online';
  channel_ids: string[];
}
/** ARI's name for the model; `Endpoint` is kept for the code that already uses it. */
export type AriEndpoint = Endpoint;

/** A contact of an endpoint's AOR, as a qualify (SIP OPTIONS) left it. */
export interface ContactInfo {
  uri: string;
  contact_status: 'Unreachable' | 'Reachable' | 'Unknown' | 'NonQualified' | 'Removed';
  aor: string;
  /** Microseconds, as a string; "0" when no round trip was measured (unreachable). */
  roundtrip_usec?: string;
}

export interface Peer {
  peer_status: string;
  cause?: string;
  address?: string;
  port?: string;
  time?: string;
}

export interface DeviceState {
  name: string;
  state: string;
}

// ---------------------------------------------------------------------------
// Events. Every event carries type, timestamp and (for app-scoped events)
// application and asterisk_id.

interface EventBase {
  timestamp: string;
  application: string;
  asterisk_id?: string;
}

export interface StasisStartEvent extends EventBase {
  type: 'StasisStart';
  args: string[];
  channel: Channel;
  replace_channel?: Channel;
}
export interface StasisEndEvent extends EventBase {
  type: 'StasisEnd';
  channel: Channel;
}
export interface ChannelCreatedEvent extends EventBase {
  type: 'ChannelCreated';
  channel: Channel;
}
export interface ChannelDestroyedEvent extends EventBase {
  type: 'ChannelDestroyed';
  cause: number;
  cause_txt: string;
  tech_cause?: number;
  channel: Channel;
}
export interface ChannelStateChangeEvent extends EventBase {
  type: 'ChannelStateChange';
  channel: Channel;
}
export interface ChannelHangupRequestEvent extends EventBase {
  type: 'ChannelHangupRequest';
  /** 32 with soft=true is Asterisk's own soft hangup flag (our DELETE), not a Q.850 cause. */
  cause?: number;
  tech_cause?: number;
  soft?: boolean;
  channel: Channel;
}
export interface ChannelDialplanEvent extends EventBase {
  type: 'ChannelDialplan';
  dialplan_app: string;
  dialplan_app_data: string;
  channel: Channel;
}
export interface ChannelCallerIdEvent extends EventBase {
  type: 'ChannelCallerId';
  caller_presentation: number;
  caller_presentation_txt: string;
  channel: Channel;
}
export interface ChannelConnectedLineEvent extends EventBase {
  type: 'ChannelConnectedLine';
  channel: Channel;
}
export interface ChannelVarsetEvent extends EventBase {
  type: 'ChannelVarset';
  variable: string;
  value: string;
  channel?: Channel;
}
export interface ChannelDtmfReceivedEvent extends EventBase {
  type: 'ChannelDtmfReceived';
  digit: string;
  duration_ms: number;
  channel: Channel;
}
export interface ChannelEnteredBridgeEvent extends EventBase {
  type: 'ChannelEnteredBridge';
  bridge: Bridge;
  channel?: Channel;
}
export interface ChannelLeftBridgeEvent extends EventBase {
  type: 'ChannelLeftBridge';
  bridge: Bridge;
  channel: Channel;
}
export interface ChannelHoldEvent extends EventBase {
  type: 'ChannelHold';
  channel: Channel;
  musicclass?: string;
}
export interface ChannelUnholdEvent extends EventBase {
  type: 'ChannelUnhold';
  channel: Channel;
}
export interface ChannelTalkingStartedEvent extends EventBase {
  type: 'ChannelTalkingStarted';
  channel: Channel;
}
export interface ChannelTalkingFinishedEvent extends EventBase {
  type: 'ChannelTalkingFinished';
  channel: Channel;
  duration: number;
}
export interface ChannelToneDetectedEvent extends EventBase {
  type: 'ChannelToneDetected';
  channel: Channel;
}
export interface ChannelUsereventEvent extends EventBase {
  type: 'ChannelUserevent';
  eventname: string;
  channel?: Channel;
  bridge?: Bridge;
  userevent: Record<string, unknown>;
}
export interface DialEvent extends EventBase {
  type: 'Dial';
  caller?: Channel;
  peer: Channel;
  forward?: string;
  forwarded?: Channel;
  dialstring?: string;
  /** '' when dialing starts, then RINGING, ANSWER, BUSY, NOANSWER, CONGESTION, CHANUNAVAIL, CANCEL... */
  dialstatus: string;
}
export interface BridgeCreatedEvent extends EventBase {
  type: 'BridgeCreated';
  bridge: Bridge;
}
export interface BridgeDestroyedEvent extends EventBase {
  type: 'BridgeDestroyed';
  bridge: Bridge;
}
export interface BridgeMergedEvent extends EventBase {
  type: 'BridgeMerged';
  bridge: Bridge;
  bridge_from: Bridge;
}
export interface BridgeBlindTransferEvent extends EventBase {
  type: 'BridgeBlindTransfer';
  channel: Channel;
  replace_channel?: Channel;
  transferee?: Channel;
  exten: string;
  context: string;
  result: string;
  is_external: boolean;
  bridge?: Bridge;
}
export interface PlaybackStartedEvent extends EventBase {
  type: 'PlaybackStarted';
  playback: Playback;
}
export interface PlaybackContinuingEvent extends EventBase {
  type: 'PlaybackContinuing';
  playback: Playback;
}
export interface PlaybackFinishedEvent extends EventBase {
  type: 'PlaybackFinished';
  playback: Playback;
}
export interface RecordingStartedEvent extends EventBase {
  type: 'RecordingStarted';
  recording: LiveRecording;
}
export interface RecordingFinishedEvent extends EventBase {
  type: 'RecordingFinished';
  recording: LiveRecording;
}
export interface RecordingFailedEvent extends EventBase {
  type: 'RecordingFailed';
  recording: LiveRecording;
}
export interface DeviceStateChangedEvent extends EventBase {
  type: 'DeviceStateChanged';
  device_state: DeviceState;
}
/**
 * A new snapshot of the endpoint (its state or its channels changed). Asterisk 22 sends it only to apps subscribed to
 * that endpoint by name (`applications/{app}/subscription?eventSource=endpoint:PJSIP/x`); an app connected with
 * subscribeAll gets PeerStatusChange and ContactStatusChange for endpoints, not this (res/stasis/app.c).
 */
export interface EndpointStateChangeEvent extends EventBase {
  type: 'EndpointStateChange';
  endpoint: Endpoint;
}
/** Sent only when a contact's qualify status changes (not for every qualify), with the round trip measured then. */
export interface ContactStatusChangeEvent extends EventBase {
  type: 'ContactStatusChange';
  endpoint: Endpoint;
  contact_info: ContactInfo;
}
/** PJSIP: `Reachable` when the endpoint went online, `Unreachable` when it went offline; sent on a change only. */
export interface PeerStatusChangeEvent extends EventBase {
  type: 'PeerStatusChange';
  endpoint: Endpoint;
  peer: Peer;
}
export interface ApplicationReplacedEvent extends EventBase {
  type: 'ApplicationReplaced';
}
export interface ApplicationRegisteredEvent extends EventBase {
  type: 'ApplicationRegistered';
}
export interface ApplicationUnregisteredEvent extends EventBase {
  type: 'ApplicationUnregistered';
}

export type AriEvent =
  | StasisStartEvent
  | StasisEndEvent
  | ChannelCreatedEvent
  | ChannelDestroyedEvent
  | ChannelStateChangeEvent
  | ChannelHangupRequestEvent
  | ChannelDialplanEvent
  | ChannelCallerIdEvent
  | ChannelConnectedLineEvent
  | ChannelVarsetEvent
  | ChannelDtmfReceivedEvent
  | ChannelEnteredBridgeEvent
  | ChannelLeftBridgeEvent
  | ChannelHoldEvent
  | ChannelUnholdEvent
  | ChannelTalkingStartedEvent
  | ChannelTalkingFinishedEvent
  | ChannelToneDetectedEvent
  | ChannelUsereventEvent
  | DialEvent
  | BridgeCreatedEvent
  | BridgeDestroyedEvent
  | BridgeMergedEvent
  | BridgeBlindTransferEvent
  | PlaybackStartedEvent
  | PlaybackContinuingEvent
  | PlaybackFinishedEvent
  | RecordingStartedEvent
  | RecordingFinishedEvent
  | RecordingFailedEvent
  | DeviceStateChangedEvent
  | EndpointStateChangeEvent
  | ContactStatusChangeEvent
  | PeerStatusChangeEvent
  | ApplicationReplacedEvent
  | ApplicationRegisteredEvent
  | ApplicationUnregisteredEvent;

export type AriEventType = AriEvent['type'];
export type AriEventOf<T extends AriEventType> = Extract<AriEvent, { type: T }>;

/** Distributes Omit over the union so each member keeps its own fields. */
export type AriEventPayload = AriEvent extends infer E ? (E extends AriEvent ? Omit<E, 'timestamp' | 'application' | 'asterisk_id'> : never) : never;
