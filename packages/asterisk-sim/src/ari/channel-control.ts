import type { CallLog } from '../calls';
import type { AriEvents } from './ari-events';
import { HANGUP_REASONS } from './causes';
import type { ChannelLifecycle, SimLog } from './channel-lifecycle';
import { requireStasis, type Channels } from './channels';
import { AriHttpError } from './errors';
import type { FarEnds } from './far-ends';
import { parseDialEndpoint, str, type Params } from './params';
import type { PlaybackStore } from './playbacks';
import type { RecordingStore } from './recordings';

/** What the apps ask of one channel (`/channels/{id}/...`): hang up, answer, DTMF, redirect, variables, play, record. */
export class ChannelControl {
  constructor(
    private readonly channels: Channels,
    private readonly lifecycle: ChannelLifecycle,
    private readonly farEnds: FarEnds,
    private readonly events: AriEvents,
    private readonly calls: CallLog,
    private readonly recordings: RecordingStore,
    private readonly playbacks: PlaybackStore,
    private readonly log: SimLog,
  ) {}

  /** DELETE /channels/{id}. */
  hangup(id: string, params: Params): void {
    const ch = this.channels.get(id);
    let cause = 16;
    const reasonCode = str(params.reason_code);
    const reason = str(params.reason);
    if (reasonCode !== undefined) {
      cause = Number(reasonCode);
      if (!Number.isInteger(cause)) throw new AriHttpError(400, { message: 'Invalid reason for hangup provided' });
    } else if (reason !== undefined) {
      const mapped = HANGUP_REASONS[reason];
      if (mapped === undefined) throw new AriHttpError(400, { message: 'Invalid reason for hangup provided' });
      cause = mapped;
    }
    // Asterisk queues a soft hangup and returns at once; the channel thread then tears down.
    setTimeout(() => this.lifecycle.hangup(ch, { cause: 32, soft: true }, cause, 'agent'), 1);
  }

  answer(id: string): void {
    const ch = this.channels.get(id);
    requireStasis(ch);
    if (ch.state === 'Up') return;
    ch.state = 'Up';
    ch.answered = true;
    this.events.channel('ChannelStateChange', ch);
    this.events.deviceState(ch.device, 'INUSE');
    const call = this.calls.get(ch.id);
    if (call) {
      call.answeredAt = new Date();
      this.farEnds.start(ch, call, call.scenario);
    }
  }

  ring(id: string): void {
    const ch = this.channels.get(id);
    requireStasis(ch);
  }

  sendDtmf(id: string, params: Params): void {
    const dtmf = str(params.dtmf);
    if (!dtmf) throw new AriHttpError(400, { message: 'DTMF is required' });
    const ch = this.channels.get(id);
    requireStasis(ch);
    if (ch.state !== 'Up') throw new AriHttpError(412, { message: 'Channel in invalid state' });
    const call = this.calls.get(ch.id);
    if (call) call.dtmfHeard += dtmf;
  }

  redirect(id: string, params: Params): void {
    const endpoint = str(params.endpoint);
    if (!endpoint) throw new AriHttpError(400, { message: 'Endpoint parameter not provided' });
    const ch = this.channels.get(id);
    requireStasis(ch);
    if (ch.kind !== 'pjsip' || parseDialEndpoint(endpoint).tech.toUpperCase() !== 'PJSIP') {
      throw new AriHttpError(422, { message: 'Endpoint is not the same type as the channel' });
    }
    const call = this.calls.get(ch.id);
    if (call) call.redirectedTo = endpoint;
    this.log.info({ channel: ch.id, endpoint }, 'redirect');
    // The far end accepts the REFER, connects to the target and drops this leg with a BYE.
    ch.later(200, () => this.lifecycle.hangup(ch, { cause: 16 }, 16, 'far_end'));
  }

  continueInDialplan(id: string): void {
    const ch = this.channels.get(id);
    requireStasis(ch);
    ch.later(1, () => {
      ch.inStasis = false;
      this.events.channel('StasisEnd', ch);
      this.events.setVar(ch, 'STASISSTATUS', 'SUCCESS');
      // The simulator has no dialplan after Stasis: the call ends there.
      this.lifecycle.hangup(ch, { cause: 16 }, 16, 'agent');
    });
  }

  getVariable(id: string, params: Params): { value: string } {
    const variable = str(params.variable);
    if (!variable) throw new AriHttpError(400, { message: 'Variable name is required' });
    const ch = this.channels.get(id);
    const fn = /^([A-Z_]+)\((.*)\)$/i.exec(variable);
    if (fn) {
      const [, name, arg] = fn;
      if (name!.toUpperCase() === 'CALLERID') {
        const a = arg!.toLowerCase();
        if (a === 'name') return { value: ch.caller.name };
        if (a === 'num' || a === 'number') return { value: ch.caller.number };
      }
      throw new AriHttpError(500, { message: 'Unable to read provided function' });
    }
    const value = ch.vars.get(variable);
    if (value === undefined) throw new AriHttpError(404, { message: 'Provided variable was not found' });
    return { value };
  }

  setVariable(id: string, params: Params): void {
    const variable = str(params.variable);
    if (!variable) throw new AriHttpError(400, { message: 'Variable name is required' });
    const ch = this.channels.get(id);
    requireStasis(ch);
    this.events.setVar(ch, variable, str(params.value) ?? '');
  }

  record(id: string, params: Params): ReturnType<RecordingStore['start']> {
    const ch = this.channels.get(id);
    requireStasis(ch);
    if (ch.bridgeId) throw new AriHttpError(409, { message: 'Channel is currently bridged with other channels' });
    return this.recordings.start(`channel:${id}`, params, (payload) => this.events.emit(payload, ch));
  }

  play(id: string, params: Params, playbackId?: string): ReturnType<PlaybackStore['start']> {
    const ch = this.channels.get(id);
    requireStasis(ch);
    return this.playbacks.start(`channel:${id}`, params, (payload) => this.events.emit(payload, ch), playbackId);
  }
}
