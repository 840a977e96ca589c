import { G722Decoder } from '@parley/audio';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { telephoneBand } from './media/pcm';
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

/** Share of the signal's energy above the telephone band (~3.6 kHz). */
function highBandShare(pcm: Int16Array): number {
  const low = telephoneBand(pcm);
  let total = 0;
  let high = 0;
  for (let i = 0; i < pcm.length; i++) {
    const x = pcm[i]!;
    const h2 = x - low[i]!;
    total += x * x;
    high += h2 * h2;
  }
  return high / total;
}

async function hearFarEnd(number: string, codec: 'g722' | 'ulaw'): Promise<Int16Array> {
  await h.scenario(number, { outcome: 'answer', answer_after_ms: 20, speak_first: true, lines: ['Sixty six sisters see the seashore.'], codec });
  const channel = await h.ari.channels.originate({ endpoint: `PJSIP/${number}@sandbox`, app: 'dialer' });
  await h.until('StasisStart', (e) => e.channel.id === channel.id);
  const bridge = await h.ari.bridges.create();
  const em = await h.externalMedia({ app: 'dialer', external_host: peer.hostPort, format: 'g722' });
  const start = peer.packets.length;
  await h.ari.bridges.addChannel(bridge.id, [channel.id, em.id]);
  const deadline = performance.now() + 20_000;
  while (!(peer.packets.length > start && performance.now() - peer.packets.at(-1)!.at > 300)) {
    if (performance.now() > deadline) throw new Error('no speech');
    await new Promise((r) => setTimeout(r, 20));
  }
  const decoder = new G722Decoder();
  const packets = peer.packets.slice(start);
  const pcm = new Int16Array(packets.length * 320);
  packets.forEach((p, i) => pcm.set(decoder.decode(p.payload), i * 320));
  await h.ari.channels.hangup(channel.id);
  return pcm;
}

it('a ulaw far end sounds band-limited to the telephone band even over a g722 leg; a g722 far end keeps its high band', async () => {
  const wide = highBandShare(await hearFarEnd('+15551230010', 'g722'));
  const narrow = highBandShare(await hearFarEnd('+15551230011', 'ulaw'));
  expect(narrow).toBeLessThan(0.01);
  expect(wide).toBeGreaterThan(narrow * 5);
});
