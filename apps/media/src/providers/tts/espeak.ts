import type { Tts, TtsOptions } from '../types';
import { runWavProcess } from './process-tts';
import { type SpawnHost, sharedSpawnHost } from './spawn-host';

/**
 * espeak-ng from apt: offline, every language it has a voice for. The agent's `voice` is an
 * espeak-ng voice name (`en-us`, `es`, `de`, `en-us+f3`...); without one, the language picks it.
 */
export class EspeakTts implements Tts {
  readonly name = 'espeak';

  constructor(private readonly options: { binary?: string; defaultVoice?: string; wordsPerMinute?: number; spawnHost?: SpawnHost } = {}) {}

  voiceFor(options: Pick<TtsOptions, 'voice' | 'language'>): string {
    if (options.voice && /^[A-Za-z0-9_+-]+$/.test(options.voice)) return options.voice;
    if (this.options.defaultVoice) return this.options.defaultVoice;
    return espeakVoiceForLanguage(options.language);
  }

  synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    const args = ['--stdout', '-v', this.voiceFor(options), '-s', String(this.options.wordsPerMinute ?? 165), '--', text];
    return runWavProcess('espeak-ng', this.options.spawnHost ?? sharedSpawnHost(), this.options.binary ?? 'espeak-ng', args, options.signal);
  }
}

/** BCP 47 tag -> espeak-ng voice: `en`/`en-US` -> `en-us`, `en-GB` -> `en-gb`, `pt-BR` -> `pt-br`, otherwise the language. */
export function espeakVoiceForLanguage(language: string): string {
  const tag = language.toLowerCase();
  if (tag === 'en' || tag === 'en-us') return 'en-us';
  if (tag === 'en-gb' || tag === 'en-uk') return 'en-gb';
  if (tag === 'pt-br') return 'pt-br';
  return tag.split('-')[0] || 'en-us';
}
