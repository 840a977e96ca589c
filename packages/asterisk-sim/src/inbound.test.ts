import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';

let h: SimHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

async function inbound(body: object): Promise<Response> {
  return fetch(`${h.sim.url}/sim/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

it('puts an inbound call into the Stasis app like Stasis(dialer,inbound) in the trunk dialplan, and the dialer answers it', async () => {
  const res = await inbound({ from: '+15557654321', to: '+15550001111', lines: ['Hi, I am calling about my order.'] });
  expect(res.status).toBe(200);
  const { channel_id: id } = (await res.json()) as { channel_id: string };

  const start = await h.until('StasisStart', (e) => e.channel.id === id);
  expect(start.args).toEqual(['inbound']);
  expect(start.channel).toMatchObject({
    state: 'Ring',
    caller: { name: '', number: '+15557654321' },
    dialplan: { context: 'from-trunk', exten: '+15550001111', app_name: 'Stasis', app_data: 'dialer,inbound' },
  });
  expect(start.channel.name).toMatch(/^PJSIP\/sandbox-[0-9a-f]{8}$/);
  const order = h.events.filter((e) => 'channel' in e && e.channel?.id === id).map((e) => e.type);
  expect(order).toEqual(['ChannelCreated', 'ChannelDialplan', 'ChannelVarset', 'StasisStart']);

  await h.ari.channels.answer(id);
  const up = await h.until('ChannelStateChange', (e) => e.channel.id === id && e.channel.state === 'Up');
  expect(up.channel.state).toBe('Up');
  expect(h.sim.calls.get(id)!.toJSON()).toMatchObject({ direction: 'inbound', state: 'answered', from: '+15557654321', to: '+15550001111' });

  await h.ari.channels.hangup(id);
  const destroyed = await h.until('ChannelDestroyed', (e) => e.channel.id === id);
  expect(destroyed.cause).toBe(16);
  expect(h.sim.calls.get(id)!.toJSON()).toMatchObject({ hung_up_by: 'agent', state: 'ended' });
});

it('refuses an inbound call with 409 when no Stasis app is connected for it', async () => {
  const res = await inbound({ from: '+15557654321', to: '+15550001111', app: 'nobody' });
  expect(res.status).toBe(409);
});
