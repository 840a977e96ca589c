/**
 * Payloads captured from a real Asterisk 22 ExternalMedia channel
 * (../shared/fixtures/asterisk-22/em-codecs, see its README): decode them and check what the
 * capture's analysis.json measured.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EM_CODECS, readFixtureBytes, readFixtureJson, readMonoWav } from '../test/fixtures';
import { decodeAlaw, decodeUlaw } from './g711';
import { G722Decoder, G722Encoder } from './g722';
import { rms, toneEnergyFraction } from './signal';

interface Analysis {
  recv_rms: number;
  sent_rms: number;
  recv_energy_frac_1kHz: number;
  recv_energy_frac_6kHz?: number;
  payload_identical_to_sent: boolean;
}

function analysis(run: string): Analysis {
  return readFixtureJson<Analysis>(join(EM_CODECS, run, 'analysis.json'));
}

describe('G.722 against the Asterisk 22 captures', () => {
  const tone = readMonoWav(join(EM_CODECS, 'tone16k.wav'));

  it('encodes tone16k.wav byte for byte into send.g722 (the sent stream)', () => {
    expect(tone.sampleRate).toBe(16000);
    const encoded = new G722Encoder();
    const frames: Buffer[] = [];
    for (let i = 0; i < tone.pcm.length; i += 320) frames.push(encoded.encode(tone.pcm.subarray(i, i + 320)));
    expect(Buffer.concat(frames).equals(readFixtureBytes(join(EM_CODECS, 'send.g722')))).toBe(true);
  });

  it('decodes what Asterisk relayed back from a G.722 far end: 1 kHz + 6 kHz, wideband kept', () => {
    const facts = analysis('g722-uas_answer_g722');
    const recv = readFixtureBytes(join(EM_CODECS, 'g722-uas_answer_g722', 'recv.g722'));
    expect(recv).toHaveLength(150 * 160);
    const pcm = new G722Decoder().decode(recv);
    expect(pcm).toHaveLength(150 * 320);
    // Ignore the first 20 ms while the decoder adapts.
    const from = 320;
    expect(rms(pcm, from)).toBeGreaterThan(facts.recv_rms * 0.95);
    expect(rms(pcm, from)).toBeLessThan(facts.recv_rms * 1.05);
    // analysis.json measures each tone as a share of the total rms (~0.707 each for two equal tones).
    expect(Math.sqrt(toneEnergyFraction(pcm, 1000, 16000, from))).toBeCloseTo(facts.recv_energy_frac_1kHz, 1);
    expect(Math.sqrt(toneEnergyFraction(pcm, 6000, 16000, from))).toBeCloseTo(facts.recv_energy_frac_6kHz!, 1);
  });

  it('decodes what Asterisk sent after transcoding through a PCMU far end: the 6 kHz tone is gone', () => {
    const facts = analysis('g722-uas_answer');
    const pcm = new G722Decoder().decode(readFixtureBytes(join(EM_CODECS, 'g722-uas_answer', 'recv.g722')));
    const from = 320;
    expect(rms(pcm, from)).toBeGreaterThan(facts.recv_rms * 0.95);
    expect(rms(pcm, from)).toBeLessThan(facts.recv_rms * 1.05);
    expect(toneEnergyFraction(pcm, 1000, 16000, from)).toBeGreaterThan(0.95);
    expect(toneEnergyFraction(pcm, 6000, 16000, from)).toBeLessThan(0.001);
  });

  it('decodes the softmix capture (third channel), where our audio comes back mixed with silence', () => {
    const facts = analysis('g722-uas_answer_g722-softmix');
    const recv = readFixtureBytes(join(EM_CODECS, 'g722-uas_answer_g722-softmix', 'recv.g722'));
    const pcm = new G722Decoder().decode(recv);
    // Asterisk sends silence before and after our 3 s: measure the 20 ms frames that carry audio (rms > 300).
    const loud: number[] = [];
    for (let f = 0; f < pcm.length / 320; f++) if (rms(pcm, f * 320, f * 320 + 320) > 300) loud.push(f);
    expect(loud.length).toBeGreaterThanOrEqual(149);
    expect(loud.length).toBeLessThanOrEqual(151);
    // Softmix re-times frames, so the tone's phase jumps between them: measure frame by frame.
    const share = (frequency: number) => {
      let sum = 0;
      for (const f of loud.slice(1)) sum += Math.sqrt(toneEnergyFraction(pcm, frequency, 16000, f * 320, f * 320 + 320));
      return sum / (loud.length - 1);
    };
    expect(share(1000)).toBeCloseTo(facts.recv_energy_frac_1kHz, 1);
    expect(share(6000)).toBeCloseTo(facts.recv_energy_frac_6kHz!, 1);
  });
});

describe('G.711 against the Asterisk 22 captures', () => {
  it.each([
    ['ulaw-uas_answer', 'recv.ulaw', decodeUlaw],
    ['alaw-uas_answer_pcma', 'recv.alaw', decodeAlaw],
    ['alaw-uas_answer', 'recv.alaw', decodeAlaw],
  ] as const)('%s: decodes a pure 1 kHz tone at the measured level', (run, file, decode) => {
    const facts = analysis(run);
    const pcm = decode(readFixtureBytes(join(EM_CODECS, run, file)));
    expect(rms(pcm)).toBeCloseTo(facts.recv_rms, 0);
    expect(toneEnergyFraction(pcm, 1000, 8000)).toBeGreaterThan(0.99);
  });
});
