import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateTone, parseWav, resample, toMono } from '@parley/audio';
import { concatPcm } from '../media/pcm';
import type { NormalizedLine } from './scenario';

const run = promisify(execFile);

export const SAMPLE_RATE = 16000;

/** Turns scenario lines into 16 kHz PCM: espeak-ng for text (cached by text), or a WAV file. */
export class SpeechSource {
  // Shared by every simulator in the process: tests start many and say the same lines.
  private static readonly cache = new Map<string, Promise<Int16Array>>();

  constructor(private readonly options: { espeakPath?: string; voice?: string; wordsPerMinute?: number } = {}) {}

  pcm(line: NormalizedLine): Promise<Int16Array> {
    if (line.wav) return this.cached(`wav:${line.wav}`, () => loadWav(line.wav!));
    const text = line.text ?? '';
    const voice = this.options.voice ?? 'en-us';
    const wpm = this.options.wordsPerMinute ?? 160;
    return this.cached(`espeak:${voice}:${wpm}:${text}`, () => this.synthesize(text, voice, wpm));
  }

  private cached(key: string, make: () => Promise<Int16Array>): Promise<Int16Array> {
    let entry = SpeechSource.cache.get(key);
    if (!entry) {
      entry = make();
      entry.catch(() => SpeechSource.cache.delete(key));
      SpeechSource.cache.set(key, entry);
    }
    return entry;
  }

  private async synthesize(text: string, voice: string, wpm: number): Promise<Int16Array> {
    const dir = await mkdtemp(join(tmpdir(), 'parley-sim-tts-'));
    try {
      const out = join(dir, 'out.wav');
      await run(this.options.espeakPath ?? 'espeak-ng', ['-v', voice, '-s', String(wpm), '-w', out, text], { timeout: 20_000 });
      const wav = parseWav(await readFile(out));
      return trimSilence(resample(toMono(wav), wav.sampleRate, SAMPLE_RATE));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

async function loadWav(path: string): Promise<Int16Array> {
  const wav = parseWav(await readFile(path));
  return resample(toMono(wav), wav.sampleRate, SAMPLE_RATE);
}

/** espeak-ng pads its output with silence; a person starts talking right away. */
function trimSilence(pcm: Int16Array, threshold = 200): Int16Array {
  let start = 0;
  while (start < pcm.length && Math.abs(pcm[start]!) < threshold) start++;
  let end = pcm.length;
  while (end > start && Math.abs(pcm[end - 1]!) < threshold) end--;
  return pcm.subarray(Math.max(0, start - 160), Math.min(pcm.length, end + 1600)).slice();
}

/** A voicemail beep: 1 kHz for 500 ms. */
export function beep(): Int16Array {
  return generateTone({ frequency: 1000, sampleRate: SAMPLE_RATE, durationMs: 500, amplitude: 12000 });
}

export function silence(ms: number): Int16Array {
  return new Int16Array(Math.round((ms * SAMPLE_RATE) / 1000));
}

export { concatPcm };
