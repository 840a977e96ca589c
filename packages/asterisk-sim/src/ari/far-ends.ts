import type { SimCall } from '../calls';
import { FarEndPhone } from '../far-end/phone';
import type { Scenario } from '../far-end/scenario';
import type { SpeechSource } from '../far-end/speech';
import type { AriEvents } from './ari-events';
import type { Bridges } from './bridges';
import type { SimChannel } from './channel';
import type { ChannelLifecycle, SimLog } from './channel-lifecycle';

/** The far end of an answered PJSIP channel: its phone talking into the bridge, its scripted hang-up and DTMF. */
export class FarEnds {
  constructor(
    private readonly speech: SpeechSource,
    private readonly bridges: Bridges,
    private readonly lifecycle: ChannelLifecycle,
    private readonly events: AriEvents,
    private readonly log: SimLog,
  ) {}

  /** The far end is live: audio clock, scripted hang-up and DTMF. */
  start(ch: SimChannel, call: SimCall, scenario: Scenario): void {
    const phone =
      call.phone ??
      new FarEndPhone(scenario, this.speech, (frame) => this.bridges.relayAudio(ch, frame), (error) =>
        this.log.warn({ channel: ch.id, err: error.message }, 'far end could not speak'),
      );
    call.phone = phone;
    phone.start();
    if (ch.bridgeId && (this.bridges.find(ch.bridgeId)?.members.length ?? 0) >= 2) phone.bridged();
    if (scenario.hangup_after_ms !== null) {
      ch.later(scenario.hangup_after_ms, () => this.hangUp(ch));
    }
    if (scenario.dtmf !== undefined) {
      const dtmf = typeof scenario.dtmf === 'string' ? { digits: scenario.dtmf, after_ms: 1000, duration_ms: 100 } : scenario.dtmf;
      [...dtmf.digits].forEach((digit, i) => {
        ch.later(dtmf.after_ms + i * (dtmf.duration_ms + 150), () => {
          if (ch.inStasis) this.events.emit({ type: 'ChannelDtmfReceived', digit, duration_ms: dtmf.duration_ms, channel: ch.snapshot() }, ch);
        });
      });
    }
  }

  /** The far end sends BYE (or the caller of an inbound call gives up). */
  hangUp(ch: SimChannel): void {
    this.lifecycle.hangup(ch, { cause: 16 }, 16, 'far_end');
  }
}
