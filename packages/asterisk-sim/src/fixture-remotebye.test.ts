import { afterEach, beforeEach, expect, it } from 'vitest';
import { condense, loadEventOrder, normalizeOrder } from './testing/event-order';
import { settle, startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
});
afterEach(() => h.close());

it('reproduces the far-end BYE trace: HangupRequest 16 (not soft) -> StasisEnd -> Destroyed 16', async () => {
  await h.scenario('+15551234567', { outcome: 'answer', ring_after_ms: 5, answer_after_ms: 200, hangup_after_ms: 300, lines: [] });
  const channel = await h.ari.channels.originate({
    endpoint: 'PJSIP/+15551234567@trunk',
    app: 'dialer',
    appArgs: 'outbound',
    callerId: '+15550000000',
    timeout: 30,
    variables: { LEAD_ID: '43' },
  });
  const hangup = await h.until('ChannelHangupRequest', (e) => e.channel.id === channel.id);
  expect(hangup.cause).toBe(16);
  expect(hangup.soft).toBeUndefined();
  await h.until('ChannelDestroyed', (e) => e.channel.id === channel.id);
  await settle();
  expect(h.sim.calls.get(channel.id)?.toJSON()).toMatchObject({ hung_up_by: 'far_end', cause: 16 });
  const expected = normalizeOrder(loadEventOrder('remotebye'));
  expect(expected.length).toBe(21);
  expect(normalizeOrder(h.events.map(condense))).toEqual(expected);
});
