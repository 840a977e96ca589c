/**
 * The native RTP engine (native/rtp, built by node-gyp at install): one thread per process that
 * paces, encodes and sends the outgoing audio of every call, at realtime priority where the system
 * grants it, so that neither garbage collection nor a busy event loop can make a frame late.
 * JavaScript writes agent audio (16 kHz PCM) into a stream, polls what went out (for the
 * recording and for when a marked piece started playing), and drains the packets that came in
 * for all streams at once, with their kernel arrival times.
 *
 * Its encoders are the TypeScript ones in C: G.722 through the same core as native/g722, the
 * narrowband 16 -> 8 kHz filter with `filterBank`'s coefficients and G.711 with `g711EncodeTable`,
 * silence as `encodeSilence` sends it. The tests hold the two to each other byte for byte.
 */
import { join } from 'node:path';
import { NARROWBAND_RESAMPLING, NARROWBAND_SETTLE_PACKETS } from './codec';
import { g711EncodeTable } from './g711';
import { G722_STATE_SLOTS } from './g722';
import { filterBank } from './resample';
import { type CodecName, rtpCodec } from './rtp';

/** Thread priority the engine asks for: realtime (SCHED_FIFO, needs CAP_SYS_NICE), high (nice -10), normal. Falls back to what it is allowed. */
export type RtpEnginePriority = 'realtime' | 'high' | 'normal';

interface NativeStream {
  readonly id: number;
  readonly ptimeMs: number;
  start(): void;
  setRemote(address: string, port: number, latch: boolean): boolean;
  setPtime(ms: number): void;
  write(pcm: Int16Array, markId?: number): void;
  flush(): void;
  poll(status: Float64Array, echo: Int16Array): number;
  close(): void;
}

interface NativeEngine {
  readonly scheduling: string;
  readonly stats: RtpEngineStats;
  open(options: { host: string; port: number; payloadType: number; dtx: boolean; echo: boolean }): NativeStream;
  receive(): Buffer | undefined;
  monotonicMs(): number;
  close(): void;
}

interface NativeWakeProbe {
  readonly scheduling: string;
  readonly stats: WakeProbeStats;
  close(): void;
}

interface Addon {
  RtpEngine: new (options: object) => NativeEngine;
  WakeProbe: new (priority: RtpEnginePriority) => NativeWakeProbe;
  stateSlots: number;
}

const ADDON_PATH = join(__dirname, '..', 'native', 'rtp', 'build', 'Release', 'parley_rtp.node');

function loadAddon(): { addon?: Addon; error?: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(ADDON_PATH) as Addon;
    // A build from other sources (another G.722 state layout) is not used.
    if (addon.stateSlots !== G722_STATE_SLOTS) return { error: 'the native RTP engine was built from other sources; run pnpm install again' };
    return { addon };
  } catch (err) {
    return { error: `the native RTP engine is not built (${(err as Error).message.split('\n')[0]}); pnpm install builds it with python3, make and g++` };
  }
}

const loaded = loadAddon();

export interface RtpEngineStats {
  /** Pacing threads (1, or 2 pinned to two CPUs: either sends a frame, so one held-up CPU makes no frame late). */
  threads: number;
  /** Times a thread woke to send. */
  wakeups: number;
  /** Timed wake-ups the system delivered more than 5 ms after the frame they were for. */
  lateWakeups: number;
  /** Longest the system let the thread oversleep the next frame due (ms). */
  maxWakeLateMs: number;
  /** Longest round of sending every frame due at one wake-up (ms). */
  maxBusyMs: number;
  /** Longest the thread waited for a stream that JavaScript was writing to or polling (ms). */
  maxLockWaitMs: number;
}

/** Layout of the status a stream's poll fills in (native/rtp Session::Status). */
const S = { queued: 0, echo: 1, trim: 2, packetsOut: 3, ticks: 4, lateFrames: 5, maxLatenessMs: 6, suppressed: 7, skipped: 8, ptime: 9, sendErrors: 10, echoDropped: 11, marks: 12, firstMark: 16 };
const MARKS_PER_POLL = 32;
const EMPTY = new Int16Array(0);
const ECHO_CAPACITY = 2 * 16000;

export interface RtpStreamStats {
  packetsOut: number;
  /** Outgoing slots clocked (sent, or suppressed by DTX). */
  ticks: number;
  /** Slots handled more than 5 ms after they were due. */
  lateFrames: number;
  maxLatenessMs: number;
  /** Silent packets not sent (DTX). */
  suppressed: number;
  /** Slots skipped after a stall (never sent). */
  skipped: number;
  sendErrors: number;
  /** Sent audio that was overwritten before a poll read it (polls more than 2 s apart). */
  echoDropped: number;
}

/** What a poll found. `sent` is a fresh array the caller may keep. */
export interface RtpStreamPoll {
  /** Agent audio written and not yet sent. */
  queuedSamples: number;
  /** Audio sent since the last poll, silence for slots without audio, in order (16 kHz); empty unless the stream keeps an echo. */
  sent: Int16Array;
  /**
   * Trailing silence of earlier polls' `sent` that did not play: a talkspurt cut the last silent
   * frame short. Take it off the end of what was handed out before appending `sent`.
   */
  trimBefore: number;
  /** Marked writes whose first sample went out, with when (performance.now() ms). */
  marks: Array<{ id: number; sentAt: number }>;
  stats: RtpStreamStats;
}

export interface RtpStreamOptions {
  host: string;
  port: number;
  codec: CodecName;
  /** Discontinuous transmission: nothing is sent during silence once the far end has been heard (after 10 silent packets). */
  dtx?: boolean;
  /** Keep what was sent for `poll().sent` (the recording's agent channel). */
  echo?: boolean;
}

/** A datagram that arrived on one of the engine's streams. */
export interface ReceivedDatagram {
  streamId: number;
  /** Source IPv4 address as a 32-bit number (see ipv4ToString). */
  address: number;
  port: number;
  data: Buffer;
  /** Kernel arrival time, performance.now() ms. */
  arrivedAt: number;
}

export function ipv4ToString(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/** One outgoing stream (one call leg's socket). */
export class RtpEngineStream {
  readonly id: number;
  readonly port: number;
  private closed = false;
  private readonly result: RtpStreamPoll = {
    queuedSamples: 0,
    sent: EMPTY,
    trimBefore: 0,
    marks: [],
    stats: { packetsOut: 0, ticks: 0, lateFrames: 0, maxLatenessMs: 0, suppressed: 0, skipped: 0, sendErrors: 0, echoDropped: 0 },
  };

  constructor(
    private readonly native: NativeStream,
    private readonly engine: RtpEngine,
    port: number,
    private readonly echo: boolean,
  ) {
    this.id = native.id;
    this.port = port;
  }

  get ptimeMs(): number {
    return this.native.ptimeMs;
  }

  /** Starts the clock (at the quietest phase of the frame among the running streams): a packet every ptime from now on, silence when nothing is written. */
  start(): void {
    this.native.start();
  }

  /** Where to send. `latch`: packets came from there, so the socket is connected to it and hears no one else. */
  setRemote(remote: { address: string; port: number }, latch: boolean): boolean {
    return this.native.setRemote(remote.address, remote.port, latch);
  }

  /** The far end's packet duration, which ours follow (10-60 ms). */
  setPtime(ms: number): void {
    this.native.setPtime(ms);
  }

  /**
   * Queues 16 kHz agent audio. A `markId` (non-zero) is reported by poll once the first sample of
   * this piece has gone out. Audio written while silence goes out starts a talkspurt at once.
   */
  write(pcm: Int16Array, markId = 0): void {
    if (!this.closed) this.native.write(pcm, markId);
  }

  /** Drops every sample not yet sent (barge-in), with their marks. */
  flush(): void {
    if (!this.closed) this.native.flush();
  }

  /** What went out since the last poll. The result (with its marks and stats) is reused by the next poll: read it, do not keep it, except `sent`. */
  poll(): RtpStreamPoll {
    const { status, echo } = this.engine.scratch;
    const n = this.native.poll(status, echo);
    const result = this.result;
    result.marks.length = 0;
    for (let i = 0; i < status[S.marks]!; i++) result.marks.push({ id: status[S.firstMark + 2 * i]!, sentAt: this.engine.toPerformanceMs(status[S.firstMark + 2 * i + 1]!) });
    result.queuedSamples = status[S.queued]!;
    result.sent = this.echo && n > 0 ? echo.slice(0, n) : EMPTY;
    result.trimBefore = status[S.trim]!;
    const stats = result.stats;
    stats.packetsOut = status[S.packetsOut]!;
    stats.ticks = status[S.ticks]!;
    stats.lateFrames = status[S.lateFrames]!;
    stats.maxLatenessMs = status[S.maxLatenessMs]!;
    stats.suppressed = status[S.suppressed]!;
    stats.skipped = status[S.skipped]!;
    stats.sendErrors = status[S.sendErrors]!;
    stats.echoDropped = status[S.echoDropped]!;
    return result;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

/** The process's engine: its thread, and the streams it paces. */
export class RtpEngine {
  /** Why the engine cannot be used here, or undefined when it can. */
  static readonly unavailable: string | undefined = loaded.error;
  readonly scheduling: string;
  /** Reused by every poll (one JavaScript thread uses them at a time). */
  readonly scratch = { status: new Float64Array(S.firstMark + 2 * MARKS_PER_POLL), echo: new Int16Array(ECHO_CAPACITY) };
  private readonly native: NativeEngine;
  /** performance.now() minus the engine's monotonic clock (both CLOCK_MONOTONIC underneath). */
  private readonly offsetMs: number;
  private closed = false;

  /**
   * `threads`: pacing threads, at most one per CPU the process may use (default 2). With two, each
   * pinned to its own CPU, both wake for every frame and whichever comes first sends it.
   */
  constructor(options: { priority?: RtpEnginePriority; threads?: number } = {}) {
    if (!loaded.addon) throw new Error(loaded.error);
    const narrowband = filterBank(16000, 8000, NARROWBAND_RESAMPLING);
    this.native = new loaded.addon.RtpEngine({
      ulaw: g711EncodeTable('ulaw'),
      alaw: g711EncodeTable('alaw'),
      narrowband: { up: narrowband.up, down: narrowband.down, taps: narrowband.taps, bank: narrowband.bank },
      settlePackets: NARROWBAND_SETTLE_PACKETS,
      priority: options.priority ?? 'realtime',
      threads: options.threads ?? 2,
    });
    this.scheduling = this.native.scheduling;
    this.offsetMs = this.measureOffsetMs();
  }

  /**
   * performance.now() minus the engine's clock: both are CLOCK_MONOTONIC, so the offset is fixed. It is taken from
   * the tightest of a few paired reads: one read interrupted between its two halves (a busy machine) would otherwise
   * skew every time the engine reports by a fraction of a millisecond.
   */
  private measureOffsetMs(): number {
    let best = { spanMs: Infinity, offsetMs: 0 };
    for (let i = 0; i < 8; i++) {
      const before = performance.now();
      const mono = this.native.monotonicMs();
      const after = performance.now();
      if (after - before < best.spanMs) best = { spanMs: after - before, offsetMs: (before + after) / 2 - mono };
    }
    return best.offsetMs;
  }

  /** How the engine thread has been keeping time (for logs and the benchmark). */
  get stats(): RtpEngineStats {
    return this.native.stats;
  }

  /** Binds host:port and makes it a stream; throws an Error with `code` EADDRINUSE when the port is taken. */
  open(options: RtpStreamOptions): RtpEngineStream {
    if (this.closed) throw new Error('the RTP engine is closed');
    const echo = options.echo ?? false;
    const native = this.native.open({ host: options.host, port: options.port, payloadType: rtpCodec(options.codec).payloadType, dtx: options.dtx ?? false, echo });
    return new RtpEngineStream(native, this, options.port, echo);
  }

  /** Calls `visit` for every datagram waiting on any stream, in arrival order per stream; returns how many. */
  receive(visit: (datagram: ReceivedDatagram) => void): number {
    const buf = this.native.receive();
    if (!buf) return 0;
    let count = 0;
    for (let at = 0; at + 20 <= buf.length; ) {
      const length = buf.readUInt16LE(at + 10);
      visit({
        streamId: buf.readUInt32LE(at),
        address: buf.readUInt32LE(at + 4),
        port: buf.readUInt16LE(at + 8),
        arrivedAt: buf.readDoubleLE(at + 12) + this.offsetMs,
        data: buf.subarray(at + 20, at + 20 + length),
      });
      at += 20 + length;
      count++;
    }
    return count;
  }

  /** performance.now() of a time on the engine's clock. */
  toPerformanceMs(monotonicMs: number): number {
    return monotonicMs + this.offsetMs;
  }

  /** Stops the thread and closes every stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

export interface WakeProbeStats {
  wakeups: number;
  /** Wake-ups more than 5 ms late. */
  lateWakeups: number;
  maxLateMs: number;
}

/**
 * A thread that only wakes every millisecond, at the priority the engine would take: how late the
 * machine itself lets a realtime thread run. Measured beside the engine, it tells the frames the
 * machine made late (a probe doing nothing was held up too) from those the engine did.
 */
export class WakeProbe {
  readonly scheduling: string;
  private readonly native: NativeWakeProbe;

  constructor(priority: RtpEnginePriority = 'realtime') {
    if (!loaded.addon) throw new Error(loaded.error);
    this.native = new loaded.addon.WakeProbe(priority);
    this.scheduling = this.native.scheduling;
  }

  get stats(): WakeProbeStats {
    return this.native.stats;
  }

  close(): void {
    this.native.close();
  }
}
