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

/** The default far-end voice: `SIM_VOICE`, else flite's rms voice (recognisers follow it far better than espeak-ng). */
export const DEFAULT_VOICE = process.env.SIM_VOICE ?? 'flite:rms';

/** Turns scenario lines into 16 kHz PCM: flite or espeak-ng for text (cached by voice and text), or a WAV file. */
export class SpeechSource {
  // Shared by every simulator in the process: tests start many and say the same lines.
  private static readonly cache = new Map<string, Promise<Int16Array>>();

  constructor(private readonly options: { espeakPath?: string; flitePath?: string; voice?: string; wordsPerMinute?: number } = {}) {}

  /** `voice` is `engine:name` (`flite:rms`, `espeak:en-us`); the scenario's, else the simulator's default. */
  pcm(line: NormalizedLine, voice: string = this.options.voice ?? DEFAULT_VOICE): Promise<Int16Array> {
    if (line.wav) return this.cached(`wav:${line.wav}`, () => loadWav(line.wav!));
    const text = line.text ?? '';
    const wpm = this.options.wordsPerMinute ?? 160;
    return this.cached(`${voice}:${wpm}:${text}`, () => this.synthesize(text, voice, wpm));
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
    const [engine, name] = voice.split(':') as [string, string];
    const dir = await mkdtemp(join(tmpdir(), 'parley-sim-tts-'));
    try {
      const out = join(dir, 'out.wav');
      if (engine === 'flite') await run(this.options.flitePath ?? 'flite', ['-voice', name, '-t', text, '-o', out], { timeout: 20_000 });
      else await run(this.options.espeakPath ?? 'espeak-ng', ['-v', name, '-s', String(wpm), '-w', out, text], { timeout: 20_000 });
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

/** Synthesizers pad their output with silence; a person starts talking right away. */
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
