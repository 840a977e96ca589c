import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, resample, toMono } from '@parley/audio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PocketsphinxStt } from './pocketsphinx';

const MODEL_DIR = process.env.POCKETSPHINX_MODEL_DIR ?? '/usr/share/pocketsphinx/model/en-us';
const LINES = ['I would like to book an appointment for next Tuesday afternoon.', 'Please send the invoice to my office on Fifth Street.', 'My daughter has a fever and needs to see a doctor.'];

let stt: PocketsphinxStt;
let dir: string;
let audio: Int16Array[];

beforeAll(() => {
  stt = new PocketsphinxStt({ modelDir: MODEL_DIR, decoders: 1, streaming: true });
  dir = mkdtempSync(join(tmpdir(), 'parley-ps-'));
  audio = LINES.map((line, i) => {
    const file = join(dir, `${i}.wav`);
    execFileSync('flite', ['-voice', 'rms', '-t', line, '-o', file]);
    const wav = parseWav(readFileSync(file));
    return resample(toMono(wav), wav.sampleRate, 16000);
  });
});

afterAll(() => {
  stt?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Feeds the utterance as the conversation does: one 512-sample VAD window at a time. */
async function streamed(pcm: Int16Array): Promise<string> {
  const stream = stt.stream();
  expect(stream).toBeDefined();
  for (let i = 0; i < pcm.length; i += 512) stream!.write(pcm.subarray(i, i + 512));
  return (await stream!.finish()).text;
}

describe('pocketsphinx', () => {
  it('gives the same transcript streamed while spoken as in one piece at the end', async () => {
    for (const pcm of audio) {
      const whole = (await stt.transcribe(pcm, { language: 'en' })).text;
      expect(whole.length).toBeGreaterThan(10);
      expect(await streamed(pcm)).toBe(whole);
    }
  });

  it('lends a streaming decoder only when one is idle, and gets it back when the stream ends or is dropped', async () => {
    const first = stt.stream()!;
    // The only decoder is taken: no second stream, and a whole utterance waits for it.
    expect(stt.stream()).toBeUndefined();
    let wholeDone = false;
    const whole = stt.transcribe(audio[0]!, { language: 'en' }).then((r) => {
      wholeDone = true;
      return r;
    });
    first.write(audio[1]!);
    await new Promise((r) => setTimeout(r, 50));
    expect(wholeDone).toBe(false);
    first.cancel();
    expect((await whole).text).toMatch(/appointment/);
    // Dropped streams leave the decoder outside any utterance: the next one works.
    expect(await streamed(audio[2]!)).toMatch(/doctor/);
  });
});
