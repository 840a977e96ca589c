import type { AriEvent } from '@parley/ari-client';
import { expect, it, vi } from 'vitest';
import { LiveCall } from '../calls/live-call';
import type { LiveCalls } from '../calls/live-calls';
import type { OriginationQueue } from '../dispatch/origination-queue';
import type { AsteriskConnection } from '../telephony/asterisk-connections';
import { StasisChannels } from '../telephony/stasis-channels';
import { DialerCommands } from './dialer-commands';

const at = '2026-12-03T08:00:00.000+0000';
const channelEvent = (type: string, state: string) => ({ type, timestamp: at, args: [], channel: { id: 'call-1', state } }) as unknown as AriEvent;

/** An originated call whose ChannelStateChange Up came and whose StasisStart has not yet (the order Asterisk 22 sends). */
function answeredNotInStasis() {
  const stasis = new StasisChannels(async () => false);
  const channels = { sendDtmf: vi.fn(async () => undefined), redirect: vi.fn(async () => undefined) };
  const conn = { client: { channels }, stasis } as unknown as AsteriskConnection;
  const call = new LiveCall({ callId: 'c1', accountId: 'a1', trunkId: 't1', direction: 'outbound', channelId: 'call-1', conn, ringTimeoutSeconds: 30, maxDurationSeconds: 600 });
  call.machine.onAriEvent(channelEvent('ChannelStateChange', 'Up'));
  const commands = new DialerCommands({
    bus: {} as never,
    liveCalls: { get: () => call } as unknown as LiveCalls,
    queue: {} as OriginationQueue,
    trunks: { address: async () => ({ id: 't1', sandbox: true, host: 'sim', port: 5060 }) },
    logger: { info: vi.fn(), warn: vi.fn() } as never,
  });
  const stasisStart = () => {
    const e = channelEvent('StasisStart', 'Up');
    stasis.observe(e);
    call.machine.onAriEvent(e);
  };
  return { commands, channels, stasisStart };
}

it('DTMF for a call answered but not yet in Stasis waits for its StasisStart instead of being refused by Asterisk', async () => {
  const { commands, channels, stasisStart } = answeredNotInStasis();
  const reply = commands.handle({ call_id: 'c1', command: 'dtmf', digits: '12' } as never);
  await new Promise((r) => setImmediate(r));
  expect(channels.sendDtmf).not.toHaveBeenCalled();
  stasisStart();
  expect(await reply).toMatchObject({ ok: true });
  expect(channels.sendDtmf).toHaveBeenCalledWith('call-1', '12');
});

it('a transfer in the same window waits too', async () => {
  const { commands, channels, stasisStart } = answeredNotInStasis();
  const reply = commands.handle({ call_id: 'c1', command: 'transfer', destination: '+15557654321' } as never);
  await new Promise((r) => setImmediate(r));
  expect(channels.redirect).not.toHaveBeenCalled();
  stasisStart();
  expect(await reply).toMatchObject({ ok: true });
  expect(channels.redirect).toHaveBeenCalledWith('call-1', 'PJSIP/+15557654321@sandbox');
});
