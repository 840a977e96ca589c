import { randomUUID } from 'node:crypto';
import type { Channel } from '@parley/ari-client';
import { SimCall, type CallLog } from '../calls';
import type { Scenario, ScenarioStore } from '../far-end/scenario';
import type { AriEvents } from './ari-events';
import { CAUSE_SIP, dialStatusForCause, sipToCause } from './causes';
import type { SimChannel } from './channel';
import type { ChannelLifecycle, SimLog } from './channel-lifecycle';
import { OUTGOING_LINE, type Channels } from './channels';
import type { Endpoints } from './endpoints';
import { AriHttpError } from './errors';
import type { FarEnds } from './far-ends';
import type { EventOrdering } from './ordering';
import { parseCallerId, parseDialEndpoint, str, type Params } from './params';

interface Dialing {
  app: string;
  args: string[];
  dialstring: string;
  leadMs: number;
  timeoutMs: number | undefined;
}

/** Originated calls: the PJSIP channel dials out and its far end plays the scenario of the number dialed. */
export class OutboundCalls {
  constructor(
    private readonly channels: Channels,
    private readonly endpoints: Endpoints,
    private readonly lifecycle: ChannelLifecycle,
    private readonly farEnds: FarEnds,
    private readonly events: AriEvents,
    private readonly scenarios: ScenarioStore,
    private readonly calls: CallLog,
    private readonly ordering: EventOrdering,
    private readonly log: SimLog,
  ) {}

  /** POST /channels. Emits the first events now; the caller answers the HTTP request `leadMs` later. */
  originate(params: Params, leadMs: number): Channel {
    const endpoint = str(params.endpoint);
    if (!endpoint) throw new AriHttpError(400, { message: 'Endpoint must be specified' });
    const app = str(params.app);
    if (!app) throw new AriHttpError(400, { message: 'Application or extension must be specified' });
    const channelId = str(params.channelId);
    if (channelId && this.channels.has(channelId)) throw new AriHttpError(409, { message: 'Channel with given unique ID already exists' });
    const dialed = parseDialEndpoint(endpoint);
    // An unknown endpoint, or one with no contact left to call (none, or all Unreachable): chan_pjsip creates no channel.
    if (dialed.tech.toUpperCase() !== 'PJSIP' || !this.endpoints.dialable(dialed.endpoint)) {
      throw new AriHttpError(500, { error: 'Allocation failed' });
    }
    const timeoutSec = params.timeout === undefined ? 30 : Number(params.timeout);
    const appArgs = str(params.appArgs);
    const args = appArgs ? appArgs.split(',') : [];
    const variables = (params.variables ?? {}) as Record<string, unknown>;

    const scenario = this.scenarios.dial(dialed.number);
    const ch = this.channels.newPjsip(channelId ?? this.channels.uniqueId(), dialed.endpoint, { context: this.endpoints.context(dialed.endpoint), exten: 's' });
    ch.app = app;
    this.channels.add(ch);
    this.events.channel('ChannelCreated', ch);

    ch.protocolId = randomUUID();
    this.events.dialplan(ch, OUTGOING_LINE);

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
      this.events.emit(
        { type: 'ChannelCallerId', caller_presentation: 0, caller_presentation_txt: 'Presentation Allowed, Not Screened', channel: ch.snapshot() },
        ch,
      );
      ch.connected = { ...caller };
      this.events.channel('ChannelConnectedLine', ch);
    }
    for (const [name, value] of plainVars) this.events.setVar(ch, name, value);

    const call = new SimCall(ch.id, 'outbound', dialed.endpoint, ch.caller.number, dialed.number, scenario);
    this.calls.add(call);
    const snapshot = ch.snapshot();
    this.log.info({ channel: ch.id, to: dialed.number, outcome: scenario.outcome }, 'originate');

    const dialstring = `${dialed.number ? `${dialed.number}@` : ''}${dialed.endpoint}`;
    ch.dialstring = dialstring;
    ch.later(leadMs + 2, () => this.events.dial(ch, '', dialstring));
    this.runScenario(ch, call, scenario, { app, args, dialstring, leadMs, timeoutMs: timeoutSec > 0 ? timeoutSec * 1000 : undefined });
    return snapshot;
  }

  private runScenario(ch: SimChannel, call: SimCall, scenario: Scenario, ctx: Dialing): void {
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
        this.lifecycle.destroy(ch, 19, 480);
        if (ch.rang) this.events.deviceState(ch.device, 'NOT_INUSE');
      });
    }
  }

  private farEndRings(ch: SimChannel, call: SimCall, dialstring: string): void {
    if (ch.answered || ch.rang) return;
    ch.rang = true;
    ch.state = 'Ringing';
    call.ringingAt = new Date();
    this.events.channel('ChannelStateChange', ch);
    this.events.dial(ch, 'RINGING', dialstring);
    this.events.deviceState(ch.device, 'RINGING');
  }

  private farEndAnswers(ch: SimChannel, call: SimCall, scenario: Scenario, ctx: Dialing): void {
    ch.answered = true;
    ch.state = 'Up';
    call.answeredAt = new Date();
    this.events.channel('ChannelStateChange', ch);
    this.events.deviceState(ch.device, 'INUSE');
    this.events.dial(ch, 'ANSWER', ctx.dialstring);
    this.farEnds.start(ch, call, scenario);
    // Up comes before StasisStart, every time (fixtures/asterisk-22/races/originate-order.json, 10 of 10); until the
    // StasisStart the channel is not in Stasis and addChannel, answer, play... are refused.
    const gap = this.ordering.upToStasisStartMs();
    if (gap === null) this.lifecycle.enterStasis(ch, ctx.app, ctx.args);
    else ch.later(gap, () => this.lifecycle.enterStasis(ch, ctx.app, ctx.args));
  }

  private outboundFails(ch: SimChannel, call: SimCall, cause: number, sip: number | undefined, dialstring: string): void {
    call.hungUpBy = 'failure';
    this.events.emit({ type: 'ChannelHangupRequest', cause, ...(sip ? { tech_cause: sip } : {}), channel: ch.snapshot() }, ch);
    this.events.dial(ch, dialStatusForCause(cause), dialstring);
    if (ch.rang) this.events.deviceState(ch.device, 'NOT_INUSE');
    this.lifecycle.destroy(ch, cause, sip);
  }
}

/** The Q.850 cause and SIP status of a scenario whose far end does not answer. */
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
