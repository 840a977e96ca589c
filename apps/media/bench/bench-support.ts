import { parseWav, resample, toMono } from '@parley/audio';
import type { ConversationSetup } from '../conversation/conversation';

/** `--name value` from the command line, else the default. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

/** A synthesizer's WAV as 16 kHz mono without its leading and trailing silence (a caller's last word is the end of speech). */
export function trimmedSpeech(wavFile: Buffer): Int16Array {
  const wav = parseWav(wavFile);
  const pcm = resample(toMono(wav), wav.sampleRate, 16000);
  let start = 0;
  let end = pcm.length;
  while (start < end && Math.abs(pcm[start]!) < 200) start++;
  while (end > start && Math.abs(pcm[end - 1]!) < 200) end--;
  return pcm.slice(start, end);
}

/** 16 kHz to 8 kHz by averaging pairs (the far ends' narrowband legs; quality does not matter there). */
export function downsample(pcm: Int16Array): Int16Array {
  const out = new Int16Array(Math.floor(pcm.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = (pcm[2 * i]! + pcm[2 * i + 1]!) >> 1;
  return out;
}

/** A benchmark call's conversation: no greeting, no tools, no voicemail detection, an hour at most. */
export function benchSetup(callId: string): ConversationSetup {
  return { callId, prompt: 'bench', context: {}, language: 'en', voice: null, greeting: null, voicemailAction: 'continue', voicemailMessage: null, tools: [], llm: {}, maxDurationMs: 3_600_000, detectVoicemail: false };
}
