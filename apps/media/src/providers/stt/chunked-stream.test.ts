import { generateTone } from '@parley/audio';
import { describe, expect, it } from 'vitest';
import { ChunkedSttStream } from './chunked-stream';

const speech = (ms: number) => generateTone({ frequency: 300, sampleRate: 16000, durationMs: ms, amplitude: 8000 });
const quiet = (ms: number) => new Int16Array(ms * 16);

/** An engine that recognizes whole pieces: records each piece's length (ms) and answers with the next words. */
function engine(words: string[]) {
  const pieces: number[] = [];
  const signals: AbortSignal[] = [];
  const recognize = async (pcm: Int16Array, signal: AbortSignal) => {
    pieces.push(pcm.length / 16);
    signals.push(signal);
    await new Promise<void>((r) => setTimeout(r, 5));
    return { text: words.shift() ?? '' };
  };
  return { recognize, pieces, signals };
}

function feed(stream: ChunkedSttStream, pcm: Int16Array) {
  for (let o = 0; o < pcm.length; o += 512) stream.write(pcm.subarray(o, o + 512));
}

describe('an utterance recognized in pieces cut at the pauses', () => {
  it('recognizes the words so far at a pause, then only what came after it, and answers with all of them', async () => {
    const e = engine(['send the invoice', 'to my office']);
    const stream = new ChunkedSttStream(e.recognize);
    feed(stream, speech(800));
    feed(stream, quiet(200));
    expect(await stream.partial()).toBe('send the invoice');
    feed(stream, quiet(100));
    feed(stream, speech(600));
    feed(stream, quiet(300));
    expect(await stream.finish()).toEqual({ text: 'send the invoice to my office' });
    expect(e.pieces).toEqual([1000, 1000]);
  });

  it('sends nothing more at the end when only silence came after the last pause (these engines make words of silence)', async () => {
    const e = engine(['yes that works', 'thank you']);
    const stream = new ChunkedSttStream(e.recognize);
    feed(stream, speech(700));
    feed(stream, quiet(200));
    expect(await stream.partial()).toBe('yes that works');
    // Noise well under the speech: still silence.
    feed(stream, generateTone({ frequency: 300, sampleRate: 16000, durationMs: 400, amplitude: 900 }));
    expect(await stream.finish()).toEqual({ text: 'yes that works' });
    expect(e.pieces).toEqual([900]);
  });

  it('without a pause asked about, recognizes the utterance in one piece at its end', async () => {
    const e = engine(['book me for tuesday']);
    const stream = new ChunkedSttStream(e.recognize);
    feed(stream, speech(1200));
    feed(stream, quiet(300));
    expect(await stream.finish()).toEqual({ text: 'book me for tuesday' });
    expect(e.pieces).toEqual([1500]);
  });

  it('fails its finish when a piece failed (the conversation then recognizes the utterance whole), and aborts what is in flight when dropped', async () => {
    const failing = new ChunkedSttStream(async () => {
      throw new Error('server down');
    });
    feed(failing, speech(500));
    await expect(failing.partial()).rejects.toThrow('server down');
    await expect(failing.finish()).rejects.toThrow('server down');

    const e = engine(['unused']);
    const dropped = new ChunkedSttStream(e.recognize);
    feed(dropped, speech(500));
    const partial = dropped.partial();
    await new Promise((r) => setTimeout(r, 1));
    expect(e.signals).toHaveLength(1);
    dropped.cancel();
    await partial;
    expect(e.signals[0]!.aborted).toBe(true);
    // What was not sent yet never is.
    feed(dropped, speech(500));
    await dropped.finish();
    expect(e.pieces).toHaveLength(1);
  });
});
