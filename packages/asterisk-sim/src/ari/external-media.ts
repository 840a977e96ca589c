import { randomBytes } from 'node:crypto';
import type { Channel } from '@parley/ari-client';
import { EXTERNAL_MEDIA_FORMATS, type ExternalMediaFormat } from '../media/codec';
import { ExternalMediaLeg } from '../media/external-media-leg';
import type { AriEvents } from './ari-events';
import type { Bridges } from './bridges';
import { SimChannel } from './channel';
import type { ChannelLifecycle } from './channel-lifecycle';
import { OUTGOING_LINE, type Channels } from './channels';
import { AriHttpError } from './errors';
import type { EventOrdering } from './ordering';
import { str, type Params } from './params';

/** ExternalMedia channels: an RTP socket each, whose audio goes into the channel's bridge and comes back mixed. */
export class ExternalMediaChannels {
  constructor(
    private readonly channels: Channels,
    private readonly lifecycle: ChannelLifecycle,
    private readonly bridges: Bridges,
    private readonly events: AriEvents,
    private readonly legs: Map<string, ExternalMediaLeg>,
    private readonly ordering: EventOrdering,
    /** Address the sockets bind to and report as UNICASTRTP_LOCAL_ADDRESS. */
    private readonly rtpHost: string,
  ) {}

  /** POST /channels/externalMedia; the caller answers the HTTP request `leadMs` after this returns. */
  async create(params: Params, leadMs: number): Promise<Channel> {
    const app = str(params.app);
    if (!app) throw new AriHttpError(400, { message: 'app cannot be empty' });
    const host = str(params.external_host);
    if (!host) throw new AriHttpError(400, { message: 'external_host cannot be empty' });
    const format = str(params.format);
    if (!format) throw new AriHttpError(400, { message: 'format cannot be empty' });
    if (!EXTERNAL_MEDIA_FORMATS.includes(format as ExternalMediaFormat)) throw new AriHttpError(400, { message: `format '${format}' is not supported` });
    const encapsulation = str(params.encapsulation) ?? 'rtp';
    const transport = str(params.transport) ?? 'udp';
    if (encapsulation !== 'rtp' || transport !== 'udp') throw new AriHttpError(400, { message: 'Only rtp over udp is supported by the simulator' });
    const m = /^(.+):(\d+)$/.exec(host);
    if (!m) throw new AriHttpError(400, { message: 'external_host must be host:port' });
    const channelId = str(params.channelId);
    if (channelId && this.channels.has(channelId)) throw new AriHttpError(409, { message: 'Channel with given unique ID already exists' });

    let ch: SimChannel | undefined;
    const leg = await ExternalMediaLeg.open({
      bindAddress: this.rtpHost,
      format: format as ExternalMediaFormat,
      remote: { address: m[1]!, port: Number(m[2]) },
      onAudio: (pcm) => {
        if (ch && !ch.destroyed) this.bridges.relayAudio(ch, pcm);
      },
    });
    ch = new SimChannel(channelId ?? this.channels.uniqueId(), 'unicast_rtp', {
      name: `UnicastRTP/${host}-0x${randomBytes(6).toString('hex').replace(/^../, '7f')}`,
      device: `UnicastRTP/${host}`,
      dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
    });
    ch.app = app;
    this.channels.add(ch);
    this.legs.set(ch.id, leg);
    const local = { UNICASTRTP_LOCAL_PORT: String(leg.local.port), UNICASTRTP_LOCAL_ADDRESS: leg.local.address };

    this.events.channel('ChannelCreated', ch);
    this.events.setVar(ch, 'UNICASTRTP_LOCAL_ADDRESS', local.UNICASTRTP_LOCAL_ADDRESS);
    this.events.setVar(ch, 'UNICASTRTP_LOCAL_PORT', local.UNICASTRTP_LOCAL_PORT);
    this.events.dialplan(ch, OUTGOING_LINE);
    // The response shows the channel as it was created (Down), even though StasisStart already went out.
    const snapshot = ch.snapshot({ channelvars: local });
    const dialstring = `${host}/c(${format})`;
    this.events.dial(ch, '', dialstring);
    ch.state = 'Up';
    ch.answered = true;
    this.events.channel('ChannelStateChange', ch);
    this.events.dial(ch, 'ANSWER', dialstring);
    const inStasis = (channel: SimChannel) => {
      this.lifecycle.enterStasis(channel, app, []);
      this.events.deviceState(channel.device, 'INUSE');
      for (const [name, value] of Object.entries((params.variables ?? {}) as Record<string, unknown>)) this.events.setVar(channel, name, String(value));
    };
    // Asterisk answers the POST once the channel exists and runs Stasis() on the channel's own thread: StasisStart came
    // after the response in 68 of 100 tries, and an addChannel sent on the response got 422 "Channel not in Stasis
    // application" in 3 of 100 (fixtures/asterisk-22/races/race-externalmedia.json).
    const delay = this.ordering.externalMediaStasisDelayMs(leadMs);
    if (delay === null) inStasis(ch);
    else ch.later(delay, () => inStasis(ch));
    return snapshot;
  }

  /** RTP stats of an ExternalMedia channel (for tests and GET /sim/channels). */
  stats(id: string): ExternalMediaLeg['stats'] | undefined {
    return this.legs.get(id)?.stats;
  }
}
