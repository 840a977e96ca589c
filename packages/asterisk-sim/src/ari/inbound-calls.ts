import { randomUUID } from 'node:crypto';
import type { Channel } from '@parley/ari-client';
import { SimCall, type CallLog } from '../calls';
import { parseScenario, type Scenario } from '../far-end/scenario';
import type { AriEvents } from './ari-events';
import type { ChannelLifecycle, SimLog } from './channel-lifecycle';
import type { Channels } from './channels';
import type { Endpoints } from './endpoints';
import { AriHttpError } from './errors';
import type { EventBus } from './event-bus';
import { str, type Params } from './params';

/** Calls from a trunk: a PJSIP channel whose dialplan runs Stasis(app,inbound), and a caller who gives up if nobody answers. */
export class InboundCalls {
  constructor(
    private readonly channels: Channels,
    private readonly endpoints: Endpoints,
    private readonly lifecycle: ChannelLifecycle,
    private readonly events: AriEvents,
    private readonly bus: EventBus,
    private readonly calls: CallLog,
    /** Stasis app for inbound calls when the request names none. */
    private readonly defaultApp: string | undefined,
    private readonly log: SimLog,
  ) {}

  /** POST /sim/inbound. */
  place(body: Params): { channel_id: string; channel: Channel } {
    const from = str(body.from);
    const to = str(body.to);
    if (!from || !to) throw new AriHttpError(400, { message: 'from and to are required' });
    const endpoint = str(body.endpoint) ?? 'sandbox';
    if (!this.endpoints.exists(endpoint)) throw new AriHttpError(404, { message: `Endpoint '${endpoint}' not found` });
    const { from: _f, to: _t, endpoint: _e, app: appParam, caller_name: callerName, ring_timeout_ms: ringTimeout, ...scenarioFields } = body;
    let scenario: Scenario;
    try {
      scenario = parseScenario({ answer_after_ms: 0, ...scenarioFields, outcome: 'answer' });
    } catch (error) {
      throw new AriHttpError(400, { message: (error as Error).message });
    }
    const app = str(appParam) ?? this.defaultApp ?? this.bus.registeredApps()[0];
    if (!app || !this.bus.isRegistered(app)) throw new AriHttpError(409, { error: `Stasis app '${app ?? ''}' is not connected` });

    const ch = this.channels.newPjsip(this.channels.uniqueId(), endpoint, { context: this.endpoints.context(endpoint), exten: to });
    ch.app = app;
    ch.state = 'Ring';
    ch.protocolId = randomUUID();
    ch.caller = { name: str(callerName) ?? '', number: from };
    this.channels.add(ch);
    const call = new SimCall(ch.id, 'inbound', endpoint, from, to, scenario);
    this.calls.add(call);
    call.ringingAt = new Date();
    this.events.channel('ChannelCreated', ch);
    this.events.dialplan(ch, { app_name: 'Stasis', app_data: `${app},inbound` });
    this.lifecycle.enterStasis(ch, app, ['inbound']);
    this.events.deviceState(ch.device, 'INUSE');
    // A caller nobody answers gives up (CANCEL) after a while.
    ch.later(Number(ringTimeout ?? 60_000), () => {
      if (!ch.answered) this.lifecycle.hangup(ch, { cause: 16 }, 16, 'far_end');
    });
    this.log.info({ channel: ch.id, from, to, app }, 'inbound call');
    return { channel_id: ch.id, channel: ch.snapshot() };
  }
}
