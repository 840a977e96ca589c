import { describe, expect, it } from 'vitest';
import type { Tts, TtsOptions } from '../providers/types';
import { PreparedSpeech } from './prepared-speech';

/** An engine that yields one chunk per word when the test releases it, and records what it was asked. */
class SteppedTts implements Tts {
  readonly name = 'stepped';
  readonly asked: string[] = [];
  readonly signals: AbortSignal[] = [];
  failNext = false;
  private release: Array<() => void> = [];

  async *synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    this.asked.push(text);
    this.signals.push(options.signal);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('engine down');
    }
    for (const [i] of text.split(' ').entries()) {
      await new Promise<void>((r) => this.release.push(r));
      if (options.signal.aborted) return;
      yield new Int16Array([i + 1]);
    }
  }

  step(): void {
    for (const r of this.release.splice(0)) r();
  }
}

const opts = { voice: null, language: 'en' };
const signal = () => new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 0));
async function collect(it: AsyncIterable<Int16Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of it) out.push(c[0]!);
  return out;
}

describe('PreparedSpeech', () => {
  it('plays a prepared phrase from what was synthesized ahead, following the rest as it comes, once', async () => {
    const tts = new SteppedTts();
    const speech = new PreparedSpeech(tts);
    speech.prepare('hi there you', opts);
    await tick();
    tts.step();
    await tick();
    const said = collect(speech.synthesize('hi there you', { ...opts, signal: signal() }));
    for (let i = 0; i < 3; i++) {
      tts.step();
      await tick();
    }
    expect(await said).toEqual([1, 2, 3]);
    expect(tts.asked).toEqual(['hi there you']);
    // Said again, or another voice or phrase: the engine as usual.
    const again = collect(speech.synthesize('hi there you', { ...opts, signal: signal() }));
    const other = collect(speech.synthesize('hi there you', { voice: 'en-gb', language: 'en', signal: signal() }));
    for (let i = 0; i < 4; i++) {
      tts.step();
      await tick();
    }
    expect(await again).toEqual([1, 2, 3]);
    expect(await other).toEqual([1, 2, 3]);
    expect(tts.asked).toEqual(['hi there you', 'hi there you', 'hi there you']);
  });

  it('synthesizes a phrase whose preparation failed when it is said', async () => {
    const tts = new SteppedTts();
    tts.failNext = true;
    const speech = new PreparedSpeech(tts);
    speech.prepare('hello', opts);
    await tick();
    const said = collect(speech.synthesize('hello', { ...opts, signal: signal() }));
    await tick();
    tts.step();
    expect(await said).toEqual([1]);
    expect(tts.asked).toEqual(['hello', 'hello']);
  });

  it('stops what is still being prepared when closed, and a reader stops with its own signal', async () => {
    const tts = new SteppedTts();
    const speech = new PreparedSpeech(tts);
    speech.prepare('one two', opts);
    await tick();
    const reader = new AbortController();
    const said = collect(speech.synthesize('one two', { ...opts, signal: reader.signal }));
    tts.step();
    await tick();
    reader.abort();
    tts.step();
    expect(await said).toEqual([1]);
    speech.close();
    expect(tts.signals[0]!.aborted).toBe(true);
  });
});
