import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AriEvent } from '@parley/ari-client';

/** One event as the fixtures' event_order.json condenses it. */
export interface CondensedEvent {
  type: string;
  channel?: { id: string; name: string; state: string };
  cause?: number;
  cause_txt?: string;
  soft?: boolean;
  dialstatus?: string;
  args?: string[];
  bridge?: string;
}

export const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures', 'asterisk-22');

export function loadEventOrder(scenario: string): CondensedEvent[] {
  const raw = JSON.parse(readFileSync(join(FIXTURES_DIR, scenario, 'event_order.json'), 'utf8')) as Array<CondensedEvent & { t_ms?: number }>;
  return raw.map(({ t_ms: _t, ...rest }) => rest);
}

/** Condenses a live event the way the fixture recorder did. */
export function condense(event: AriEvent): CondensedEvent {
  const out: CondensedEvent = { type: event.type };
  const channel = 'channel' in event ? event.channel : undefined;
  if (channel && event.type !== 'Dial') out.channel = { id: channel.id, name: channel.name, state: channel.state };
  if ('cause' in event && event.cause !== undefined) out.cause = event.cause;
  if ('cause_txt' in event) out.cause_txt = event.cause_txt;
  if ('soft' in event && event.soft !== undefined) out.soft = event.soft;
  if (event.type === 'Dial') out.dialstatus = event.dialstatus;
  if (event.type === 'StasisStart') out.args = event.args;
  if ('bridge' in event && event.bridge) out.bridge = event.bridge.id;
  return out;
}

/**
 * Makes two event sequences comparable:
 * - ids become placeholders in order of first appearance (Asterisk picks its own ids);
 * - channel names lose their per-instance suffix (`PJSIP/trunk-00000003` -> `PJSIP/trunk`,
 *   `UnicastRTP/127.0.0.1:40000-0x7f..` -> `UnicastRTP`);
 * - DeviceStateChanged is dropped: Asterisk publishes it from the device-state thread and its
 *   position differs between runs of the same scenario in the traces;
 * - "ChannelStateChange Ringing" and "Dial RINGING" are put in one order: the traces show both
 *   orders (answer vs cancel), as the two are published by different threads at the same instant.
 */
export function normalizeOrder(events: CondensedEvent[]): CondensedEvent[] {
  const ids = new Map<string, string>();
  const alias = (id: string, prefix: string) => {
    if (!ids.has(id)) ids.set(id, `${prefix}${ids.size + 1}`);
    return ids.get(id)!;
  };
  const out = events
    .filter((e) => e.type !== 'DeviceStateChanged')
    .map((e) => {
      const copy: CondensedEvent = { ...e };
      if (e.channel) {
        copy.channel = {
          id: alias(e.channel.id, 'C'),
          name: e.channel.name.startsWith('UnicastRTP/') ? 'UnicastRTP' : e.channel.name.replace(/-[0-9a-f]{8}$/, ''),
          state: e.channel.state,
        };
      }
      if (e.bridge) copy.bridge = alias(e.bridge, 'B');
      return copy;
    });
  for (let i = 0; i + 1 < out.length; i++) {
    const a = out[i]!;
    const b = out[i + 1]!;
    if (a.type === 'Dial' && a.dialstatus === 'RINGING' && b.type === 'ChannelStateChange' && b.channel?.state === 'Ringing') {
      out[i] = b;
      out[i + 1] = a;
    }
  }
  return out;
}
