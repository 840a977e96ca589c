import { AriError } from '@parley/ari-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { condense, loadEventOrder, normalizeOrder } from './testing/event-order';
import { settle, startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
});
afterEach(() => h.close());

it('reproduces the busy trace: HangupRequest 17 -> Dial BUSY -> Destroyed 17, no StasisStart', async () => {
  await h.scenario('+15551234567', { outcome: 'busy', answer_after_ms: 200 });
  // As busy/rest.json: everything in the JSON body, no channelId.
  const channel = await h.ari.channels.originate({
    endpoint: 'PJSIP/+15551234567@trunk',
    app: 'dialer',
    appArgs: 'outbound',
    callerId: '+15550000000',
    timeout: 30,
    variables: { LEAD_ID: '44' },
  });
  expect(channel.state).toBe('Down');
  expect(channel.caller).toEqual({ name: '', number: '+15550000000' });
  const destroyed = await h.until('ChannelDestroyed', (e) => e.channel.id === channel.id);
  expect(destroyed.tech_cause).toBe(486);
  await settle();

  const err = await h.ari.channels.get(channel.id).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AriError);
  expect((err as AriError).status).toBe(404);
  expect((err as AriError).asteriskMessage).toBe('Channel not found');

  expect(normalizeOrder(h.events.map(condense))).toEqual(normalizeOrder(loadEventOrder('busy')));
});
