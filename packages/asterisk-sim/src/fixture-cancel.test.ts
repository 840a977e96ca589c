import { afterEach, beforeEach, expect, it } from 'vitest';
import { condense, loadEventOrder, normalizeOrder } from './testing/event-order';
import { settle, startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
});
afterEach(() => h.close());

it('reproduces the cancel trace: DELETE while ringing -> HangupRequest 32 soft -> Dial NOANSWER -> Destroyed 16', async () => {
  await h.scenario('+15551234567', { outcome: 'answer', ring_after_ms: 10, answer_after_ms: 60_000 });
  const id = 'dialer-cancel-d3e6f303-7245-4c16-81e1-afd5d4a4e114';
  await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', appArgs: 'outbound', callerId: '+15550000000', timeout: 30, channelId: id });
  await h.until('ChannelStateChange', (e) => e.channel.id === id && e.channel.state === 'Ringing');
  await h.ari.channels.hangup(id, { reason: 'normal' });
  const destroyed = await h.until('ChannelDestroyed', (e) => e.channel.id === id);
  expect(destroyed).toMatchObject({ cause: 16, cause_txt: 'Normal Clearing' });
  await settle();
  expect(h.sim.calls.get(id)?.toJSON()).toMatchObject({ hung_up_by: 'agent', answered_at: null });
  const expected = normalizeOrder(loadEventOrder('cancel'));
  expect(expected.length).toBe(10);
  expect(normalizeOrder(h.events.map(condense))).toEqual(expected);
});
