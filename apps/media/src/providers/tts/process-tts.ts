import { spawn } from 'node:child_process';
import { ProviderError } from '../types';
import { wavStreamTo16k } from './wav-stream';

/**
 * Runs a synthesizer that writes a WAV to stdout and yields its audio as 16 kHz PCM while it is
 * being produced. Aborting kills the process.
 */
export async function* runWavProcess(provider: string, command: string, args: string[], signal: AbortSignal): AsyncIterable<Int16Array> {
  signal.throwIfAborted();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => child.kill('SIGKILL');
  signal.addEventListener('abort', kill, { once: true });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (err) => reject(new ProviderError(provider, `could not run ${command}: ${err.message}`, { cause: err })));
    child.once('close', (code) => resolve(code));
  });
  exited.catch(() => undefined);
  try {
    yield* wavStreamTo16k(child.stdout);
    const code = await exited;
    if (signal.aborted) return;
    if (code !== 0) throw new ProviderError(provider, `${command} exited with ${code}: ${stderr.trim()}`);
  } finally {
    signal.removeEventListener('abort', kill);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
