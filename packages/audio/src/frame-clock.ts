/**
 * One clock for every outgoing RTP stream of a process, with a queue for the work that can wait.
 *
 * An outgoing frame is due at a precise time: the far end plays it out on its own clock. Decoding
 * what came in, VAD and the conversation behind it can run a few ms later without anyone hearing
 * it (the caller's audio sits in a 60 ms jitter buffer anyway). With one timer per stream, a
 * process carrying hundreds of calls runs everything in arrival order, so a frame waits behind
 * the decoding of every other call. This clock runs the frames that are due first, then the
 * background work in order, one task at a time, stopping whenever a frame falls due. A busy
 * process thereby delays its caller-side processing by a few ms instead of its outgoing audio.
 * Background work is never held back longer than `maxBackgroundLagMs`: past that it runs even if
 * frames are due (an overloaded process is late everywhere rather than deaf).
 *
 * It is a `PacerTimer`, so a `FramePacer` runs on it unchanged.
 */
import type { PacerTimer } from './pacer';

/** What the clock needs from the runtime; injectable so tests run on a fake clock. */
export interface ClockRuntime {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
  /** Runs the callback after pending I/O (Node's setImmediate). */
  soon(callback: () => void): void;
}

const nodeRuntime: ClockRuntime = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  soon: (callback) => setImmediate(callback),
};

/**
 * Background work run in one go before the event loop gets a turn: the promise callbacks it queued
 * (which run only when this macrotask ends, and cannot be preempted), pending I/O, other timers.
 */
const SLICE_MS = 0.5;

interface Timer {
  at: number;
  /** Order of creation: equal due times run first-come first-served. */
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

interface Task {
  run: () => void;
  since: number;
}

export interface FrameClockOptions {
  runtime?: ClockRuntime;
  /** Longest background work may wait while frames keep falling due (default 20 ms). */
  maxBackgroundLagMs?: number;
  /** A callback or task threw: the clock goes on with the others. */
  onError?: (err: unknown) => void;
}

export interface FrameClockStats {
  timers: number;
  tasks: number;
  /** Background tasks run despite a due frame, because they had waited `maxBackgroundLagMs`. */
  tasksForced: number;
  errors: number;
}

export class FrameClock implements PacerTimer {
  readonly stats: FrameClockStats = { timers: 0, tasks: 0, tasksForced: 0, errors: 0 };
  private readonly runtime: ClockRuntime;
  private readonly maxLagMs: number;
  private readonly onError: (err: unknown) => void;
  /** Binary min-heap by (at, seq). Cancelled timers stay until they surface. */
  private readonly heap: Timer[] = [];
  private seq = 0;
  private tasks: Task[] = [];
  private taskHead = 0;
  private armedTimer: unknown = undefined;
  private armedAt = Infinity;
  private soonPending = false;
  private running = false;

  constructor(options: FrameClockOptions = {}) {
    this.runtime = options.runtime ?? nodeRuntime;
    this.maxLagMs = options.maxBackgroundLagMs ?? 20;
    this.onError = options.onError ?? ((err) => setImmediate(() => { throw err; }));
  }

  /** Background work queued and not yet run. */
  get backlog(): number {
    return this.tasks.length - this.taskHead;
  }

  set(callback: () => void, delayMs: number): unknown {
    const timer: Timer = { at: this.runtime.now() + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    this.push(timer);
    this.arm();
    return timer;
  }

  clear(handle: unknown): void {
    if (handle) (handle as Timer).cancelled = true;
  }

  /**
   * When a new stream of `frameMs` frames should start, within the next `frameMs`: at the 1 ms
   * phase the fewest pending timers fall on, so calls that start together (or whose clocks the
   * same event lined up) do not all want the CPU in the same millisecond of every frame.
   */
  quietestStart(frameMs: number): number {
    const now = this.runtime.now();
    const bins = new Uint32Array(Math.max(1, Math.ceil(frameMs)));
    for (const timer of this.heap) {
      if (timer.cancelled) continue;
      bins[Math.floor((((timer.at - now) % frameMs) + frameMs) % frameMs) % bins.length]!++;
    }
    let best = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i]! < bins[best]!) best = i;
    return now + best;
  }

  /** Work that may wait a few ms for due frames; tasks run in the order queued. */
  defer(run: () => void): void {
    this.tasks.push({ run, since: this.runtime.now() });
    this.arm();
  }

  private readonly fire = () => {
    // Woken by soon() while a timer was armed: that timer would only wake us again for nothing.
    if (this.armedTimer !== undefined) this.runtime.clearTimer(this.armedTimer);
    this.armedTimer = undefined;
    this.armedAt = Infinity;
    this.soonPending = false;
    this.running = true;
    try {
      this.runDueTimers();
      const sliceEnd = this.runtime.now() + SLICE_MS;
      while (this.taskHead < this.tasks.length) {
        // Let pending I/O (incoming packets) in now and then; soon() resumes right after it.
        if (this.runtime.now() >= sliceEnd) break;
        const task = this.tasks[this.taskHead]!;
        if (this.nextDue() <= this.runtime.now()) {
          if (this.runtime.now() - task.since < this.maxLagMs) {
            this.runDueTimers();
            continue;
          }
          this.stats.tasksForced++;
        }
        this.taskHead++;
        this.stats.tasks++;
        this.call(task.run);
      }
      if (this.taskHead === this.tasks.length) {
        this.tasks = [];
        this.taskHead = 0;
      } else if (this.taskHead > 1024) {
        this.tasks = this.tasks.slice(this.taskHead);
        this.taskHead = 0;
      }
    } finally {
      this.running = false;
      this.arm();
    }
  };

  private runDueTimers(): void {
    const now = this.runtime.now();
    while (this.heap.length > 0 && this.heap[0]!.at <= now) {
      const timer = this.pop();
      if (timer.cancelled) continue;
      this.stats.timers++;
      this.call(timer.callback);
    }
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.stats.errors++;
      this.onError(err);
    }
  }

  private nextDue(): number {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap.length > 0 ? this.heap[0]!.at : Infinity;
  }

  /** One wake-up for whatever comes first: background work (after pending I/O) or the next frame. */
  private arm(): void {
    if (this.running) return;
    if (this.backlog > 0) {
      if (!this.soonPending) {
        this.soonPending = true;
        this.runtime.soon(this.fire);
      }
      return;
    }
    const at = this.nextDue();
    if (at === Infinity || at >= this.armedAt) return;
    if (this.armedTimer !== undefined) this.runtime.clearTimer(this.armedTimer);
    this.armedAt = at;
    this.armedTimer = this.runtime.setTimer(this.fire, Math.max(0, at - this.runtime.now()));
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): Timer {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
