import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, resample, toMono } from '@parley/audio';
import { ProviderError, type Tts, type TtsOptions } from '../types';

const FLITE_VOICES = ['rms', 'slt', 'awb', 'kal16', 'kal', 'awb_time'];

/**
 * flite from apt: offline, English only; `rms`, `slt` and `awb` are 16 kHz voices (`kal` is 8 kHz).
 * flite cannot write to a pipe (it opens its output path itself), and it synthesizes the whole
 * sentence before writing anyway, so it goes through a temporary file.
 */
export class FliteTts implements Tts {
  readonly name = 'flite';

  constructor(private readonly options: { binary?: string; defaultVoice?: string } = {}) {}

  async *synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    options.signal.throwIfAborted();
    const voice = options.voice && FLITE_VOICES.includes(options.voice) ? options.voice : (this.options.defaultVoice ?? 'rms');
    const dir = await mkdtemp(join(tmpdir(), 'parley-flite-'));
    try {
      const out = join(dir, 'out.wav');
      await new Promise<void>((resolve, reject) => {
        execFile(this.options.binary ?? 'flite', ['-voice', voice, '-t', text, '-o', out], { signal: options.signal, timeout: 20_000 }, (err, _stdout, stderr) => {
          if (err) reject(options.signal.aborted ? err : new ProviderError('flite', `${err.message} ${stderr}`.trim(), { cause: err }));
          else resolve();
        });
      });
      let wav;
      try {
        wav = parseWav(await readFile(out));
      } catch (err) {
        throw new ProviderError('flite', `no audio produced for voice ${voice}`, { cause: err });
      }
      yield resample(toMono(wav), wav.sampleRate, 16000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
