import { describe, expect, it } from 'vitest';
import { type ClockRuntime, FrameClock } from './frame-clock';
import { FramePacer } from './pacer';

/** A fake event loop: time moves only when work says it took time, or when the loop waits for a timer. */
class FakeLoop implements ClockRuntime {
  time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private immediates: (() => void)[] = [];
  private nextId = 1;

  now = () => this.time;
  setTimer = (callback: () => void, delayMs: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + delayMs, callback, id });
    return id;
  };
  clearTimer = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };
  soon = (callback: () => void) => {
    this.immediates.push(callback);
  };

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Runs the loop until `end`: immediates first, then the earliest timer (waiting for it if need be). */
  runUntil(end: number): void {
    for (;;) {
      const immediate = this.immediates.shift();
      if (immediate) {
        immediate();
        continue;
      }
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = Math.max(this.time, end);
  }
}

describe('FrameClock', () => {
  it('runs timers in due order, once each, and never a cleared one', () => {
    const loop = new FakeLoop();
    const clock = new FrameClock({ runtime: loop });
    const ran: string[] = [];
    clock.set(() => ran.push('c@30'), 30);
    clock.set(() => ran.push('a@10'), 10);
    const cleared = clock.set(() => ran.push('x@15'), 15);
    clock.set(() => ran.push('b@20'), 20);
    clock.clear(cleared);
    loop.runUntil(100);
    expect(ran).toEqual(['a@10', 'b@20', 'c@30']);
  });

  it('runs a due frame before the rest of the background work, not after all of it', () => {
    const loop = new FakeLoop();
    const clock = new FrameClock({ runtime: loop });
    const ran: string[] = [];
    // Ten 1 ms tasks (decoding other calls' audio), and a frame due 3.5 ms from now.
    for (let i = 0; i < 10; i++) {
      clock.defer(() => {
        loop.time += 1;
        ran.push(`task${i}`);
      });
    }
    let frameAt = -1;
    clock.set(() => {
      frameAt = loop.time;
      ran.push('frame');
    }, 3.5);
    loop.runUntil(100);
    expect(ran.indexOf('frame')).toBe(4);
    expect(frameAt - 3.5).toBeLessThanOrEqual(1);
    // Background work keeps its order.
    expect(ran.filter((r) => r !== 'frame')).toEqual(Array.from({ length: 10 }, (_, i) => `task${i}`));
    expect(clock.backlog).toBe(0);
  });

  it('keeps a single timer armed however work and frames interleave', () => {
    const loop = new FakeLoop();
    const clock = new FrameClock({ runtime: loop });
    let frames = 0;
    const frame = () => {
      frames++;
      clock.set(frame, 20);
      // More work than one slice: the rest resumes after pending I/O, with the next frame's timer armed.
      for (let i = 0; i < 3; i++) clock.defer(() => (loop.time += 0.3));
    };
    clock.set(frame, 5);
    let most = 0;
    for (let t = 0; t < 200; t += 1) {
      loop.runUntil(t);
      // Work queued from outside the clock (a talkspurt started by a TTS promise) while a frame's timer is armed.
      if (t % 7 === 0) clock.defer(() => (loop.time += 0.1));
      most = Math.max(most, loop.pendingTimers);
    }
    expect(frames).toBe(10);
    expect(most).toBe(1);
  });

  it('never starves background work: after maxBackgroundLagMs it runs even while frames are due', () => {
    const loop = new FakeLoop();
    const clock = new FrameClock({ runtime: loop, maxBackgroundLagMs: 20 });
    // An overloaded process: frame work alone takes all the time there is.
    const frame = () => {
      loop.time += 2;
      clock.set(frame, 0);
    };
    clock.set(frame, 0);
    let ranAt = -1;
    clock.defer(() => {
      ranAt = loop.time;
    });
    loop.runUntil(60);
    expect(ranAt).toBeGreaterThanOrEqual(20);
    expect(ranAt).toBeLessThan(25);
    expect(clock.stats.tasksForced).toBe(1);
  });

  it('goes on after a callback throws, and reports the error', () => {
    const loop = new FakeLoop();
    const errors: unknown[] = [];
    const clock = new FrameClock({ runtime: loop, onError: (err) => errors.push(err) });
    const ran: string[] = [];
    clock.set(() => {
      throw new Error('boom');
    }, 5);
    clock.set(() => ran.push('after'), 5);
    clock.defer(() => {
      throw new Error('task boom');
    });
    clock.defer(() => ran.push('task after'));
    loop.runUntil(10);
    expect(ran).toEqual(['task after', 'after']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['task boom', 'boom']);
    expect(clock.stats.errors).toBe(2);
  });

  it('drives a FramePacer: one frame per 20 ms from the start, on one shared timer', () => {
    const loop = new FakeLoop();
    const clock = new FrameClock({ runtime: loop });
    const sent: Record<string, number[]> = { a: [], b: [] };
    const pacers = (['a', 'b'] as const).map(
      (name) => new FramePacer({ now: loop.now, timer: clock, onFrame: (tick) => sent[name]!.push(tick.scheduledAt) }),
    );
    pacers[0]!.start();
    loop.time = 7;
    pacers[1]!.start();
    loop.runUntil(70);
    expect(sent.a).toEqual([0, 20, 40, 60]);
    expect(sent.b).toEqual([7, 27, 47, 67]);
  });

  it('starts a new stream at the quietest 1 ms phase of the frame', () => {
    const loop = new FakeLoop();
    const clock = new FrameClock({ runtime: loop });
    loop.time = 100;
    // Pending frames at phases 0, 0, 1, 2 and 3..19 once each, except phase 7.
    for (const offset of [0, 0, 1, 2, ...Array.from({ length: 17 }, (_, i) => i + 3).filter((p) => p !== 7)]) clock.set(() => undefined, offset + 0.5);
    clock.clear(clock.set(() => undefined, 7.5));
    expect(clock.quietestStart(20)).toBe(107);
    const ticks: number[] = [];
    const pacer = new FramePacer({ now: loop.now, timer: clock, onFrame: (tick) => ticks.push(tick.scheduledAt) });
    pacer.start(clock.quietestStart(20));
    loop.runUntil(150);
    expect(ticks).toEqual([107, 127, 147]);
  });
});
