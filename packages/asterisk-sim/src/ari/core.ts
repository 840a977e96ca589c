import { CallLog } from '../calls';
import type { ScenarioStore } from '../far-end/scenario';
import type { SpeechSource } from '../far-end/speech';
import type { ExternalMediaLeg } from '../media/external-media-leg';
import { Softmix } from '../media/softmix';
import { AriEvents } from './ari-events';
import { Bridges } from './bridges';
import { ChannelControl } from './channel-control';
import { ChannelLifecycle, type SimLog } from './channel-lifecycle';
import { Channels } from './channels';
import { DynamicConfig } from './dynamic-config';
import { Endpoints } from './endpoints';
import { EndpointStates } from './endpoint-states';
import type { EventBus } from './event-bus';
import { ExternalMediaChannels } from './external-media';
import { FarEnds } from './far-ends';
import { InboundCalls } from './inbound-calls';
import type { EventOrdering } from './ordering';
import { OutboundCalls } from './outbound-calls';
import type { PlaybackStore } from './playbacks';
import type { RecordingStore } from './recordings';

export interface CoreOptions {
  /** Address ExternalMedia sockets bind to and report as UNICASTRTP_LOCAL_ADDRESS. */
  rtpHost: string;
  /** Endpoints that exist without being pushed (besides `sandbox`), e.g. `trunk` as in the fixtures. */
  staticEndpoints: string[];
  /** Gaps between events and HTTP responses, within what Asterisk does. */
  ordering: EventOrdering;
  /** Stasis app for inbound calls when the request names none. */
  inboundApp?: string;
  /** How long an OPTIONS to a silent peer waits before its contact is Unreachable (Asterisk's qualify_timeout: 3 s). */
  qualifyTimeoutMs?: number;
  log: SimLog;
}

/**
 * The simulated Asterisk: channels, bridges, ExternalMedia legs and far ends, emitting ARI
 * events in the order Asterisk 22 does (see shared/fixtures/asterisk-22). Each part has its own
 * module; this one puts them together and shuts them down.
 */
export class AsteriskCore {
  readonly config = new DynamicConfig();
  readonly calls = new CallLog();
  readonly channels = new Channels();
  readonly endpoints: Endpoints;
  /** Dynamic endpoints' states and their contacts' qualification. */
  readonly endpointStates: EndpointStates;
  readonly bridges: Bridges;
  private readonly lifecycle: ChannelLifecycle;
  readonly farEnds: FarEnds;
  /** `/channels/{id}/...` */
  readonly control: ChannelControl;
  readonly externalMedia: ExternalMediaChannels;
  readonly outbound: OutboundCalls;
  readonly inbound: InboundCalls;
  readonly startedAt = new Date();
  /** Every ExternalMedia channel's RTP socket, by channel id. */
  private readonly legs = new Map<string, ExternalMediaLeg>();
  private readonly softmix = new Softmix(this.legs);

  constructor(
    readonly bus: EventBus,
    readonly scenarios: ScenarioStore,
    speech: SpeechSource,
    readonly recordings: RecordingStore,
    readonly playbacks: PlaybackStore,
    options: CoreOptions,
  ) {
    const events = new AriEvents(bus);
    const { log, ordering } = options;
    this.endpointStates = new EndpointStates(this.config, this.channels, bus, ordering, options.qualifyTimeoutMs ?? 3000);
    this.endpoints = new Endpoints(this.config, options.staticEndpoints, this.endpointStates);
    this.config.onChange = (objectType, id, deleted) => this.endpointStates.changed(objectType, id, deleted);
    this.bridges = new Bridges(this.channels, events, this.softmix, this.legs, this.calls, recordings, playbacks);
    this.lifecycle = new ChannelLifecycle(this.channels, events, bus, this.bridges, this.legs, this.calls, recordings, playbacks, log);
    this.farEnds = new FarEnds(speech, this.bridges, this.lifecycle, events, log);
    this.control = new ChannelControl(this.channels, this.lifecycle, this.farEnds, events, this.calls, recordings, playbacks, log);
    this.externalMedia = new ExternalMediaChannels(this.channels, this.lifecycle, this.bridges, events, this.legs, ordering, options.rtpHost);
    this.outbound = new OutboundCalls(this.channels, this.endpoints, this.lifecycle, this.farEnds, events, scenarios, this.calls, ordering, log);
    this.inbound = new InboundCalls(this.channels, this.endpoints, this.lifecycle, events, bus, this.calls, options.inboundApp, log);
  }

  close(): void {
    this.endpointStates.close();
    for (const ch of this.channels.list()) {
      ch.clearTimers();
      ch.destroyed = true;
    }
    for (const call of this.calls.list()) call.phone?.stop();
    for (const leg of this.legs.values()) leg.close();
    this.softmix.stopAll();
    this.recordings.close();
    this.playbacks.close();
  }
}
