import { afterEach, beforeEach, expect, it } from 'vitest';
import { settle, startHarness, type SimHarness } from './testing/harness';
import { RtpPeer } from './testing/rtp-peer';

let h: SimHarness;
let peer: RtpPeer;
beforeEach(async () => {
  h = await startHarness({ endpoints: ['trunk'] });
  peer = await RtpPeer.open();
});
afterEach(async () => {
  peer.close();
  await h.close();
});

it('a two-party bridge sends nothing until the far end sends, and drops slin16 audio sent to it', async () => {
  // A far end that says nothing and sends no silence (like the traced sipp UAS before it echoes).
  await h.scenario('+15551234567', { outcome: 'answer', answer_after_ms: 50, lines: [], send_silence: false });
  const id = 'call-quiet';
  await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', channelId: id });
  await h.until('StasisStart', (e) => e.channel.id === id);
  const bridge = await h.ari.bridges.create({ type: 'mixing' });
  const em = await h.externalMedia({ app: 'dialer', external_host: peer.hostPort, format: 'slin16' });
  await h.ari.bridges.addChannel(bridge.id, [id, em.id]);
  expect((await h.ari.bridges.get(bridge.id)).technology).toBe('simple_bridge');

  const loud = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) loud.writeInt16BE(Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), 2 * i);
  const local = { address: em.channelvars!.UNICASTRTP_LOCAL_ADDRESS!, port: Number(em.channelvars!.UNICASTRTP_LOCAL_PORT) };
  await peer.sendPaced(local, 118, Array.from({ length: 15 }, () => loud), 320);
  await settle(300);

  expect(peer.packets).toHaveLength(0);
  expect(h.sim.core.externalMedia.stats(em.id)).toMatchObject({ rxPackets: 15, rxDropped: 15 });
  expect(h.sim.calls.get(id)!.toJSON().agent_audio_ms).toBe(0);
});

it('a third channel turns the bridge into softmix, which sends silence from the start', async () => {
  await h.scenario('+15551234567', { outcome: 'answer', answer_after_ms: 50, lines: [], send_silence: false });
  const id = 'call-3way';
  await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', channelId: id });
  await h.until('StasisStart', (e) => e.channel.id === id);
  const bridge = await h.ari.bridges.create({ type: 'mixing' });
  const em = await h.externalMedia({ app: 'dialer', external_host: peer.hostPort, format: 'ulaw' });
  const third = await h.externalMedia({ app: 'dialer', external_host: '127.0.0.1:9', format: 'ulaw' });
  await h.ari.bridges.addChannel(bridge.id, [id, em.id]);
  await h.ari.bridges.addChannel(bridge.id, third.id);
  expect((await h.ari.bridges.get(bridge.id)).technology).toBe('softmix');
  await peer.waitForPackets(10);
  expect(peer.packets.every((p) => p.payload.length === 160 && p.header.payloadType === 0)).toBe(true);

  // Re-adding a member makes it leave and re-enter.
  const before = h.events.length;
  await h.ari.bridges.addChannel(bridge.id, third.id);
  const types = h.events.slice(before).filter((e) => 'channel' in e && e.channel?.id === third.id).map((e) => e.type);
  expect(types.filter((t) => t === 'ChannelLeftBridge' || t === 'ChannelEnteredBridge')).toEqual(['ChannelLeftBridge', 'ChannelEnteredBridge']);
});
