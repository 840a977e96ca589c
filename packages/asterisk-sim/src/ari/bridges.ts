import { randomUUID } from 'node:crypto';
import type { CallLog } from '../calls';
import type { ExternalMediaLeg } from '../media/external-media-leg';
import type { Softmix } from '../media/softmix';
import type { AriEvents } from './ari-events';
import { ById } from './by-id';
import { SimBridge, type SimChannel } from './channel';
import type { Channels } from './channels';
import { AriHttpError } from './errors';
import { str, type Params } from './params';
import type { PlaybackStore } from './playbacks';
import type { RecordingStore } from './recordings';

/** The bridges: who is in which, the variables and connected lines that follow from it, and the audio they carry. */
export class Bridges extends ById<SimBridge> {
  constructor(
    private readonly channels: Channels,
    private readonly events: AriEvents,
    private readonly softmix: Softmix,
    private readonly legs: ReadonlyMap<string, ExternalMediaLeg>,
    private readonly calls: CallLog,
    private readonly recordings: RecordingStore,
    private readonly playbacks: PlaybackStore,
  ) {
    super('Bridge not found');
  }

  create(params: Params, idFromPath?: string): SimBridge {
    const id = idFromPath ?? str(params.bridgeId) ?? randomUUID();
    if (this.has(id)) throw new AriHttpError(409, { message: 'Bridge with the same bridgeId already exists' });
    const bridge = new SimBridge(id, str(params.type) ?? 'mixing', str(params.name) ?? '');
    this.add(bridge);
    this.events.emit({ type: 'BridgeCreated', bridge: bridge.snapshot() });
    return bridge;
  }

  destroy(id: string): void {
    const bridge = this.get(id);
    for (const member of [...bridge.members]) {
      const ch = this.channels.find(member);
      if (ch) this.leave(ch);
    }
    this.delete(id);
    this.softmix.stop(id);
    this.recordings.stopAllFor(`bridge:${id}`);
    this.events.emit({ type: 'BridgeDestroyed', bridge: bridge.snapshot() });
  }

  /** POST /bridges/{id}/addChannel. */
  addChannels(id: string, params: Params): void {
    const bridge = this.get(id);
    const chans = this.channelsParam(params);
    for (const ch of chans) if (!ch.inStasis) throw new AriHttpError(422, { message: 'Channel not in Stasis application' });
    for (const ch of chans) {
      // Adding a channel that is already in the bridge makes it leave and re-enter.
      if (ch.bridgeId) this.leave(ch);
      bridge.members.push(ch.id);
      ch.bridgeId = bridge.id;
      this.events.emit({ type: 'ChannelEnteredBridge', bridge: bridge.snapshot(), channel: ch.snapshot() }, ch);
      if (bridge.members.length >= 3 && bridge.technology === 'simple_bridge') {
        bridge.technology = 'softmix';
        this.softmix.start(bridge);
      }
    }
    this.updateBridgePeers(bridge);
    this.updateConnectedLines(bridge);
    if (bridge.members.length >= 2) {
      for (const member of bridge.members) this.calls.get(member)?.phone?.bridged();
    }
  }

  /** POST /bridges/{id}/removeChannel. */
  removeChannels(id: string, params: Params): void {
    const bridge = this.get(id);
    const chans = this.channelsParam(params);
    for (const ch of chans) if (ch.bridgeId !== bridge.id) throw new AriHttpError(422, { message: 'Channel not in this bridge' });
    for (const ch of chans) this.leave(ch);
  }

  /** The channel leaves its bridge, if it is in one. */
  leave(ch: SimChannel): void {
    const bridge = ch.bridgeId ? this.find(ch.bridgeId) : undefined;
    ch.bridgeId = undefined;
    if (!bridge) return;
    if (ch.vars.get('BRIDGEPEER')) this.events.setVar(ch, 'BRIDGEPEER', '');
    if (ch.vars.get('BRIDGEPVTCALLID')) this.events.setVar(ch, 'BRIDGEPVTCALLID', '');
    bridge.members.splice(bridge.members.indexOf(ch.id), 1);
    if (bridge.members.length <= 1 && bridge.technology === 'softmix') {
      bridge.technology = 'simple_bridge';
      this.softmix.stop(bridge.id);
    }
    this.events.emit({ type: 'ChannelLeftBridge', bridge: bridge.snapshot(), channel: ch.snapshot() }, ch);
    if (bridge.members.length >= 2) this.updateBridgePeers(bridge);
  }

  /** Audio a channel puts into its bridge (16 kHz PCM). */
  relayAudio(from: SimChannel, pcm: Int16Array): void {
    this.recordings.feed(`channel:${from.id}`, pcm);
    const bridge = from.bridgeId ? this.find(from.bridgeId) : undefined;
    if (!bridge) return;
    this.recordings.feed(`bridge:${bridge.id}`, pcm);
    for (const id of bridge.members) {
      if (id === from.id) continue;
      const to = this.channels.find(id);
      if (!to) continue;
      if (to.kind === 'unicast_rtp') {
        if (bridge.technology === 'softmix') this.softmix.mixInto(id, pcm);
        // simple_bridge relays frame by frame and generates nothing of its own.
        else this.legs.get(id)?.send(pcm);
      } else {
        this.calls.get(id)?.phone?.hear(pcm);
      }
    }
  }

  play(id: string, params: Params, playbackId?: string): ReturnType<PlaybackStore['start']> {
    this.get(id);
    return this.playbacks.start(`bridge:${id}`, params, (payload) => this.events.emit(payload), playbackId);
  }

  record(id: string, params: Params): ReturnType<RecordingStore['start']> {
    this.get(id);
    return this.recordings.start(`bridge:${id}`, params, (payload) => this.events.emit(payload));
  }

  private channelsParam(params: Params): SimChannel[] {
    const raw = str(params.channel);
    if (!raw) throw new AriHttpError(400, { message: 'Missing parameter channel' });
    return raw.split(',').map((id) => {
      const ch = this.channels.find(id.trim());
      if (!ch) throw new AriHttpError(400, { message: 'Channel not found' });
      return ch;
    });
  }

  private members(bridge: SimBridge): SimChannel[] {
    return bridge.members.map((id) => this.channels.find(id)).filter((c): c is SimChannel => Boolean(c));
  }

  /** BRIDGEPEER / BRIDGEPVTCALLID, set only when they change (as Asterisk's events show). */
  private updateBridgePeers(bridge: SimBridge): void {
    const members = this.members(bridge);
    if (members.length < 2) return;
    for (const ch of members) {
      const peers = members.filter((o) => o !== ch).map((o) => o.name).join(',');
      if ((ch.vars.get('BRIDGEPEER') ?? '') !== peers) this.events.setVar(ch, 'BRIDGEPEER', peers);
    }
    for (const ch of members) {
      const others = members.filter((o) => o !== ch);
      const pvt = others.length === 1 ? others[0]!.protocolId : '';
      if ((ch.vars.get('BRIDGEPVTCALLID') ?? '') !== pvt) this.events.setVar(ch, 'BRIDGEPVTCALLID', pvt);
    }
  }

  /** In a two-party bridge each side's connected line becomes the other's caller id. */
  private updateConnectedLines(bridge: SimBridge): void {
    const members = this.members(bridge);
    if (members.length !== 2) return;
    for (const ch of [...members].reverse()) {
      const other = members.find((o) => o !== ch)!;
      if (ch.connected.name !== other.caller.name || ch.connected.number !== other.caller.number) {
        ch.connected = { ...other.caller };
        this.events.channel('ChannelConnectedLine', ch);
      }
    }
  }
}
