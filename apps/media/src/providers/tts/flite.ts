import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, resample, toMono } from '@parley/audio';
import { ProviderError, type Tts, type TtsOptions } from '../types';
import { startSynthesizer } from './process-tts';
import { type SpawnHost, sharedSpawnHost } from './spawn-host';

const TIMEOUT_MS = 20_000;
const FLITE_VOICES = ['rms', 'slt', 'awb', 'kal16', 'kal', 'awb_time'];

/**
 * flite from apt: offline, English only; `rms`, `slt` and `awb` are 16 kHz voices (`kal` is 8 kHz).
 * flite cannot write to a pipe (it opens its output path itself), and it synthesizes the whole
 * sentence before writing anyway, so it goes through a temporary file.
 */
export class FliteTts implements Tts {
  readonly name = 'flite';

  constructor(private readonly options: { binary?: string; defaultVoice?: string; spawnHost?: SpawnHost } = {}) {}

  async *synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    options.signal.throwIfAborted();
    const voice = options.voice && FLITE_VOICES.includes(options.voice) ? options.voice : (this.options.defaultVoice ?? 'rms');
    const dir = await mkdtemp(join(tmpdir(), 'parley-flite-'));
    try {
      const out = join(dir, 'out.wav');
      await this.run(['-voice', voice, '-t', text, '-o', out], options.signal);
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

  /** Runs flite to its end (killed when aborted or after TIMEOUT_MS). */
  private async run(args: string[], signal: AbortSignal): Promise<void> {
    const binary = this.options.binary ?? 'flite';
    const flite = startSynthesizer('flite', this.options.spawnHost ?? sharedSpawnHost(), binary, args, signal);
    flite.child.stdout.resume();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      flite.child.kill();
    }, TIMEOUT_MS);
    try {
      const exit = await flite.exited;
      signal.throwIfAborted();
      if (timedOut) throw new ProviderError('flite', `${binary} took longer than ${TIMEOUT_MS} ms`);
      if (exit.code !== 0) throw new ProviderError('flite', `${binary} exited with ${exit.code ?? exit.signal}: ${exit.stderr.trim()}`);
    } finally {
      clearTimeout(timer);
      flite.release();
    }
  }
}
