import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
});
afterEach(() => h.close());

it('delivers ChannelCreated before POST /channels (and /channels/externalMedia) returns', async () => {
  await h.scenario('+15551234567', { outcome: 'answer', answer_after_ms: 100 });
  const id = 'call-early-1';
  await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', channelId: id, callerId: '+15550000000' });
  // The response is in hand: the events Asterisk sends first must already have been dispatched.
  const before = h.events.filter((e) => 'channel' in e && e.channel?.id === id).map((e) => e.type);
  expect(before.slice(0, 4)).toEqual(['ChannelCreated', 'ChannelDialplan', 'ChannelCallerId', 'ChannelConnectedLine']);
  expect(before).not.toContain('Dial');

  await h.until('StasisStart', (e) => e.channel.id === id);
  const emId = 'em-early-1';
  const em = await h.ari.channels.externalMedia({ app: 'dialer', external_host: '127.0.0.1:9', format: 'g722', channelId: emId });
  expect(em.id).toBe(emId);
  expect(em.state).toBe('Down');
  expect(h.events.find((e) => 'channel' in e && e.channel?.id === emId)?.type).toBe('ChannelCreated');
  // Its StasisStart may come before or after the response (ordering.test.ts).
});
