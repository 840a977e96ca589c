import { randomBytes, randomUUID } from 'node:crypto';
import type { AriEventPayload, Channel } from '@parley/ari-client';
import { CallLog, SimCall, type HungUpBy } from '../calls';
import { FarEndPhone } from '../far-end/phone';
import { parseScenario, type Scenario, type ScenarioStore } from '../far-end/scenario';
import type { SpeechSource } from '../far-end/speech';
import { EXTERNAL_MEDIA_FORMATS, type ExternalMediaFormat } from '../media/codec';
import { ExternalMediaLeg } from '../media/external-media-leg';
import { CAUSE_SIP, HANGUP_REASONS, causeText, dialStatusForCause, sipToCause } from './causes';
import { SimBridge, SimChannel } from './channel';
import { DynamicConfig } from './dynamic-config';
import { AriHttpError } from './errors';
import type { EventBus } from './event-bus';
import type { EventOrdering } from './ordering';
import type { PlaybackStore } from './playbacks';
import type { RecordingStore } from './recordings';

export type Params = Record<string, unknown>;

export interface CoreOptions {
  /** Address ExternalMedia sockets bind to and report as UNICASTRTP_LOCAL_ADDRESS. */
  rtpHost: string;
  /** Endpoints that exist without being pushed (besides `sandbox`), e.g. `trunk` as in the fixtures. */
  staticEndpoints: string[];
  /** Gaps between events and HTTP responses, within what Asterisk does. */
  ordering: EventOrdering;
  /** Stasis app for inbound calls when the request names none. */
  inboundApp?: string;
  log: { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };
}

const FRAME_SAMPLES = 320;
const OUTGOING_LINE = { app_name: 'AppDial2', app_data: '(Outgoing Line)' };

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

function parseCallerId(raw: string): { name: string; number: string } {
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(raw);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), number: m[3]!.trim() };
  return { name: '', number: raw.trim() };
}

/** `PJSIP/+15551234567@trunk` -> tech, number, endpoint. */
export function parseDialEndpoint(endpoint: string): { tech: string; number: string; endpoint: string } {
  const slash = endpoint.indexOf('/');
  const tech = slash < 0 ? endpoint : endpoint.slice(0, slash);
  const resource = slash < 0 ? '' : endpoint.slice(slash + 1);
  const at = resource.lastIndexOf('@');
  return at < 0 ? { tech, number: '', endpoint: resource } : { tech, number: resource.slice(0, at), endpoint: resource.slice(at + 1) };
}

/**
 * The simulated Asterisk: channels, bridges, ExternalMedia legs and far ends, emitting ARI
 * events in the order Asterisk 22 does (see shared/fixtures/asterisk-22).
 */
export class AsteriskCore {
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, SimBridge>();
  readonly config = new DynamicConfig();
  readonly calls = new CallLog();
  private readonly legs = new Map<string, ExternalMediaLeg>();
  private readonly mixers = new Map<string, NodeJS.Timeout>();
  private readonly mixPending = new Map<string, Int16Array>();
  private pjsipCounter = 0;
  private uniqueCounter = 0;
  private readonly bootEpoch = Math.floor(Date.now() / 1000);
  readonly startedAt = new Date();

  constructor(
    readonly bus: EventBus,
    readonly scenarios: ScenarioStore,
    private readonly speech: SpeechSource,
    readonly recordings: RecordingStore,
    readonly playbacks: PlaybackStore,
    private readonly options: CoreOptions,
  ) {}

  // ---------------------------------------------------------------- helpers

  private uniqueId(): string {
    return `${this.bootEpoch}.${this.uniqueCounter++}`;
  }

  private emit(payload: AriEventPayload, owner?: SimChannel): void {
    this.bus.publish(payload, owner?.app);
  }

  private channelEvent(type: 'ChannelCreated' | 'ChannelStateChange' | 'ChannelConnectedLine' | 'StasisEnd', ch: SimChannel): void {
    this.emit({ type, channel: ch.snapshot() }, ch);
  }

  private setVar(ch: SimChannel, variable: string, value: string): void {
    ch.vars.set(variable, value);
    this.emit({ type: 'ChannelVarset', variable, value, channel: ch.snapshot() }, ch);
  }

  private dial(ch: SimChannel, dialstatus: string, dialstring: string): void {
    this.emit({ type: 'Dial', dialstatus, forward: '', dialstring, peer: ch.snapshot() }, ch);
  }

  private deviceState(name: string, state: string): void {
    this.emit({ type: 'DeviceStateChanged', device_state: { name, state } });
  }

  endpointExists(name: string): boolean {
    return name === 'sandbox' || this.options.staticEndpoints.includes(name) || this.config.hasEndpoint(name);
  }

  endpointNames(): string[] {
    return [...new Set(['sandbox', ...this.options.staticEndpoints, ...this.config.endpointIds()])];
  }

  getChannel(id: string): SimChannel {
    const ch = this.channels.get(id);
    if (!ch) throw new AriHttpError(404, { message: 'Channel not found' });
    return ch;
  }

  /**
   * Channel operations on a channel that exists but is not in a Stasis app (not yet, or no longer): Asterisk's
   * find_control answers 409 (res/ari/resource_channels.c); bridges/{id}/addChannel answers 422 instead.
   */
  private requireStasis(ch: SimChannel): void {
    if (!ch.inStasis) throw new AriHttpError(409, { message: 'Channel not in Stasis application' });
  }

  private newPjsipChannel(id: string, endpoint: string, dialplan: { context: string; exten: string }): SimChannel {
    const name = `PJSIP/${endpoint}-${(this.pjsipCounter++).toString(16).padStart(8, '0')}`;
    return new SimChannel(id, 'pjsip', {
      name,
      device: `PJSIP/${endpoint}`,
      dialplan: { context: dialplan.context, exten: dialplan.exten, priority: 1, app_name: '', app_data: '' },
    });
  }

  private enterStasis(ch: SimChannel, app: string, args: string[]): void {
    ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: [app, ...args].join(',') };
    if (!this.bus.isRegistered(app)) {
      // Stasis() with no such app connected fails and the dialplan ends: the call is hung up.
      this.setVar(ch, 'STASISSTATUS', 'FAILED');
      this.options.log.warn({ channel: ch.id, app }, 'Stasis app not connected; hanging up');
      ch.later(1, () => this.hangup(ch, { cause: 16 }, 16, 'failure'));
      return;
    }
    this.setVar(ch, 'STASISSTATUS', '');
    ch.inStasis = true;
    this.emit({ type: 'StasisStart', args, channel: ch.snapshot() }, ch);
  }

  // ---------------------------------------------------------------- originate

  /** POST /channels. Emits the first events now; the caller answers the HTTP request `leadMs` later. */
  originate(params: Params, leadMs: number): Channel {
    const endpoint = str(params.endpoint);
    if (!endpoint) throw new AriHttpError(400, { message: 'Endpoint must be specified' });
    const app = str(params.app);
    if (!app) throw new AriHttpError(400, { message: 'Application or extension must be specified' });
    const channelId = str(params.channelId);
    if (channelId && this.channels.has(channelId)) throw new AriHttpError(409, { message: 'Channel with given unique ID already exists' });
    const dialed = parseDialEndpoint(endpoint);
    if (dialed.tech.toUpperCase() !== 'PJSIP' || !this.endpointExists(dialed.endpoint)) {
      throw new AriHttpError(500, { error: 'Allocation failed' });
    }
    const timeoutSec = params.timeout === undefined ? 30 : Number(params.timeout);
    const appArgs = str(params.appArgs);
    const args = appArgs ? appArgs.split(',') : [];
    const variables = (params.variables ?? {}) as Record<string, unknown>;

    const scenario = this.scenarios.resolve(dialed.number);
    const context = this.config.endpointAttribute(dialed.endpoint, 'context') ?? 'from-trunk';
    const ch = this.newPjsipChannel(channelId ?? this.uniqueId(), dialed.endpoint, { context, exten: 's' });
    ch.app = app;
    this.channels.set(ch.id, ch);
    this.channelEvent('ChannelCreated', ch);

    ch.protocolId = randomUUID();
    ch.dialplan = { ...ch.dialplan, ...OUTGOING_LINE };
    this.emit({ type: 'ChannelDialplan', dialplan_app: OUTGOING_LINE.app_name, dialplan_app_data: OUTGOING_LINE.app_data, channel: ch.snapshot() }, ch);

    let caller = params.callerId !== undefined ? parseCallerId(String(params.callerId)) : undefined;
    const plainVars: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(variables)) {
      const fn = /^CALLERID\((name|num|number|all)\)$/i.exec(name);
      if (fn) {
        caller = caller ?? { name: '', number: '' };
        const kind = fn[1]!.toLowerCase();
        if (kind === 'name') caller.name = String(value);
        else if (kind === 'all') caller = parseCallerId(String(value));
        else caller.number = String(value);
      } else if (!name.includes('(')) {
        plainVars.push([name, String(value)]);
      }
    }
    if (caller) {
      ch.caller = caller;
      this.emit(
        { type: 'ChannelCallerId', caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened', channel: ch.snapshot() },
        ch,
      );
      ch.connected = { ...caller };
      this.channelEvent('ChannelConnectedLine', ch);
    }
    for (const [name, value] of plainVars) this.setVar(ch, name, value);

    const call = new SimCall(ch.id, 'outbound', dialed.endpoint, ch.caller.number, dialed.number, scenario);
    this.calls.add(call);
    const snapshot = ch.snapshot();
    this.options.log.info({ channel: ch.id, to: dialed.number, outcome: scenario.outcome }, 'originate');

    const dialstring = `${dialed.number ? `${dialed.number}@` : ''}${dialed.endpoint}`;
    ch.dialstring = dialstring;
    ch.later(leadMs + 2, () => this.dial(ch, '', dialstring));
    this.runOutboundScenario(ch, call, scenario, { app, args, dialstring, leadMs, timeoutMs: timeoutSec > 0 ? timeoutSec * 1000 : undefined });
    return snapshot;
  }

  private runOutboundScenario(
    ch: SimChannel,
    call: SimCall,
    scenario: Scenario,
    ctx: { app: string; args: string[]; dialstring: string; leadMs: number; timeoutMs: number | undefined },
  ): void {
    const lead = ctx.leadMs + 3;
    const rings = scenario.outcome === 'answer' || scenario.outcome === 'no_answer' || scenario.outcome === 'voicemail';
    const ringAfter = scenario.ring_after_ms === undefined ? (rings ? 100 : null) : scenario.ring_after_ms;
    if (ringAfter !== null && (scenario.outcome === 'no_answer' || ringAfter < scenario.answer_after_ms)) {
      ch.later(lead + ringAfter, () => this.farEndRings(ch, call, ctx.dialstring));
    }
    switch (scenario.outcome) {
      case 'answer':
      case 'voicemail':
        ch.later(lead + scenario.answer_after_ms, () => this.farEndAnswers(ch, call, scenario, ctx));
        break;
      case 'no_answer':
        break;
      default: {
        const { cause, sip } = failureOf(scenario);
        ch.later(lead + scenario.answer_after_ms, () => this.outboundFails(ch, call, cause, sip, ctx.dialstring));
      }
    }
    if (ctx.timeoutMs !== undefined) {
      // Asterisk's originate timeout: only ChannelDestroyed 19 (no hangup request, no Dial NOANSWER).
      ch.later(ctx.timeoutMs, () => {
        if (ch.answered) return;
        call.hungUpBy = 'timeout';
        this.destroy(ch, 19, 480);
        if (ch.rang) this.deviceState(ch.device, 'NOT_INUSE');
      });
    }
  }

  private farEndRings(ch: SimChannel, call: SimCall, dialstring: string): void {
    if (ch.answered || ch.rang) return;
    ch.rang = true;
    ch.state = 'Ringing';
    call.ringingAt = new Date();
    this.channelEvent('ChannelStateChange', ch);
    this.dial(ch, 'RINGING', dialstring);
    this.deviceState(ch.device, 'RINGING');
  }

  private farEndAnswers(ch: SimChannel, call: SimCall, scenario: Scenario, ctx: { app: string; args: string[]; dialstring: string }): void {
    ch.answered = true;
    ch.state = 'Up';
    call.answeredAt = new Date();
    this.channelEvent('ChannelStateChange', ch);
    this.deviceState(ch.device, 'INUSE');
    this.dial(ch, 'ANSWER', ctx.dialstring);
    this.startFarEnd(ch, call, scenario);
    // Up comes before StasisStart, every time (fixtures/asterisk-22/races/originate-order.json, 10 of 10); until the
    // StasisStart the channel is not in Stasis and addChannel, answer, play... are refused.
    const gap = this.options.ordering.upToStasisStartMs();
    if (gap === null) this.enterStasis(ch, ctx.app, ctx.args);
    else ch.later(gap, () => this.enterStasis(ch, ctx.app, ctx.args));
  }

  private outboundFails(ch: SimChannel, call: SimCall, cause: number, sip: number | undefined, dialstring: string): void {
    call.hungUpBy = 'failure';
    this.emit({ type: 'ChannelHangupRequest', cause, ...(sip ? { tech_cause: sip } : {}), channel: ch.snapshot() }, ch);
    this.dial(ch, dialStatusForCause(cause), dialstring);
    if (ch.rang) this.deviceState(ch.device, 'NOT_INUSE');
    this.destroy(ch, cause, sip);
  }

  /** The far end is live: audio clock, scripted hang-up and DTMF. */
  private startFarEnd(ch: SimChannel, call: SimCall, scenario: Scenario): void {
    const phone =
      call.phone ??
      new FarEndPhone(scenario, this.speech, (frame) => this.routeAudio(ch, frame), (error) =>
        this.options.log.warn({ channel: ch.id, err: error.message }, 'far end could not speak'),
      );
    call.phone = phone;
    phone.start();
    if (ch.bridgeId && (this.bridges.get(ch.bridgeId)?.members.length ?? 0) >= 2) phone.bridged();
    if (scenario.hangup_after_ms !== null) {
      ch.later(scenario.hangup_after_ms, () => this.farEndHangsUp(ch));
    }
    if (scenario.dtmf !== undefined) {
      const dtmf = typeof scenario.dtmf === 'string' ? { digits: scenario.dtmf, after_ms: 1000, duration_ms: 100 } : scenario.dtmf;
      [...dtmf.digits].forEach((digit, i) => {
        ch.later(dtmf.after_ms + i * (dtmf.duration_ms + 150), () => {
          if (ch.inStasis) this.emit({ type: 'ChannelDtmfReceived', digit, duration_ms: dtmf.duration_ms, channel: ch.snapshot() }, ch);
        });
      });
    }
  }

  /** The far end sends BYE (or the caller of an inbound call gives up). */
  farEndHangsUp(ch: SimChannel): void {
    this.hangup(ch, { cause: 16 }, 16, 'far_end');
  }

  // ---------------------------------------------------------------- hang-up

  /** DELETE /channels/{id}. */
  hangupRequest(id: string, params: Params): void {
    const ch = this.getChannel(id);
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
    setTimeout(() => this.hangup(ch, { cause: 32, soft: true }, cause, 'agent'), 1);
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
    this.emit({ type: 'ChannelHangupRequest', cause: request.cause, ...(request.soft ? { soft: true } : {}), channel: ch.snapshot() }, ch);
    if (ch.kind === 'unicast_rtp') this.deviceState(ch.device, 'UNKNOWN');
    if (!ch.answered && !ch.inStasis) {
      // Outbound leg still dialing: the dial API reports how it ended.
      this.dial(ch, dialStatusForCause(undefined), ch.dialstring);
      if (ch.rang) this.deviceState(ch.device, 'NOT_INUSE');
      this.destroy(ch, cause);
      return;
    }
    if (ch.bridgeId) this.leaveBridge(ch);
    if (ch.inStasis) {
      ch.inStasis = false;
      this.channelEvent('StasisEnd', ch);
      this.setVar(ch, 'STASISSTATUS', 'SUCCESS');
    }
    if (call?.direction !== 'inbound') ch.dialplan = { ...ch.dialplan, ...OUTGOING_LINE };
    this.destroy(ch, cause);
    if (ch.kind === 'pjsip') this.deviceState(ch.device, 'NOT_INUSE');
  }

  private destroy(ch: SimChannel, cause: number, techCause?: number): void {
    ch.destroyed = true;
    ch.clearTimers();
    this.emit(
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
    this.setVar(ch, 'RTPAUDIOQOS', `ssrc=${ssrc};themssrc=0;lp=0;rxjitter=0.000000;rxcount=${rx};txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000`);
    this.setVar(ch, 'RTPAUDIOQOSJITTER', `minrxjitter=${z};maxrxjitter=${z};avgrxjitter=${z};stdevrxjitter=${z};mintxjitter=${z};maxtxjitter=${z};avgtxjitter=${z};stdevtxjitter=${z};`);
    this.setVar(ch, 'RTPAUDIOQOSLOSS', `  minrxlost=${z};  maxrxlost=${z};  avgrxlost=${z};  stdevrxlost=${z};  mintxlost=${z};  maxtxlost=${z};  avgtxlost=${z};  stdevtxlost=${z};`);
    this.setVar(ch, 'RTPAUDIOQOSRTT', `     minrtt=${z};     maxrtt=${z};     avgrtt=${z};     stdevrtt=${z};`);
    this.setVar(ch, 'RTPAUDIOQOSMES', `   minrxmes=${z};   maxrxmes=${z};   avgrxmes=${z};   stdevrxmes=${z};   mintxmes=${z};   maxtxmes=${z};   avgtxmes=${z};   stdevtxmes=${z};`);
  }

  // ---------------------------------------------------------------- channel operations

  answer(id: string): void {
    const ch = this.getChannel(id);
    this.requireStasis(ch);
    if (ch.state === 'Up') return;
    ch.state = 'Up';
    ch.answered = true;
    this.channelEvent('ChannelStateChange', ch);
    this.deviceState(ch.device, 'INUSE');
    const call = this.calls.get(ch.id);
    if (call) {
      call.answeredAt = new Date();
      this.startFarEnd(ch, call, call.scenario);
    }
  }

  ring(id: string): void {
    const ch = this.getChannel(id);
    this.requireStasis(ch);
  }

  sendDtmf(id: string, params: Params): void {
    const dtmf = str(params.dtmf);
    if (!dtmf) throw new AriHttpError(400, { message: 'DTMF is required' });
    const ch = this.getChannel(id);
    this.requireStasis(ch);
    if (ch.state !== 'Up') throw new AriHttpError(412, { message: 'Channel in invalid state' });
    const call = this.calls.get(ch.id);
    if (call) call.dtmfHeard += dtmf;
  }

  redirect(id: string, params: Params): void {
    const endpoint = str(params.endpoint);
    if (!endpoint) throw new AriHttpError(400, { message: 'Endpoint parameter not provided' });
    const ch = this.getChannel(id);
    this.requireStasis(ch);
    if (ch.kind !== 'pjsip' || parseDialEndpoint(endpoint).tech.toUpperCase() !== 'PJSIP') {
      throw new AriHttpError(422, { message: 'Endpoint is not the same type as the channel' });
    }
    const call = this.calls.get(ch.id);
    if (call) call.redirectedTo = endpoint;
    this.options.log.info({ channel: ch.id, endpoint }, 'redirect');
    // The far end accepts the REFER, connects to the target and drops this leg with a BYE.
    ch.later(200, () => this.hangup(ch, { cause: 16 }, 16, 'far_end'));
  }

  continueInDialplan(id: string): void {
    const ch = this.getChannel(id);
    this.requireStasis(ch);
    ch.later(1, () => {
      ch.inStasis = false;
      this.channelEvent('StasisEnd', ch);
      this.setVar(ch, 'STASISSTATUS', 'SUCCESS');
      // The simulator has no dialplan after Stasis: the call ends there.
      this.hangup(ch, { cause: 16 }, 16, 'agent');
    });
  }

  getVariable(id: string, params: Params): { value: string } {
    const variable = str(params.variable);
    if (!variable) throw new AriHttpError(400, { message: 'Variable name is required' });
    const ch = this.getChannel(id);
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
    const ch = this.getChannel(id);
    this.requireStasis(ch);
    this.setVar(ch, variable, str(params.value) ?? '');
  }

  // ---------------------------------------------------------------- external media

  /** POST /channels/externalMedia; the caller answers the HTTP request `leadMs` after this returns. */
  async externalMedia(params: Params, leadMs: number): Promise<Channel> {
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
      bindAddress: this.options.rtpHost,
      format: format as ExternalMediaFormat,
      remote: { address: m[1]!, port: Number(m[2]) },
      onAudio: (pcm) => {
        if (ch && !ch.destroyed) this.routeAudio(ch, pcm);
      },
    });
    ch = new SimChannel(channelId ?? this.uniqueId(), 'unicast_rtp', {
      name: `UnicastRTP/${host}-0x${randomBytes(6).toString('hex').replace(/^../, '7f')}`,
      device: `UnicastRTP/${host}`,
      dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
    });
    ch.app = app;
    this.channels.set(ch.id, ch);
    this.legs.set(ch.id, leg);
    const local = { UNICASTRTP_LOCAL_PORT: String(leg.local.port), UNICASTRTP_LOCAL_ADDRESS: leg.local.address };

    this.channelEvent('ChannelCreated', ch);
    this.setVar(ch, 'UNICASTRTP_LOCAL_ADDRESS', local.UNICASTRTP_LOCAL_ADDRESS);
    this.setVar(ch, 'UNICASTRTP_LOCAL_PORT', local.UNICASTRTP_LOCAL_PORT);
    ch.dialplan = { ...ch.dialplan, ...OUTGOING_LINE };
    this.emit({ type: 'ChannelDialplan', dialplan_app: OUTGOING_LINE.app_name, dialplan_app_data: OUTGOING_LINE.app_data, channel: ch.snapshot() }, ch);
    // The response shows the channel as it was created (Down), even though StasisStart already went out.
    const snapshot = ch.snapshot({ channelvars: local });
    const dialstring = `${host}/c(${format})`;
    this.dial(ch, '', dialstring);
    ch.state = 'Up';
    ch.answered = true;
    this.channelEvent('ChannelStateChange', ch);
    this.dial(ch, 'ANSWER', dialstring);
    const inStasis = (channel: SimChannel) => {
      this.enterStasis(channel, app, []);
      this.deviceState(channel.device, 'INUSE');
      for (const [name, value] of Object.entries((params.variables ?? {}) as Record<string, unknown>)) this.setVar(channel, name, String(value));
    };
    // Asterisk answers the POST once the channel exists and runs Stasis() on the channel's own thread: StasisStart came
    // after the response in 68 of 100 tries, and an addChannel sent on the response got 422 "Channel not in Stasis
    // application" in 3 of 100 (fixtures/asterisk-22/races/race-externalmedia.json).
    const delay = this.options.ordering.externalMediaStasisDelayMs(leadMs);
    if (delay === null) inStasis(ch);
    else ch.later(delay, () => inStasis(ch));
    return snapshot;
  }

  /** RTP stats of an ExternalMedia channel (for tests and GET /sim/channels). */
  legStats(id: string): ExternalMediaLeg['stats'] | undefined {
    return this.legs.get(id)?.stats;
  }

  // ---------------------------------------------------------------- bridges

  getBridge(id: string): SimBridge {
    const bridge = this.bridges.get(id);
    if (!bridge) throw new AriHttpError(404, { message: 'Bridge not found' });
    return bridge;
  }

  createBridge(params: Params, idFromPath?: string): SimBridge {
    const id = idFromPath ?? str(params.bridgeId) ?? randomUUID();
    if (this.bridges.has(id)) throw new AriHttpError(409, { message: 'Bridge with the same bridgeId already exists' });
    const bridge = new SimBridge(id, str(params.type) ?? 'mixing', str(params.name) ?? '');
    this.bridges.set(id, bridge);
    this.emit({ type: 'BridgeCreated', bridge: bridge.snapshot() });
    return bridge;
  }

  destroyBridge(id: string): void {
    const bridge = this.getBridge(id);
    for (const member of [...bridge.members]) {
      const ch = this.channels.get(member);
      if (ch) this.leaveBridge(ch);
    }
    this.bridges.delete(id);
    this.stopMixer(id);
    this.recordings.stopAllFor(`bridge:${id}`);
    this.emit({ type: 'BridgeDestroyed', bridge: bridge.snapshot() });
  }

  private channelsParam(params: Params): SimChannel[] {
    const raw = str(params.channel);
    if (!raw) throw new AriHttpError(400, { message: 'Missing parameter channel' });
    return raw.split(',').map((id) => {
      const ch = this.channels.get(id.trim());
      if (!ch) throw new AriHttpError(400, { message: 'Channel not found' });
      return ch;
    });
  }

  addToBridge(id: string, params: Params): void {
    const bridge = this.getBridge(id);
    const chans = this.channelsParam(params);
    for (const ch of chans) if (!ch.inStasis) throw new AriHttpError(422, { message: 'Channel not in Stasis application' });
    for (const ch of chans) {
      // Adding a channel that is already in the bridge makes it leave and re-enter.
      if (ch.bridgeId) this.leaveBridge(ch);
      bridge.members.push(ch.id);
      ch.bridgeId = bridge.id;
      this.emit({ type: 'ChannelEnteredBridge', bridge: bridge.snapshot(), channel: ch.snapshot() }, ch);
      if (bridge.members.length >= 3 && bridge.technology === 'simple_bridge') {
        bridge.technology = 'softmix';
        this.startMixer(bridge);
      }
    }
    this.updateBridgePeers(bridge);
    this.updateConnectedLines(bridge);
    if (bridge.members.length >= 2) {
      for (const member of bridge.members) this.calls.get(member)?.phone?.bridged();
    }
  }

  removeFromBridge(id: string, params: Params): void {
    const bridge = this.getBridge(id);
    const chans = this.channelsParam(params);
    for (const ch of chans) if (ch.bridgeId !== bridge.id) throw new AriHttpError(422, { message: 'Channel not in this bridge' });
    for (const ch of chans) this.leaveBridge(ch);
  }

  private leaveBridge(ch: SimChannel): void {
    const bridge = ch.bridgeId ? this.bridges.get(ch.bridgeId) : undefined;
    ch.bridgeId = undefined;
    if (!bridge) return;
    if (ch.vars.get('BRIDGEPEER')) this.setVar(ch, 'BRIDGEPEER', '');
    if (ch.vars.get('BRIDGEPVTCALLID')) this.setVar(ch, 'BRIDGEPVTCALLID', '');
    bridge.members.splice(bridge.members.indexOf(ch.id), 1);
    if (bridge.members.length <= 1 && bridge.technology === 'softmix') {
      bridge.technology = 'simple_bridge';
      this.stopMixer(bridge.id);
    }
    this.emit({ type: 'ChannelLeftBridge', bridge: bridge.snapshot(), channel: ch.snapshot() }, ch);
    if (bridge.members.length >= 2) this.updateBridgePeers(bridge);
  }

  private members(bridge: SimBridge): SimChannel[] {
    return bridge.members.map((id) => this.channels.get(id)).filter((c): c is SimChannel => Boolean(c));
  }

  /** BRIDGEPEER / BRIDGEPVTCALLID, set only when they change (as Asterisk's events show). */
  private updateBridgePeers(bridge: SimBridge): void {
    const members = this.members(bridge);
    if (members.length < 2) return;
    for (const ch of members) {
      const peers = members.filter((o) => o !== ch).map((o) => o.name).join(',');
      if ((ch.vars.get('BRIDGEPEER') ?? '') !== peers) this.setVar(ch, 'BRIDGEPEER', peers);
    }
    for (const ch of members) {
      const others = members.filter((o) => o !== ch);
      const pvt = others.length === 1 ? others[0]!.protocolId : '';
      if ((ch.vars.get('BRIDGEPVTCALLID') ?? '') !== pvt) this.setVar(ch, 'BRIDGEPVTCALLID', pvt);
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
        this.channelEvent('ChannelConnectedLine', ch);
      }
    }
  }

  // ---------------------------------------------------------------- media routing

  /** Audio a channel puts into its bridge (16 kHz PCM). */
  private routeAudio(from: SimChannel, pcm: Int16Array): void {
    this.recordings.feed(`channel:${from.id}`, pcm);
    const bridge = from.bridgeId ? this.bridges.get(from.bridgeId) : undefined;
    if (!bridge) return;
    this.recordings.feed(`bridge:${bridge.id}`, pcm);
    for (const id of bridge.members) {
      if (id === from.id) continue;
      const to = this.channels.get(id);
      if (!to) continue;
      if (to.kind === 'unicast_rtp') {
        if (bridge.technology === 'softmix') this.mixInto(id, pcm);
        // simple_bridge relays frame by frame and generates nothing of its own.
        else this.legs.get(id)?.send(pcm);
      } else {
        this.calls.get(id)?.phone?.hear(pcm);
      }
    }
  }

  private mixInto(channelId: string, pcm: Int16Array): void {
    const acc = this.mixPending.get(channelId) ?? new Int16Array(FRAME_SAMPLES);
    for (let i = 0; i < Math.min(pcm.length, FRAME_SAMPLES); i++) acc[i] = Math.max(-32768, Math.min(32767, acc[i]! + pcm[i]!));
    this.mixPending.set(channelId, acc);
  }

  /** softmix sends every participant a mixed frame every 20 ms, silence included. */
  private startMixer(bridge: SimBridge): void {
    if (this.mixers.has(bridge.id)) return;
    const start = performance.now();
    let frames = 0;
    const tick = (): void => {
      const now = performance.now();
      while (start + (frames + 1) * 20 <= now + 1) {
        frames++;
        for (const id of bridge.members) {
          const leg = this.legs.get(id);
          if (!leg) continue;
          leg.send(this.mixPending.get(id) ?? new Int16Array(FRAME_SAMPLES));
          this.mixPending.delete(id);
        }
      }
      this.mixers.set(bridge.id, setTimeout(tick, Math.max(0, start + (frames + 1) * 20 - performance.now())));
    };
    this.mixers.set(bridge.id, setTimeout(tick, 20));
  }

  private stopMixer(bridgeId: string): void {
    clearTimeout(this.mixers.get(bridgeId));
    this.mixers.delete(bridgeId);
  }

  // ---------------------------------------------------------------- recordings and playbacks

  recordChannel(id: string, params: Params): ReturnType<RecordingStore['start']> {
    const ch = this.getChannel(id);
    this.requireStasis(ch);
    if (ch.bridgeId) throw new AriHttpError(409, { message: 'Channel is currently bridged with other channels' });
    return this.recordings.start(`channel:${id}`, params, (payload) => this.emit(payload, ch));
  }

  playOnChannel(id: string, params: Params, playbackId?: string): ReturnType<PlaybackStore['start']> {
    const ch = this.getChannel(id);
    this.requireStasis(ch);
    return this.playbacks.start(`channel:${id}`, params, (payload) => this.emit(payload, ch), playbackId);
  }

  playOnBridge(id: string, params: Params, playbackId?: string): ReturnType<PlaybackStore['start']> {
    this.getBridge(id);
    return this.playbacks.start(`bridge:${id}`, params, (payload) => this.emit(payload), playbackId);
  }

  recordBridge(id: string, params: Params): ReturnType<RecordingStore['start']> {
    this.getBridge(id);
    return this.recordings.start(`bridge:${id}`, params, (payload) => this.emit(payload));
  }

  // ---------------------------------------------------------------- inbound

  /** POST /sim/inbound: a call from the trunk whose dialplan runs Stasis(app,inbound). */
  inbound(body: Params): { channel_id: string; channel: Channel } {
    const from = str(body.from);
    const to = str(body.to);
    if (!from || !to) throw new AriHttpError(400, { message: 'from and to are required' });
    const endpoint = str(body.endpoint) ?? 'sandbox';
    if (!this.endpointExists(endpoint)) throw new AriHttpError(404, { message: `Endpoint '${endpoint}' not found` });
    const { from: _f, to: _t, endpoint: _e, app: appParam, caller_name: callerName, ring_timeout_ms: ringTimeout, ...scenarioFields } = body;
    let scenario: Scenario;
    try {
      scenario = parseScenario({ answer_after_ms: 0, ...scenarioFields, outcome: 'answer' });
    } catch (error) {
      throw new AriHttpError(400, { message: (error as Error).message });
    }
    const app = str(appParam) ?? this.options.inboundApp ?? this.bus.registeredApps()[0];
    if (!app || !this.bus.isRegistered(app)) throw new AriHttpError(409, { error: `Stasis app '${app ?? ''}' is not connected` });

    const context = this.config.endpointAttribute(endpoint, 'context') ?? 'from-trunk';
    const ch = this.newPjsipChannel(this.uniqueId(), endpoint, { context, exten: to });
    ch.app = app;
    ch.state = 'Ring';
    ch.protocolId = randomUUID();
    ch.caller = { name: str(callerName) ?? '', number: from };
    this.channels.set(ch.id, ch);
    const call = new SimCall(ch.id, 'inbound', endpoint, from, to, scenario);
    this.calls.add(call);
    call.ringingAt = new Date();
    this.channelEvent('ChannelCreated', ch);
    ch.dialplan = { ...ch.dialplan, app_name: 'Stasis', app_data: `${app},inbound` };
    this.emit({ type: 'ChannelDialplan', dialplan_app: 'Stasis', dialplan_app_data: `${app},inbound`, channel: ch.snapshot() }, ch);
    this.enterStasis(ch, app, ['inbound']);
    this.deviceState(ch.device, 'INUSE');
    // A caller nobody answers gives up (CANCEL) after a while.
    ch.later(Number(ringTimeout ?? 60_000), () => {
      if (!ch.answered) this.hangup(ch, { cause: 16 }, 16, 'far_end');
    });
    this.options.log.info({ channel: ch.id, from, to, app }, 'inbound call');
    return { channel_id: ch.id, channel: ch.snapshot() };
  }

  // ---------------------------------------------------------------- shutdown

  close(): void {
    for (const ch of this.channels.values()) {
      ch.clearTimers();
      ch.destroyed = true;
    }
    for (const call of this.calls.list()) call.phone?.stop();
    for (const leg of this.legs.values()) leg.close();
    for (const id of [...this.mixers.keys()]) this.stopMixer(id);
    this.recordings.close();
    this.playbacks.close();
  }
}

function failureOf(scenario: Scenario): { cause: number; sip: number | undefined } {
  switch (scenario.outcome) {
    case 'busy':
      return { cause: 17, sip: 486 };
    case 'reject':
      return { cause: 21, sip: 603 };
    case 'unallocated':
      return { cause: 1, sip: 404 };
    case 'congestion':
      return { cause: 34, sip: 503 };
    default: {
      const cause = scenario.cause ?? (scenario.sip_code ? sipToCause(scenario.sip_code) : 127);
      return { cause, sip: scenario.sip_code ?? CAUSE_SIP[cause] };
    }
  }
}

