import { describe, expect, it } from 'vitest';
import { CallerAudioHistory } from './caller-audio-history';

/** Samples numbered from 0, so every copy shows which samples it holds. */
function ramp(from: number, n: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => (from + i) % 32768);
}

function fill(history: CallerAudioHistory, total: number, frame: number) {
  const windows: Array<{ start: number; window: Int16Array; copyAtTheTime: Int16Array }> = [];
  for (let at = 0; at < total; at += frame) {
    history.append(ramp(at, Math.min(frame, total - at)), (window, start) => windows.push({ start, window, copyAtTheTime: window.slice() }));
  }
  return windows;
}

describe('CallerAudioHistory', () => {
  it('hands out every completed window in order, with the samples it covers, across frames that straddle windows and blocks', () => {
    const history = new CallerAudioHistory(512);
    // 320-sample frames (20 ms) against 512-sample windows; 40 windows span three blocks.
    const windows = fill(history, 40 * 512 + 100, 320);
    expect(windows.map((w) => w.start)).toEqual(Array.from({ length: 40 }, (_, i) => i * 512));
    for (const w of windows) expect(Array.from(w.window)).toEqual(Array.from(ramp(w.start, 512)));
    expect(history.samples).toBe(40 * 512 + 100);
  });

  it('never changes a window once handed out (blocks are not reused after they are forgotten)', () => {
    const history = new CallerAudioHistory(512);
    const windows = fill(history, 20 * 512, 160);
    history.forgetBefore(18 * 512);
    for (let at = 20 * 512; at < 60 * 512; at += 160) history.append(ramp(at, 160), () => undefined);
    for (const w of windows) expect(w.window).toEqual(w.copyAtTheTime);
  });

  it('copies the windows that start in [from, to), up to the window ending at until', () => {
    const history = new CallerAudioHistory(512);
    fill(history, 50 * 512, 480);
    // From inside window 3 (the next window starts the copy) to inside window 10 (it is included).
    expect(history.copy(3 * 512 + 1, 10 * 512 + 1, 50 * 512)).toEqual(ramp(4 * 512, 7 * 512));
    // Exactly on window boundaries: [4, 10).
    expect(history.copy(4 * 512, 10 * 512, 50 * 512)).toEqual(ramp(4 * 512, 6 * 512));
    // Nothing past the window ending at `until`, nor past what was heard.
    expect(history.copy(4 * 512, 60 * 512, 8 * 512)).toEqual(ramp(4 * 512, 4 * 512));
    expect(history.copy(45 * 512, 60 * 512, 80 * 512)).toEqual(ramp(45 * 512, 5 * 512));
    expect(history.copy(-1000, 2 * 512, 50 * 512)).toEqual(ramp(0, 2 * 512));
  });

  it('forgets whole windows before a point, for good, and copies only what it kept', () => {
    const history = new CallerAudioHistory(512);
    fill(history, 50 * 512, 320);
    history.forgetBefore(20 * 512 + 7); // window 20 starts before the point: forgotten too
    expect(history.copy(0, 30 * 512, 50 * 512)).toEqual(ramp(21 * 512, 9 * 512));
    // An earlier point does not bring anything back.
    history.forgetBefore(5 * 512);
    expect(history.copy(0, 22 * 512, 50 * 512)).toEqual(ramp(21 * 512, 512));
    // Forgetting everything heard, then hearing more.
    history.forgetBefore(50 * 512);
    expect(history.copy(0, 50 * 512, 50 * 512)).toHaveLength(0);
    for (let at = 50 * 512; at < 70 * 512; at += 320) history.append(ramp(at, 320), () => undefined);
    expect(history.copy(0, 80 * 512, 80 * 512)).toEqual(ramp(50 * 512, 20 * 512));
  });

  it('keeps memory to what it was asked to keep: an hour of caller audio forgotten as it goes stays a block or two', () => {
    const history = new CallerAudioHistory(512);
    let heard = 0;
    for (let i = 0; i < 3600 * 50; i++) {
      history.append(new Int16Array(320), () => undefined);
      heard += 320;
      history.forgetBefore(heard - 4800); // 300 ms pre-roll
    }
    expect((history as unknown as { blocks: Int16Array[] }).blocks.length).toBeLessThanOrEqual(2);
  });
});
