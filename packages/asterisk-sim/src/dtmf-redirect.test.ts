import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

async function answeredCall(number: string, scenario: object): Promise<string> {
  await h.scenario(number, { outcome: 'answer', answer_after_ms: 50, ...scenario });
  const channel = await h.ari.channels.originate({ endpoint: `PJSIP/${number}@sandbox`, app: 'dialer' });
  await h.until('StasisStart', (e) => e.channel.id === channel.id);
  return channel.id;
}

it('records the DTMF the agent sends as heard by the far end', async () => {
  const id = await answeredCall('+15551230001', {});
  await h.ari.channels.sendDtmf(id, '12#', { duration: 100 });
  await h.ari.channels.sendDtmf(id, '9');
  expect(h.sim.calls.get(id)!.toJSON().dtmf_heard).toBe('12#9');
});

it('delivers the far end pressing keys as ChannelDtmfReceived', async () => {
  const id = await answeredCall('+15551230002', { dtmf: { digits: '42', after_ms: 50, duration_ms: 80 } });
  await h.until('ChannelDtmfReceived', (e) => e.channel.id === id && e.digit === '2');
  const digits = h.events.filter((e) => e.type === 'ChannelDtmfReceived').map((e) => (e.type === 'ChannelDtmfReceived' ? [e.digit, e.duration_ms] : []));
  expect(digits).toEqual([
    ['4', 80],
    ['2', 80],
  ]);
});

it('records a blind transfer (redirect) and the far end then drops the leg', async () => {
  const id = await answeredCall('+15551230003', {});
  await h.ari.channels.redirect(id, 'PJSIP/+15559998888@sandbox');
  const destroyed = await h.until('ChannelDestroyed', (e) => e.channel.id === id);
  expect(destroyed.cause).toBe(16);
  expect(h.sim.calls.get(id)!.toJSON()).toMatchObject({ redirected_to: 'PJSIP/+15559998888@sandbox', hung_up_by: 'far_end' });
});
