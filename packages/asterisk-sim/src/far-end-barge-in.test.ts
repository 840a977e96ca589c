import { G722Encoder, generateTone } from '@parley/audio';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';
import { RtpPeer } from './testing/rtp-peer';

let h: SimHarness;
let peer: RtpPeer;
beforeEach(async () => {
  h = await startHarness();
  peer = await RtpPeer.open();
});
afterEach(async () => {
  peer.close();
  await h.close();
});

it('a barge_in line is spoken while the agent is still talking', async () => {
  await h.scenario('+15551238888', { outcome: 'answer', answer_after_ms: 50, lines: [{ text: 'Sorry, who is this?', barge_in: true, after_ms: 300 }] });
  const channel = await h.ari.channels.originate({ endpoint: 'PJSIP/+15551238888@sandbox', app: 'dialer' });
  await h.until('StasisStart', (e) => e.channel.id === channel.id);
  const bridge = await h.ari.bridges.create();
  const em = await h.externalMedia({ app: 'dialer', external_host: peer.hostPort, format: 'g722' });
  await h.ari.bridges.addChannel(bridge.id, [channel.id, em.id]);
  const local = { address: em.channelvars!.UNICASTRTP_LOCAL_ADDRESS!, port: Number(em.channelvars!.UNICASTRTP_LOCAL_PORT) };

  // The agent talks for 3 s without pause; the far end must not wait for it to finish.
  const encoder = new G722Encoder();
  const talk = generateTone({ frequency: 300, sampleRate: 16000, durationMs: 3000, amplitude: 8000 });
  const payloads = Array.from({ length: 150 }, (_, i) => encoder.encode(talk.subarray(i * 320, (i + 1) * 320)));
  const sending = peer.sendPaced(local, 9, payloads);
  let finishedSendingAt = Infinity;
  void sending.then(() => (finishedSendingAt = performance.now()));
  await sending;
  expect(peer.packets.length).toBeGreaterThan(0);
  expect(peer.packets[0]!.at).toBeLessThan(finishedSendingAt);
  expect(h.sim.calls.get(channel.id)!.toJSON().spoken).toEqual(['Sorry, who is this?']);
});
