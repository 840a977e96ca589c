import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseWav, resample, toMono } from '@parley/audio';

const run = promisify(execFile);

/** 16 kHz speech of `text` (flite's rms voice, as the simulator's far ends speak): what the tests' callers say. */
export async function speech(text: string): Promise<Int16Array> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-speech-'));
  try {
    await run('flite', ['-voice', 'rms', '-t', text, '-o', join(dir, 'out.wav')]);
    const wav = parseWav(await readFile(join(dir, 'out.wav')));
    return resample(toMono(wav), wav.sampleRate, 16000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
