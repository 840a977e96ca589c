import { MediaLoad } from '@parley/common';
import type { Bus, Logger } from '@parley/service-kit';

/** This process's start: a restart under the same MEDIA_ID (a container's hostname and pid repeat) advertises another. */
/** This process's start, in its adverts and status replies: another value under the same MEDIA_ID is a restart. */
export const STARTED_AT = new Date(performance.timeOrigin).toISOString();

/** Changes of the call count within this long go out as one advert. */
const CHANGE_DEBOUNCE_MS = 50;

export interface LoadAdvertiserDeps {
  bus: Bus;
  logger: Logger;
  mediaId: string;
  capacity: number;
  intervalMs: number;
  /** Sessions held and opening, and whether new calls are taken. */
  load: () => { sessions: number; accepting: boolean };
  /** Outgoing RTP frames sent more than 5 ms late since the process started. */
  lateFrames: () => number;
}

/**
 * Publishes this media process's load on `media.load` for the placers (dialers, the api): every interval, and soon
 * after each change of its call count. CPU and late frames are measured over the last interval; an advert sent for a
 * change between two intervals repeats the last figures.
 */
export class LoadAdvertiser {
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private sampledAt = performance.now();
  private cpuAt = process.cpuUsage();
  private lateAt = 0;
  private cpu = 0;
  private late = 0;

  constructor(private readonly deps: LoadAdvertiserDeps) {}

  start(): void {
    if (this.timer) return;
    this.lateAt = this.deps.lateFrames();
    this.publish();
    this.timer = setInterval(() => {
      this.sample();
      this.publish();
    }, this.deps.intervalMs);
  }

  /** The call count changed (or accepting did): advertised shortly, once for a burst. */
  changed(): void {
    if (!this.timer) return;
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.publish();
    }, CHANGE_DEBOUNCE_MS);
  }

  /** Advertises at once (shutting down: placers stop asking now, not at the next interval). */
  publishNow(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    this.publish();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.pending);
    this.timer = this.pending = undefined;
  }

  private sample(): void {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const elapsedMs = now - this.sampledAt;
    // cpuUsage counts every thread of the process (the RTP engine's, Silero's, libuv's) in microseconds.
    if (elapsedMs > 0) this.cpu = (cpu.user - this.cpuAt.user + cpu.system - this.cpuAt.system) / 1000 / elapsedMs;
    const late = this.deps.lateFrames();
    this.late = late - this.lateAt;
    this.sampledAt = now;
    this.cpuAt = cpu;
    this.lateAt = late;
  }

  private publish(): void {
    const { bus, mediaId, capacity, intervalMs } = this.deps;
    const { sessions, accepting } = this.deps.load();
    try {
      bus.publish(bus.subjects.mediaLoad, MediaLoad, {
        media_id: mediaId,
        sessions,
        capacity,
        cpu: Math.round(this.cpu * 1000) / 1000,
        rtp_late_frames: this.late,
        accepting,
        interval_ms: intervalMs,
        at: new Date().toISOString(),
        started_at: STARTED_AT,
      });
    } catch (err) {
      // NATS closed under us (shutdown): the next advert, if any, says it all again.
      this.deps.logger.warn({ err }, 'load advert not published');
    }
  }
}
