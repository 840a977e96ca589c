/**
 * Paces outgoing frames on a monotonic clock. Frame n is due at start + n * frameMs (never
 * "now + frameMs"), so timer lateness does not accumulate into drift. After an event-loop
 * stall the frames that fell due are sent back to back, but at most `maxBurstFrames` of them:
 * older slots are skipped and reported, so the far end is never flooded.
 */

/** The timer the pacer uses; injectable so tests run on a fake clock. */
export interface PacerTimer {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export interface FrameTick {
  /** Frame number since start (0, 1, 2...; skipped slots are not reused). */
  index: number;
  /** When this frame was due, on the pacer's clock (ms). */
  scheduledAt: number;
  /** How late it is being sent, ms (>= 0). */
  latenessMs: number;
  /** Slots skipped just before this frame because of a stall: the sender should advance its RTP timestamp by as many frames. */
  skippedBefore: number;
}

export interface FramePacerOptions {
  /** Called once per frame slot. */
  onFrame: (tick: FrameTick) => void;
  /** Frame duration, ms (default 20). */
  frameMs?: number;
  /** Most frames sent in one go when catching up after a stall (default 3). */
  maxBurstFrames?: number;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
  timer?: PacerTimer;
}

export interface FramePacerStats {
  frames: number;
  skipped: number;
  maxLatenessMs: number;
  /** Sum of per-frame lateness, for a mean. */
  totalLatenessMs: number;
}

const defaultTimer: PacerTimer = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class FramePacer {
  readonly frameMs: number;
  readonly stats: FramePacerStats = { frames: 0, skipped: 0, maxLatenessMs: 0, totalLatenessMs: 0 };
  private readonly onFrame: (tick: FrameTick) => void;
  private readonly maxBurstFrames: number;
  private readonly now: () => number;
  private readonly timer: PacerTimer;
  private startedAt = 0;
  private nextIndex = 0;
  private handle: unknown = undefined;
  private active = false;
  private readonly fire = () => this.run();

  constructor(options: FramePacerOptions) {
    this.onFrame = options.onFrame;
    this.frameMs = options.frameMs ?? 20;
    this.maxBurstFrames = Math.max(1, options.maxBurstFrames ?? 3);
    this.now = options.now ?? (() => performance.now());
    this.timer = options.timer ?? defaultTimer;
    if (!(this.frameMs > 0)) throw new RangeError('frameMs must be positive');
  }

  get running(): boolean {
    return this.active;
  }

  /** Starts the schedule: frame 0 is sent at `at` (on the pacer's clock; default and at the earliest: now). */
  start(at?: number): void {
    if (this.active) return;
    this.active = true;
    this.startedAt = Math.max(at ?? 0, this.now());
    this.nextIndex = 0;
    this.run();
  }

  stop(): void {
    this.active = false;
    if (this.handle !== undefined) this.timer.clear(this.handle);
    this.handle = undefined;
  }

  private run(): void {
    this.handle = undefined;
    if (!this.active) return;
    const now = this.now();
    // Frames with scheduled time <= now are due.
    const due = Math.floor((now - this.startedAt) / this.frameMs) + 1;
    let skippedBefore = 0;
    if (due - this.nextIndex > this.maxBurstFrames) {
      skippedBefore = due - this.nextIndex - this.maxBurstFrames;
      this.nextIndex += skippedBefore;
      this.stats.skipped += skippedBefore;
    }
    while (this.active && this.nextIndex < due) {
      const index = this.nextIndex++;
      const scheduledAt = this.startedAt + index * this.frameMs;
      const latenessMs = Math.max(0, this.now() - scheduledAt);
      this.stats.frames++;
      this.stats.totalLatenessMs += latenessMs;
      if (latenessMs > this.stats.maxLatenessMs) this.stats.maxLatenessMs = latenessMs;
      this.onFrame({ index, scheduledAt, latenessMs, skippedBefore });
      skippedBefore = 0;
    }
    if (!this.active) return;
    const nextAt = this.startedAt + this.nextIndex * this.frameMs;
    this.handle = this.timer.set(this.fire, Math.max(0, nextAt - this.now()));
  }
}
