import { describe, expect, it } from 'vitest';
import { type FrameTick, FramePacer, type PacerTimer } from './pacer';

/** A fake monotonic clock with timers that fire when time is advanced, in due order. */
class FakeClock implements PacerTimer {
  time = 1000;
  private pending: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;
  /** Extra delay added to every timer, like a loaded event loop. */
  timerLatenessMs = 0;

  now = () => this.time;

  set(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.pending.push({ at: this.time + delayMs + this.timerLatenessMs, callback, id });
    return id;
  }

  clear(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at);
      const next = this.pending[0];
      if (!next || next.at > end) break;
      this.pending.shift();
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = end;
  }

  /** Time passes while the event loop is blocked: no timer can fire. */
  block(ms: number): void {
    this.time += ms;
  }

  get timers(): number {
    return this.pending.length;
  }
}

function setup(options: { maxBurstFrames?: number; timerLatenessMs?: number } = {}) {
  const clock = new FakeClock();
  clock.timerLatenessMs = options.timerLatenessMs ?? 0;
  const ticks: FrameTick[] = [];
  const sentAt: number[] = [];
  const pacer = new FramePacer({
    now: clock.now,
    timer: clock,
    maxBurstFrames: options.maxBurstFrames,
    onFrame: (tick) => {
      ticks.push(tick);
      sentAt.push(clock.time);
    },
  });
  return { clock, pacer, ticks, sentAt };
}

describe('FramePacer', () => {
  it('sends frame n at start + n * 20 ms', () => {
    const { clock, pacer, sentAt } = setup();
    pacer.start();
    clock.advance(100);
    expect(sentAt).toEqual([1000, 1020, 1040, 1060, 1080, 1100]);
  });

  it('does not drift when every timer fires late', () => {
    const { clock, pacer, ticks, sentAt } = setup({ timerLatenessMs: 3 });
    pacer.start();
    clock.advance(10_003);
    // 500 frames in 10 s, each 3 ms late, not 3 ms * n.
    expect(ticks).toHaveLength(501);
    expect(sentAt[500]).toBe(11_003);
    expect(ticks[500]).toMatchObject({ index: 500, scheduledAt: 11_000, latenessMs: 3 });
    expect(pacer.stats.maxLatenessMs).toBe(3);
  });

  it('does not drift with jittery timers either: over a minute the count is exact', () => {
    const { clock, pacer, ticks } = setup();
    pacer.start();
    // Timers fire 0..7 ms late in a fixed pattern.
    for (let i = 0; i < 3000; i++) {
      clock.timerLatenessMs = (i * 5) % 8;
      clock.advance(20);
    }
    clock.advance(7);
    expect(ticks).toHaveLength(3001);
    expect(ticks.every((t, i) => t.index === i && t.scheduledAt === 1000 + 20 * i)).toBe(true);
    expect(pacer.stats.skipped).toBe(0);
  });

  it('catches up after a stall with a bounded burst and reports skipped slots', () => {
    const { clock, pacer, ticks, sentAt } = setup({ maxBurstFrames: 3 });
    pacer.start();
    clock.advance(40);
    expect(ticks.map((t) => t.index)).toEqual([0, 1, 2]);
    // The event loop blocks for 200 ms: the timer for frame 3 (due at 1060) runs at 1240.
    clock.block(200);
    clock.advance(0);
    // Frames 3..12 were due; 7 are skipped and 3 go out back to back.
    expect(ticks.slice(3).map((t) => t.index)).toEqual([10, 11, 12]);
    expect(sentAt.slice(3)).toEqual([1240, 1240, 1240]);
    expect(ticks[3].skippedBefore).toBe(7);
    expect(ticks[4].skippedBefore).toBe(0);
    expect(ticks[3].latenessMs).toBe(40);
    expect(pacer.stats.skipped).toBe(7);
    // Then back on the original grid.
    clock.advance(40);
    expect(sentAt.slice(6)).toEqual([1260, 1280]);
  });

  it('stops cleanly, including from inside a frame callback', () => {
    const clock = new FakeClock();
    let count = 0;
    const pacer = new FramePacer({
      now: clock.now,
      timer: clock,
      onFrame: () => {
        if (++count === 3) pacer.stop();
      },
    });
    pacer.start();
    clock.advance(1000);
    expect(count).toBe(3);
    expect(pacer.running).toBe(false);
    expect(clock.timers).toBe(0);
  });

  it('can be restarted on a fresh schedule', () => {
    const { clock, pacer, ticks } = setup();
    pacer.start();
    clock.advance(20);
    pacer.stop();
    clock.advance(55);
    pacer.start();
    clock.advance(20);
    expect(ticks.map((t) => [t.index, t.scheduledAt])).toEqual([
      [0, 1000],
      [1, 1020],
      [0, 1075],
      [1, 1095],
    ]);
  });
});
