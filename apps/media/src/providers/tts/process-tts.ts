import { ProviderError } from '../types';
import type { SpawnHost } from './spawn-host';
import { wavStreamTo16k } from './wav-stream';

/**
 * Runs a synthesizer that writes a WAV to stdout (started by the spawn host, never by forking the
 * media process) and yields its audio as 16 kHz PCM while it is being produced. Aborting kills it.
 */
export async function* runWavProcess(provider: string, host: SpawnHost, command: string, args: string[], signal: AbortSignal): AsyncIterable<Int16Array> {
  signal.throwIfAborted();
  const child = host.run(command, args);
  const kill = () => child.kill();
  signal.addEventListener('abort', kill, { once: true });
  const exited = child.exited.catch((err: Error) => {
    throw new ProviderError(provider, `could not run ${command}: ${err.message}`, { cause: err });
  });
  exited.catch(() => undefined);
  try {
    yield* wavStreamTo16k(child.stdout);
    const { code, stderr } = await exited;
    if (signal.aborted) return;
    if (code !== 0) throw new ProviderError(provider, `${command} exited with ${code}: ${stderr.trim()}`);
  } finally {
    signal.removeEventListener('abort', kill);
    child.kill();
  }
}
