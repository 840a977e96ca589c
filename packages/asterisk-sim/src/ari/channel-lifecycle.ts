import { randomBytes } from 'node:crypto';
import type { CallLog, HungUpBy } from '../calls';
import type { ExternalMediaLeg } from '../media/external-media-leg';
import type { AriEvents } from './ari-events';
import type { Bridges } from './bridges';
import { causeText, dialStatusForCause } from './causes';
import type { SimChannel } from './channel';
import { OUTGOING_LINE, type Channels } from './channels';
import type { EventBus } from './event-bus';
import type { PlaybackStore } from './playbacks';
import type { RecordingStore } from './recordings';

export interface SimLog {
  info: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
}

/** A channel entering Stasis and its end: hang-up and destruction, in the order Asterisk sends their events. */
export class ChannelLifecycle {
  constructor(
    private readonly channels: Channels,
    private readonly events: AriEvents,
    private readonly bus: EventBus,
    private readonly bridges: Bridges,
    private readonly legs: Map<string, ExternalMediaLeg>,
    private readonly calls: CallLog,
    private readonly recordings: RecordingStore,
    private readonly playbacks: PlaybackStore,
    private readonly log: SimLog,
  ) {}

  enterStasis(ch: SimChannel, app: string, args: string[]): void {
    ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: [app, ...args].join(',') };
    if (!this.bus.isRegistered(app)) {
      // Stasis() with no such app connected fails and the dialplan ends: the call is hung up.
      this.events.setVar(ch, 'STASISSTATUS', 'FAILED');
      this.log.warn({ channel: ch.id, app }, 'Stasis app not connected; hanging up');
      ch.later(1, () => this.hangup(ch, { cause: 16 }, 16, 'failure'));
      return;
    }
    this.events.setVar(ch, 'STASISSTATUS', '');
    ch.inStasis = true;
    this.events.emit({ type: 'StasisStart', args, channel: ch.snapshot() }, ch);
  }

  /**
   * Tears a channel down in Asterisk's order: [RTP QoS vars] -> HangupRequest -> (before answer:
   * Dial status) -> [leave bridge] -> StasisEnd -> ChannelDestroyed.
   */
  hangup(ch: SimChannel, request: { cause: number; soft?: boolean }, cause: number, by: HungUpBy): void {
    if (ch.destroyed) return;
    const call = this.calls.get(ch.id);
    if (call && !call.hungUpBy) call.hungUpBy = by;
    if (ch.kind === 'pjsip' && ch.answered) this.rtpQosVars(ch);
    this.events.emit({ type: 'ChannelHangupRequest', cause: request.cause, ...(request.soft ? { soft: true } : {}), channel: ch.snapshot() }, ch);
    if (ch.kind === 'unicast_rtp') this.events.deviceState(ch.device, 'UNKNOWN');
    if (!ch.answered && !ch.inStasis) {
      // Outbound leg still dialing: the dial API reports how it ended.
      this.events.dial(ch, dialStatusForCause(undefined), ch.dialstring);
      if (ch.rang) this.events.deviceState(ch.device, 'NOT_INUSE');
      this.destroy(ch, cause);
      return;
    }
    if (ch.bridgeId) this.bridges.leave(ch);
    if (ch.inStasis) {
      ch.inStasis = false;
      this.events.channel('StasisEnd', ch);
      this.events.setVar(ch, 'STASISSTATUS', 'SUCCESS');
    }
    if (call?.direction !== 'inbound') ch.dialplan = { ...ch.dialplan, ...OUTGOING_LINE };
    this.destroy(ch, cause);
    if (ch.kind === 'pjsip') this.events.deviceState(ch.device, 'NOT_INUSE');
  }

  /** ChannelDestroyed, and everything the channel held goes with it. */
  destroy(ch: SimChannel, cause: number, techCause?: number): void {
    ch.destroyed = true;
    ch.clearTimers();
    this.events.emit(
      { type: 'ChannelDestroyed', cause, cause_txt: causeText(cause), ...(techCause ? { tech_cause: techCause } : {}), channel: ch.snapshot() },
      ch,
    );
    this.channels.delete(ch.id);
    this.legs.get(ch.id)?.close();
    this.legs.delete(ch.id);
    this.recordings.stopAllFor(`channel:${ch.id}`);
    this.playbacks.stopAllFor(`channel:${ch.id}`);
    const call = this.calls.get(ch.id);
    if (call) {
      call.phone?.stop();
      call.endedAt = new Date();
      call.cause = cause;
      call.causeTxt = causeText(cause);
    }
  }

  private rtpQosVars(ch: SimChannel): void {
    const leg = this.calls.get(ch.id);
    const rx = Math.round((leg?.phone?.stats.agentAudioMs ?? 0) / 20);
    const ssrc = randomBytes(4).readUInt32BE(0);
    const z = '000.000000';
    this.events.setVar(ch, 'RTPAUDIOQOS', `ssrc=${ssrc};themssrc=0;lp=0;rxjitter=0.000000;rxcount=${rx};txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000`);
    this.events.setVar(ch, 'RTPAUDIOQOSJITTER', `minrxjitter=${z};maxrxjitter=${z};avgrxjitter=${z};stdevrxjitter=${z};mintxjitter=${z};maxtxjitter=${z};avgtxjitter=${z};stdevtxjitter=${z};`);
    this.events.setVar(ch, 'RTPAUDIOQOSLOSS', `  minrxlost=${z};  maxrxlost=${z};  avgrxlost=${z};  stdevrxlost=${z};  mintxlost=${z};  maxtxlost=${z};  avgtxlost=${z};  stdevtxlost=${z};`);
    this.events.setVar(ch, 'RTPAUDIOQOSRTT', `     minrtt=${z};     maxrtt=${z};     avgrtt=${z};     stdevrtt=${z};`);
    this.events.setVar(ch, 'RTPAUDIOQOSMES', `   minrxmes=${z};   maxrxmes=${z};   avgrxmes=${z};   stdevrxmes=${z};   mintxmes=${z};   maxtxmes=${z};   avgtxmes=${z};   stdevtxmes=${z};`);
  }
}
