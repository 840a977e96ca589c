import type { Bridge, CallerId, Channel, ChannelState, DialplanCep } from '@parley/ari-client';

/** Asterisk's timestamp format: `2026-11-23T19:32:45.368+0000`. */
export function asteriskTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

export type ChannelKind = 'pjsip' | 'unicast_rtp';

/** One channel as the simulated Asterisk holds it; `snapshot()` is what ARI shows. */
export class SimChannel {
  name: string;
  state: ChannelState = 'Down';
  protocolId = '';
  caller: CallerId = { name: '', number: '' };
  connected: CallerId = { name: '', number: '' };
  dialplan: DialplanCep;
  readonly creationtime = asteriskTimestamp();
  readonly vars = new Map<string, string>();
  /** Stasis app the channel belongs to (events go to it even without subscribeAll). */
  app: string | undefined;
  inStasis = false;
  /** Set once the far end answered (outbound) or the channel entered Stasis answered. */
  answered = false;
  /** Reached Ringing (device state events then follow on teardown). */
  rang = false;
  destroyed = false;
  /** Bridge the channel is in, and when it joined (bridge order matters for varsets). */
  bridgeId: string | undefined;
  /** Dial string of an outbound leg, repeated in its Dial events. */
  dialstring = '';
  /** Device name for DeviceStateChanged (`PJSIP/trunk`, `UnicastRTP/127.0.0.1:40000`). */
  device: string;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly id: string,
    readonly kind: ChannelKind,
    init: { name: string; device: string; dialplan: DialplanCep },
  ) {
    this.name = init.name;
    this.device = init.device;
    this.dialplan = { ...init.dialplan };
  }

  snapshot(extra: { channelvars?: Record<string, string> } = {}): Channel {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      protocol_id: this.protocolId,
      caller: { ...this.caller },
      connected: { ...this.connected },
      accountcode: '',
      dialplan: { ...this.dialplan },
      creationtime: this.creationtime,
      language: 'en',
      ...(extra.channelvars ? { channelvars: extra.channelvars } : {}),
    };
  }

  /** setTimeout that is cleared when the channel is destroyed. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.destroyed) fn();
    }, ms);
    this.timers.add(timer);
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

export class SimBridge {
  technology: string;
  /** Channel ids in join order. */
  readonly members: string[] = [];
  readonly creationtime = asteriskTimestamp();

  constructor(
    readonly id: string,
    readonly bridgeType: string,
    readonly name: string,
  ) {
    this.technology = bridgeType.includes('holding') ? 'holding_bridge' : 'simple_bridge';
  }

  snapshot(): Bridge {
    return {
      id: this.id,
      technology: this.technology,
      bridge_type: this.bridgeType.includes('holding') ? 'holding' : 'mixing',
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: this.name,
      // Asterisk lists bridge members sorted by id.
      channels: [...this.members].sort(),
      creationtime: this.creationtime,
      video_mode: 'talker',
    };
  }
}
