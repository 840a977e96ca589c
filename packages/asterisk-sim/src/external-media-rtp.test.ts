import { encodeUlaw, G722Encoder, generateTone } from '@parley/audio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type SimHarness } from './testing/harness';
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

/** Answers +15551234567, bridges it with an ExternalMedia channel of `format` and returns the channel vars. */
async function bridgedCall(format: string, scenario: object) {
  await h.scenario('+15551234567', { outcome: 'answer', answer_after_ms: 100, ...scenario });
  const id = `call-${format}`;
  await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', channelId: id });
  await h.until('StasisStart', (e) => e.channel.id === id);
  const bridge = await h.ari.bridges.create({ type: 'mixing' });
  const em = await h.externalMedia({ app: 'dialer', external_host: peer.hostPort, format, channelId: `em-${format}` });
  await h.ari.bridges.addChannel(bridge.id, [id, em.id]);
  return { id, em, local: { address: em.channelvars!.UNICASTRTP_LOCAL_ADDRESS!, port: Number(em.channelvars!.UNICASTRTP_LOCAL_PORT) } };
}

describe.each([
  { format: 'g722', pt: 9 },
  { format: 'ulaw', pt: 0 },
])('ExternalMedia $format', ({ format, pt }) => {
  it(`sends PT ${pt}, 160-byte payloads with timestamp step 160 from UNICASTRTP_LOCAL_ADDRESS:PORT and receives on that port`, async () => {
    const { id, local } = await bridgedCall(format, { speak_first: true, lines: ['Hello, this is Maria speaking.'] });
    await peer.waitForPackets(40);
    const packets = peer.packets.slice(0, 40);
    expect(new Set(packets.map((p) => p.header.payloadType))).toEqual(new Set([pt]));
    expect(new Set(packets.map((p) => p.payload.length))).toEqual(new Set([160]));
    expect(new Set(packets.map((p) => p.from))).toEqual(new Set([`${local.address}:${local.port}`]));
    for (let i = 1; i < packets.length; i++) {
      expect((packets[i]!.header.timestamp - packets[i - 1]!.header.timestamp) >>> 0).toBe(160);
      expect((packets[i]!.header.sequenceNumber - packets[i - 1]!.header.sequenceNumber) & 0xffff).toBe(1);
    }

    // Symmetric: what we send to the port Asterisk sends from reaches the far end.
    const tone = generateTone({ frequency: 440, sampleRate: format === 'g722' ? 16000 : 8000, durationMs: 400, amplitude: 8000 });
    const frameSamples = format === 'g722' ? 320 : 160;
    const encoder = new G722Encoder();
    const payloads: Buffer[] = [];
    for (let i = 0; i + frameSamples <= tone.length; i += frameSamples) {
      const frame = tone.subarray(i, i + frameSamples);
      payloads.push(format === 'g722' ? encoder.encode(frame) : Buffer.from(encodeUlaw(frame)));
    }
    await peer.sendPaced(local, pt, payloads);
    const deadline = Date.now() + 5000;
    let heard = 0;
    while (Date.now() < deadline && heard < 300) {
      heard = (h.sim.calls.get(id)!.toJSON().agent_speech_ms as number) ?? 0;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(heard).toBeGreaterThanOrEqual(300);
  });
});
