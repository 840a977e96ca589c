import { afterEach, beforeEach, expect, it } from 'vitest';
import { condense, loadEventOrder, normalizeOrder } from './testing/event-order';
import { settle, startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
});
afterEach(() => h.close());

it('reproduces the no-answer trace: after Ringing only ChannelDestroyed 19 at the originate timeout', async () => {
  await h.scenario('+15551234567', { outcome: 'no_answer', ring_after_ms: 10 });
  // The trace used timeout=10; the order of events does not depend on it.
  const channel = await h.ari.channels.originate({
    endpoint: 'PJSIP/+15551234567@trunk',
    app: 'dialer',
    appArgs: 'outbound',
    callerId: '+15550000000',
    timeout: 1,
    variables: { LEAD_ID: '44' },
  });
  const destroyed = await h.until('ChannelDestroyed', (e) => e.channel.id === channel.id);
  expect(destroyed).toMatchObject({ cause: 19, cause_txt: 'User alerting, no answer', tech_cause: 480 });
  await settle();
  const expected = normalizeOrder(loadEventOrder('noanswer'));
  expect(expected.length).toBe(9);
  expect(normalizeOrder(h.events.map(condense))).toEqual(expected);
});
