import type { AriEventPayload } from '@parley/ari-client';
import type { SimChannel } from './channel';
import type { EventBus } from './event-bus';

/** What the simulated Asterisk tells the Stasis apps, in Asterisk's event shapes; a channel's events go to the app that owns it. */
export class AriEvents {
  constructor(private readonly bus: EventBus) {}

  emit(payload: AriEventPayload, owner?: SimChannel): void {
    this.bus.publish(payload, owner?.app);
  }

  channel(type: 'ChannelCreated' | 'ChannelStateChange' | 'ChannelConnectedLine' | 'StasisEnd', ch: SimChannel): void {
    this.emit({ type, channel: ch.snapshot() }, ch);
  }

  /** Sets a channel variable, with the ChannelVarset Asterisk sends for it. */
  setVar(ch: SimChannel, variable: string, value: string): void {
    ch.vars.set(variable, value);
    this.emit({ type: 'ChannelVarset', variable, value, channel: ch.snapshot() }, ch);
  }

  dial(ch: SimChannel, dialstatus: string, dialstring: string): void {
    this.emit({ type: 'Dial', dialstatus, forward: '', dialstring, peer: ch.snapshot() }, ch);
  }

  deviceState(name: string, state: string): void {
    this.emit({ type: 'DeviceStateChanged', device_state: { name, state } });
  }

  /** The dialplan application a channel runs now, as Asterisk announces it. */
  dialplan(ch: SimChannel, app: { app_name: string; app_data: string }): void {
    ch.dialplan = { ...ch.dialplan, ...app };
    this.emit({ type: 'ChannelDialplan', dialplan_app: app.app_name, dialplan_app_data: app.app_data, channel: ch.snapshot() }, ch);
  }
}
