import { describe, expect, it } from 'vitest';
import { type EndpointEvent, Endpointer } from './endpointer';

const W = 32;

function run(probs: number[], options = { startThreshold: 0.5, endThreshold: 0.35, minSpeechMs: 64, silenceMs: 320 }) {
  const e = new Endpointer(options);
  const events: EndpointEvent[] = [];
  probs.forEach((p, i) => events.push(...e.push(p, i * W, W)));
  return { events, e };
}

describe('Endpointer', () => {
  it('starts speech after the minimum voiced run and ends it after the silence', () => {
    const probs = [0, 0, 0.9, 0.9, 0.9, 0.9, ...Array(10).fill(0.05)];
    const { events } = run(probs);
    expect(events).toEqual([
      { type: 'speech_start', atMs: 2 * W },
      { type: 'speech_end', startMs: 2 * W, endMs: 6 * W },
    ]);
  });

  it('ignores a click shorter than the minimum speech', () => {
    expect(run([0, 0.9, 0, 0, 0, 0]).events).toEqual([]);
  });

  it('keeps one turn across a pause shorter than the endpointing silence', () => {
    const probs = [0.9, 0.9, 0.9, 0, 0, 0, 0.8, 0.8, ...Array(12).fill(0)];
    const { events } = run(probs);
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
    expect(events[1]).toEqual({ type: 'speech_end', startMs: 0, endMs: 8 * W });
  });

  it('uses hysteresis: a probability between the thresholds keeps speech going', () => {
    const probs = [0.9, 0.9, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, ...Array(11).fill(0.1)];
    const { events } = run(probs);
    expect(events[1]).toEqual({ type: 'speech_end', startMs: 0, endMs: 12 * W });
  });

  it('reports the length of speech in progress', () => {
    const e = new Endpointer({ startThreshold: 0.5, endThreshold: 0.35, minSpeechMs: 64, silenceMs: 320 });
    for (let i = 0; i < 10; i++) e.push(0.9, i * W, W);
    expect(e.speaking).toBe(true);
    expect(e.currentSpeechMs).toBe(10 * W);
  });

  it('reports each pause once, before the end, and a new pause after speech resumes', () => {
    const options = { startThreshold: 0.5, endThreshold: 0.35, minSpeechMs: 64, silenceMs: 320, pauseMs: 128 };
    const probs = [0.9, 0.9, 0.9, 0, 0, 0, 0, 0, 0.8, 0.8, ...Array(12).fill(0)];
    const { events } = run(probs, options);
    expect(events).toEqual([
      { type: 'speech_start', atMs: 0 },
      { type: 'pause', startMs: 0, endMs: 3 * W },
      { type: 'pause', startMs: 0, endMs: 10 * W },
      { type: 'speech_end', startMs: 0, endMs: 10 * W },
    ]);
  });

  it('ends a pause at the silence set for it, and forgets that silence when speech resumes', () => {
    const e = new Endpointer({ startThreshold: 0.5, endThreshold: 0.35, minSpeechMs: 64, silenceMs: 320 });
    const events: EndpointEvent[] = [];
    let t = 0;
    const push = (p: number, n: number) => {
      for (let i = 0; i < n; i++, t += W) events.push(...e.push(p, t, W));
    };
    push(0.9, 3);
    push(0, 2);
    e.setPauseSilence(640);
    push(0, 8);
    expect(events.map((x) => x.type)).toEqual(['speech_start']);
    push(0.9, 2);
    expect(e.silenceMs).toBe(320);
    push(0, 2);
    e.setPauseSilence(96);
    push(0, 1);
    expect(events.at(-1)).toEqual({ type: 'speech_end', startMs: 0, endMs: 15 * W });
  });
});

describe('short speech', () => {
  const windows = (e: Endpointer, p: number, fromMs: number, toMs: number) => {
    const events = [];
    for (let t = fromMs; t < toMs; t += 32) events.push(...e.push(p, t, 32));
    return events;
  };

  it('ends short speech on its own shorter silence, longer speech on the usual one, and not at all once cleared', () => {
    const e = new Endpointer({ startThreshold: 0.5, endThreshold: 0.35, minSpeechMs: 64, silenceMs: 600 });
    e.shortSpeech({ maxSpeechMs: 1200, silenceMs: 200 });
    // "Hello?": 512 ms, then silence: the turn ends 200 ms after it.
    expect(windows(e, 0.9, 0, 512)).toEqual([{ type: 'speech_start', atMs: 0 }]);
    expect(windows(e, 0.1, 512, 704)).toEqual([]);
    expect(windows(e, 0.1, 704, 736)).toEqual([{ type: 'speech_end', startMs: 0, endMs: 512 }]);
    // 1.6 s of speech: the usual 600 ms.
    windows(e, 0.9, 2000, 3600);
    expect(windows(e, 0.1, 3600, 4176)).toEqual([]);
    expect(windows(e, 0.1, 4176, 4208)).toEqual([{ type: 'speech_end', startMs: 2000, endMs: 3600 }]);
    // Cleared: short speech waits the usual 600 ms too.
    e.shortSpeech(undefined);
    windows(e, 0.9, 5000, 5512);
    expect(windows(e, 0.1, 5512, 6088)).toEqual([]);
    expect(windows(e, 0.1, 6088, 6120)).toEqual([{ type: 'speech_end', startMs: 5000, endMs: 5512 }]);
  });
});
