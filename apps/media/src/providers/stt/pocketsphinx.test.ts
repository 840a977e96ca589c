import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, resample, toMono, wordErrorRate } from '@parley/audio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SttCall } from '../types';
import { ProviderError } from '../types';
import { PocketsphinxStt, pocketsphinxArgs } from './pocketsphinx';

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
async function streamed(pcm: Int16Array, call?: SttCall): Promise<string> {
  const stream = stt.stream({ language: 'en', call });
  expect(stream).toBeDefined();
  for (let i = 0; i < pcm.length; i += 512) stream!.write(pcm.subarray(i, i + 512));
  return (await stream!.finish()).text;
}

/** A call's first utterance, streamed too (from its own first second's mean). */
const first = streamed;

/** A very different line: the utterance cut to 8 kHz telephone band, 4 times louder (clipped), over a 50 Hz hum. */
function loudNarrowband(pcm: Int16Array): Int16Array {
  const narrow = resample(resample(pcm, 16000, 8000), 8000, 16000);
  return narrow.map((v, i) => Math.max(-32768, Math.min(32767, v * 4 + 6000 * Math.sin((2 * Math.PI * 50 * i) / 16000))));
}

/** Five seconds of loud mains hum: moves the cepstral mean far from speech's. */
function loudHum(): Int16Array {
  return new Int16Array(16000 * 5).map((_, i) => Math.round(20000 * Math.sin((2 * Math.PI * 60 * i) / 16000) + 4000 * Math.sin((2 * Math.PI * 180 * i) / 16000)));
}

describe('pocketsphinx', () => {
  it("starts each call's first utterance from its own audio, whatever the decoder heard before (whole or streamed)", async () => {
    const fresh = await Promise.all([0, 1, 2].map(async (i) => (await stt.transcribe(audio[i]!, { language: 'en', call: new SttCall() })).text));
    const freshStreamed: string[] = [];
    for (const pcm of audio) freshStreamed.push(await first(pcm, new SttCall()));
    // Another call on the same (only) decoder: loud hum and loud narrowband audio, several utterances, streamed and whole.
    const other = new SttCall();
    await first(loudHum(), other);
    for (const pcm of audio) {
      await stt.transcribe(loudNarrowband(pcm), { language: 'en', call: other });
      await streamed(loudNarrowband(pcm), other);
    }
    for (const [i, pcm] of audio.entries()) {
      expect((await stt.transcribe(pcm, { language: 'en', call: new SttCall() })).text).toBe(fresh[i]);
      await streamed(loudHum(), other);
      expect(await first(pcm, new SttCall())).toBe(freshStreamed[i]);
    }
  });

  it("recognizes a call's first utterance streamed as it does whole, short ones (held until the end) included", async () => {
    for (const [i, pcm] of audio.entries()) {
      const whole = (await stt.transcribe(pcm, { language: 'en', call: new SttCall() })).text;
      const wer = wordErrorRate(LINES[i]!, await first(pcm, new SttCall()));
      expect(wer).toBeLessThan(0.15);
      expect(wer).toBeLessThanOrEqual(wordErrorRate(LINES[i]!, whole));
    }
    // Shorter than the audio the mean is taken from: begun from all of it at the end.
    const short = audio[0]!.subarray(0, 12000);
    const call = new SttCall();
    expect(await first(short, call)).toMatch(/^i would/);
    // Its mean carries on to the call's next utterance.
    expect(wordErrorRate(LINES[1]!, await streamed(audio[1]!, call))).toBeLessThan(0.15);
  });

  it('carries what a call heard into its next utterance: after seconds of loud hum, the same words are heard differently', async () => {
    // Guards the tests around it: the state kept per call does matter, so sharing it could not go unnoticed.
    const fresh = (await stt.transcribe(audio[1]!, { language: 'en', call: new SttCall() })).text;
    const hummed = new SttCall();
    await first(loudHum(), hummed);
    expect(await streamed(audio[1]!, hummed)).not.toBe(fresh);
  });

  it("continues a call from its own cepstral mean, as if no other call had used the decoder in between", async () => {
    const alone = new SttCall();
    const expected: string[] = [];
    for (const [i, pcm] of audio.entries()) expected.push(i === 0 ? await first(pcm, alone) : await streamed(pcm, alone));
    expected.push((await stt.transcribe(audio[0]!, { language: 'en', call: alone })).text);

    const call = new SttCall();
    const other = new SttCall();
    await first(loudHum(), other);
    const got: string[] = [];
    for (const [i, pcm] of audio.entries()) {
      await streamed(loudHum(), other);
      got.push(i === 0 ? await first(pcm, call) : await streamed(pcm, call));
      await stt.transcribe(loudNarrowband(pcm), { language: 'en', call: other });
    }
    got.push((await stt.transcribe(audio[0]!, { language: 'en', call })).text);
    expect(got).toEqual(expected);
  });

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

describe('the decoder pool', () => {
  it('grows by one decoder, loaded in the background, when its last idle one is taken, up to its maximum', async () => {
    const pool = new PocketsphinxStt({ modelDir: MODEL_DIR, decoders: 1, maxDecoders: 2, streaming: true });
    try {
      const a = pool.stream({ language: 'en' })!;
      expect(a).toBeDefined();
      // The last idle decoder went: a second one is on its way; a caller who speaks before it is there is recognized whole.
      expect(pool.size).toEqual({ decoders: 1, loading: 1 });
      expect(pool.stream({ language: 'en' })).toBeUndefined();
      expect(pool.size).toEqual({ decoders: 1, loading: 1 });
      while (pool.size.loading > 0) await new Promise((r) => setTimeout(r, 20));
      expect(pool.size).toEqual({ decoders: 2, loading: 0 });
      // The new decoder streams like the first.
      const b = pool.stream({ language: 'en' })!;
      expect(b).toBeDefined();
      for (let i = 0; i < audio[2]!.length; i += 512) b.write(audio[2]!.subarray(i, i + 512));
      expect((await b.finish()).text).toMatch(/doctor/);
      // At its maximum it grows no more.
      const c = pool.stream({ language: 'en' })!;
      expect(pool.stream({ language: 'en' })).toBeUndefined();
      expect(pool.size).toEqual({ decoders: 2, loading: 0 });
      a.cancel();
      c.cancel();
    } finally {
      pool.close();
    }
  });
});

describe('the decoder pool and the calls in progress', () => {
  it('loads a decoder for each call in progress, one after another, up to its maximum, and keeps them when calls end', async () => {
    const pool = new PocketsphinxStt({ modelDir: MODEL_DIR, decoders: 1, maxDecoders: 3, streaming: true });
    const settled = async () => {
      while (pool.size.loading > 0) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      const first = pool.expectCall();
      await settled();
      // One call: the decoder loaded at start is its.
      expect(pool.size).toEqual({ decoders: 1, loading: 0 });
      const calls = [pool.expectCall(), pool.expectCall(), pool.expectCall()];
      // One load at a time, in the background.
      expect(pool.size).toEqual({ decoders: 1, loading: 1 });
      await settled();
      // Four calls, but no more than the maximum.
      expect(pool.size).toEqual({ decoders: 3, loading: 0 });
      first();
      first();
      for (const over of calls) over();
      await settled();
      expect(pool.size).toEqual({ decoders: 3, loading: 0 });
      // Every one of them streams: three callers at once, none recognized whole.
      const streams = [0, 1, 2].map(() => pool.stream({ language: 'en' }));
      expect(streams.every((s) => s !== undefined)).toBe(true);
      for (const s of streams) s!.cancel();
    } finally {
      pool.close();
    }
  });
});

describe('POCKETSPHINX_ARGS', () => {
  it('reads pairs of "-option value" and refuses anything else', () => {
    expect(pocketsphinxArgs('-ds 2  -maxhmmpf 3000')).toEqual({ '-ds': '2', '-maxhmmpf': '3000' });
    expect(pocketsphinxArgs('')).toEqual({});
    for (const bad of ['-ds', 'ds 2', '-ds 2 -beam', '--ds 2']) expect(() => pocketsphinxArgs(bad)).toThrow(ProviderError);
  });

  it('refuses an option pocketsphinx does not know, naming it, before any call', () => {
    expect(() => new PocketsphinxStt({ modelDir: MODEL_DIR, decoders: 1, args: { '-no_such_option': '1' } })).toThrow(/POCKETSPHINX_ARGS .*-no_such_option/);
  });
});

