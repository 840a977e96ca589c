import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseWav, toMono } from '../src/wav';

/** Real Asterisk 22 captures (copied into the repo beside the simulator's, so the tests need nothing outside it). */
export const ASTERISK_FIXTURES = resolve(__dirname, '../../asterisk-sim/fixtures/asterisk-22');
export const EM_CODECS = join(ASTERISK_FIXTURES, 'em-codecs');

export function readFixtureBytes(path: string): Buffer {
  return readFileSync(path);
}

export function readFixtureJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Reads a mono (or downmixed) WAV from the shared fixtures or this package's test/fixtures. */
export function readMonoWav(path: string): { sampleRate: number; pcm: Int16Array } {
  const audio = parseWav(readFileSync(path));
  return { sampleRate: audio.sampleRate, pcm: toMono(audio) };
}

/** espeak-ng speech (what the local TTS produces), at its native 22050 Hz and resampled by sox to 16 kHz. */
export const SPEECH_22050 = join(__dirname, 'fixtures/speech-espeak-22050.wav');
export const SPEECH_16K = join(__dirname, 'fixtures/speech-16k.wav');
