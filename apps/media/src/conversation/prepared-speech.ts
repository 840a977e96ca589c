import type { Tts, TtsOptions } from '../providers/types';

/** One phrase being (or done being) synthesized ahead of its turn. */
interface Prepared {
  chunks: Int16Array[];
  done: boolean;
  failed: boolean;
  /** Wakes a reader waiting for the next chunk. */
  wake: () => void;
}

/**
 * A TTS that can start phrases known in advance (the greeting) before they are said: `prepare` synthesizes at once
 * and keeps the audio; `synthesize` of a prepared phrase (same text, voice and language) plays what is ready and
 * follows the rest as it comes, once; anything else goes to the engine as usual. A failed preparation is synthesized
 * again when said. `close` stops what is still being prepared.
 */
export class PreparedSpeech implements Tts {
  readonly name: string;
  private readonly prepared = new Map<string, Prepared>();
  private readonly controller = new AbortController();

  constructor(private readonly tts: Tts) {
    this.name = tts.name;
  }

  prepare(text: string, options: Omit<TtsOptions, 'signal'>): void {
    const key = keyOf(text, options);
    if (this.prepared.has(key) || this.controller.signal.aborted) return;
    const p: Prepared = { chunks: [], done: false, failed: false, wake: () => undefined };
    this.prepared.set(key, p);
    void (async () => {
      try {
        for await (const pcm of this.tts.synthesize(text, { ...options, signal: this.controller.signal })) {
          p.chunks.push(pcm);
          p.wake();
        }
      } catch {
        p.failed = true;
      } finally {
        p.done = true;
        p.wake();
      }
    })();
  }

  async *synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    const key = keyOf(text, options);
    const p = this.prepared.get(key);
    if (!p) return yield* this.tts.synthesize(text, options);
    this.prepared.delete(key);
    // A reader stopped (the turn interrupted) does not wait for the next chunk to notice.
    const stop = () => p.wake();
    options.signal.addEventListener('abort', stop, { once: true });
    try {
      yield* this.replay(p, text, options);
    } finally {
      options.signal.removeEventListener('abort', stop);
    }
  }

  private async *replay(p: Prepared, text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    let next = 0;
    for (;;) {
      if (options.signal.aborted) return;
      if (next < p.chunks.length) {
        yield p.chunks[next++]!;
        continue;
      }
      if (p.done) break;
      await new Promise<void>((resolve) => (p.wake = resolve));
    }
    // Nothing usable was prepared: said the usual way.
    if (p.failed && next === 0) yield* this.tts.synthesize(text, options);
  }

  /** The call is over: what is still being prepared stops. */
  close(): void {
    this.controller.abort();
    this.prepared.clear();
  }
}

function keyOf(text: string, o: { voice: string | null; language: string }): string {
  return `${o.voice ?? ''}\u0000${o.language}\u0000${text}`;
}
