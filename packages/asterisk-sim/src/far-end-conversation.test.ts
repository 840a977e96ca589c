import { G722Decoder, G722Encoder, alignedSnrDb, generateTone, parseWav, toneEnergyFraction } from '@parley/audio';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SpeechSource } from './far-end/speech';
import { startHarness, type SimHarness } from './testing/harness';
import { RtpPeer, type ReceivedPacket } from './testing/rtp-peer';

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

/** Waits until packets have started and then paused for `gapMs` (the far end finished a line). */
async function nextUtterance(fromIndex: number, gapMs = 300): Promise<ReceivedPacket[]> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const got = peer.packets.slice(fromIndex);
    if (got.length > 0 && performance.now() - got[got.length - 1]!.at > gapMs) return got;
    if (performance.now() > deadline) throw new Error('the far end did not finish speaking');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function decode(packets: ReceivedPacket[]): Int16Array {
  const decoder = new G722Decoder();
  const out = new Int16Array(packets.length * 320);
  packets.forEach((p, i) => out.set(decoder.decode(p.payload), i * 320));
  return out;
}

it('speaks its lines as real audio, one per turn, after the agent speaks and falls silent', async () => {
  const lines = ['Yes, this is Maria.', 'Yes, two pm works.'];
  await h.scenario('+15551234567', { outcome: 'answer', answer_after_ms: 50, speak_first: true, lines, codec: 'g722' });
  const id = 'call-talk';
  await h.ari.channels.originate({ endpoint: 'PJSIP/+15551234567@trunk', app: 'dialer', channelId: id });
  await h.until('StasisStart', (e) => e.channel.id === id);
  const bridge = await h.ari.bridges.create({ type: 'mixing' });
  const em = await h.externalMedia({ app: 'dialer', external_host: peer.hostPort, format: 'g722' });
  await h.ari.bridges.addChannel(bridge.id, [id, em.id]);
  const local = { address: em.channelvars!.UNICASTRTP_LOCAL_ADDRESS!, port: Number(em.channelvars!.UNICASTRTP_LOCAL_PORT) };

  const speech = new SpeechSource();
  const first = await nextUtterance(0);
  const reference1 = await speech.pcm({ text: lines[0], afterMs: 0, bargeIn: false });
  // What arrives is the synthesized line through G.722, not noise or a tone.
  expect(alignedSnrDb(reference1, decode(first), 200).snrDb).toBeGreaterThan(10);
  expect(Math.abs(first.length * 320 - reference1.length)).toBeLessThanOrEqual(320);

  // The agent answers: 800 ms of "speech", then silence. The far end replies with its next line.
  const encoder = new G722Encoder();
  const agent = generateTone({ frequency: 440, sampleRate: 16000, durationMs: 800, amplitude: 8000 });
  const payloads = Array.from({ length: 40 }, (_, i) => encoder.encode(agent.subarray(i * 320, (i + 1) * 320)));
  const mark = peer.packets.length;
  await peer.sendPaced(local, 9, payloads);
  const second = await nextUtterance(mark);
  const reference2 = await speech.pcm({ text: lines[1], afterMs: 0, bargeIn: false });
  expect(alignedSnrDb(reference2, decode(second), 200).snrDb).toBeGreaterThan(10);

  const call = h.sim.calls.get(id)!.toJSON();
  expect(call.spoken).toEqual(lines);
  expect(call.agent_speech_ms).toBeGreaterThanOrEqual(700);

  // heard.wav holds the agent's audio as the far end heard it.
  const res = await fetch(`${h.sim.url}/sim/calls/${id}/heard.wav`);
  expect(res.headers.get('content-type')).toBe('audio/wav');
  const wav = parseWav(Buffer.from(await res.arrayBuffer()));
  expect(wav.sampleRate).toBe(16000);
  const voiced = wav.samples.findIndex((s) => Math.abs(s) > 2000);
  expect(voiced).toBeGreaterThanOrEqual(0);
  expect(toneEnergyFraction(wav.samples, 440, 16000, voiced, voiced + 8000)).toBeGreaterThan(0.8);
});
