import type { Tts, TtsOptions } from '../types';
import { runWavProcess } from './process-tts';

const FLITE_VOICES = ['rms', 'slt', 'awb', 'kal16', 'kal', 'awb_time'];

/** flite from apt: offline, English only; `rms`, `slt` and `awb` are 16 kHz voices (`kal` is 8 kHz). */
export class FliteTts implements Tts {
  readonly name = 'flite';

  constructor(private readonly options: { binary?: string; defaultVoice?: string } = {}) {}

  synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    const voice = options.voice && FLITE_VOICES.includes(options.voice) ? options.voice : (this.options.defaultVoice ?? 'rms');
    return runWavProcess('flite', this.options.binary ?? 'flite', ['-voice', voice, '-t', text, '-o', '/dev/stdout'], options.signal);
  }
}
