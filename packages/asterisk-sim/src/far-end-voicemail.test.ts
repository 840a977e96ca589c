import { G722Decoder, toneEnergyFraction } from '@parley/audio';
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

it('a voicemail far end plays its greeting, then a 1 kHz beep, then stays silent', async () => {
  await h.scenario('+15551239999', { outcome: 'voicemail', answer_after_ms: 50, voicemail_greeting: 'Please leave a message.' });
  const channel = await h.ari.channels.originate({ endpoint: 'PJSIP/+15551239999@sandbox', app: 'dialer' });
  await h.until('StasisStart', (e) => e.channel.id === channel.id);
  const bridge = await h.ari.bridges.create();
  const em = await h.externalMedia({ app: 'dialer', external_host: peer.hostPort, format: 'g722' });
  await h.ari.bridges.addChannel(bridge.id, [channel.id, em.id]);

  // Greeting + 300 ms pause + 500 ms beep, then nothing: wait for a 500 ms gap after packets started.
  const deadline = performance.now() + 20_000;
  while (!(peer.packets.length > 0 && performance.now() - peer.packets.at(-1)!.at > 500)) {
    if (performance.now() > deadline) throw new Error('voicemail greeting never ended');
    await new Promise((r) => setTimeout(r, 20));
  }
  const decoder = new G722Decoder();
  const pcm = new Int16Array(peer.packets.length * 320);
  peer.packets.forEach((p, i) => pcm.set(decoder.decode(p.payload), i * 320));
  const last400ms = pcm.subarray(pcm.length - 6400);
  expect(toneEnergyFraction(last400ms, 1000, 16000)).toBeGreaterThan(0.8);
  const greeting = pcm.subarray(0, pcm.length - 16000);
  expect(toneEnergyFraction(greeting, 1000, 16000)).toBeLessThan(0.3);
  expect(h.sim.calls.get(channel.id)!.toJSON().spoken).toEqual(['Please leave a message.', '(beep)']);
});
