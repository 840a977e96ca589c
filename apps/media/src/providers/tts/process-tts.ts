import { ProviderError } from '../types';
import type { HostedProcess, ProcessExit, SpawnHost } from './spawn-host';
import { wavStreamTo16k } from './wav-stream';

/** A synthesizer process of one request, and how to let go of it. */
export interface Synthesizer {
  readonly child: HostedProcess;
  /** How it ended; a ProviderError when it could not be started. */
  readonly exited: Promise<ProcessExit>;
  /** Stops listening for the abort and kills what is still running. */
  release(): void;
}

/** Starts a synthesizer through the spawn host (never by forking the media process); aborting kills it. */
export function startSynthesizer(provider: string, host: SpawnHost, command: string, args: string[], signal: AbortSignal): Synthesizer {
  signal.throwIfAborted();
  const child = host.run(command, args);
  const kill = () => child.kill();
  signal.addEventListener('abort', kill, { once: true });
  const exited = child.exited.catch((err: Error) => {
    throw new ProviderError(provider, `could not run ${command}: ${err.message}`, { cause: err });
  });
  exited.catch(() => undefined);
  return {
    child,
    exited,
    release: () => {
      signal.removeEventListener('abort', kill);
      child.kill();
    },
  };
}

/** Runs a synthesizer that writes a WAV to stdout and yields its audio as 16 kHz PCM while it is being produced. */
export async function* runWavProcess(provider: string, host: SpawnHost, command: string, args: string[], signal: AbortSignal): AsyncIterable<Int16Array> {
  const synthesizer = startSynthesizer(provider, host, command, args, signal);
  try {
    yield* wavStreamTo16k(synthesizer.child.stdout);
    const { code, stderr } = await synthesizer.exited;
    if (signal.aborted) return;
    if (code !== 0) throw new ProviderError(provider, `${command} exited with ${code}: ${stderr.trim()}`);
  } finally {
    synthesizer.release();
  }
}
