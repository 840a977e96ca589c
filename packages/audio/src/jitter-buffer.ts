/**
 * Receive-side jitter buffer for one RTP stream, pull-based: push packets as they arrive,
 * pop one frame each time the consumer needs the next piece of audio. It reorders by sequence
 * number (with wraparound), drops duplicates and packets whose slot has already been played,
 * conceals losses and underruns (repeat the last frame with a fade, then silence), and
 * follows the packets' own durations, so 20 ms and 30 ms far ends both work.
 *
 * It holds encoded payloads and knows nothing of codecs; the consumer decodes audio frames and
 * renders concealed ones (see concealPcm).
 */
import { timestampDelta } from './rtp';

export interface JitterBufferOptions {
  /** RTP clock rate (8000 for PCMU, PCMA and G.722). */
  clockRate?: number;
  /** Audio buffered before playout starts or resumes, ms (default 60; the starting point when adaptive). */
  targetDelayMs?: number;
  /** Adapt the target to the measured interarrival jitter and to late packets (default false). */
  adaptive?: boolean;
  /** Lower bound for the adaptive target, ms (default 40; the upper bound is maxDelayMs). */
  minDelayMs?: number;
  /** Audio buffered beyond this is discarded, oldest first, ms (default 300). */
  maxDelayMs?: number;
  /** Concealed frames that repeat the last frame with decreasing gain before silence (default 3). */
  fadeFrames?: number;
  /** How long an underrun is concealed before pop returns null and the buffer refills, ms (default 200). */
  maxUnderrunMs?: number;
  /** Duration of a payload in RTP units (default: its length in bytes, right for PCMU, PCMA and G.722). */
  durationOf?: (payload: Uint8Array) => number;
  /** Monotonic clock in ms for jitter measurement (default performance.now). */
  now?: () => number;
}

/** What push needs from a parsed RTP packet. */
export interface JitterBufferInput {
  header: { sequenceNumber: number; timestamp: number; marker?: boolean; ssrc?: number };
  payload: Uint8Array;
}

export interface AudioFrame {
  kind: 'audio';
  payload: Uint8Array;
  sequenceNumber: number;
  timestamp: number;
  durationUnits: number;
  marker: boolean;
}

export interface ConcealedFrame {
  kind: 'concealed';
  /** Why: a packet is missing while later ones are here ('loss'), or nothing is buffered ('underrun'). */
  reason: 'loss' | 'underrun';
  timestamp: number;
  durationUnits: number;
  /** Gain to repeat the last audio at: decreasing over consecutive concealed frames, then 0 (silence). */
  gain: number;
  /** The last real payload, to decode and repeat at `gain`; undefined when gain is 0 or nothing has played. */
  lastPayload: Uint8Array | undefined;
}

export type JitterFrame = AudioFrame | ConcealedFrame;

export interface JitterBufferStats {
  /** Packets pushed (all of them, including duplicates and late ones). */
  received: number;
  /** Sequence numbers that never arrived in time (each concealed or skipped over). */
  lost: number;
  /** Packets that arrived after their slot was played or concealed, and were dropped. */
  late: number;
  duplicate: number;
  /** Packets that arrived after a later sequence number (and were still in time). */
  reordered: number;
  /** Concealed frames returned by pop. */
  concealed: number;
  /** Packets thrown away to keep the delay bounded. */
  discarded: number;
  /** Times the buffer ran dry while playing. */
  underruns: number;
  /** Stream restarts (SSRC change or a sequence jump). */
  resets: number;
}

interface Entry {
  ext: number;
  sequenceNumber: number;
  timestamp: number;
  durationUnits: number;
  marker: boolean;
  payload: Uint8Array;
}

/** A sequence jump larger than this is a restarted stream, not loss or reordering. */
const MAX_SEQUENCE_JUMP = 3000;
const SEEN_RING = 1024;
/** Consecutive frames played with too much buffered before one is dropped to catch up. */
const EXCESS_FRAMES_BEFORE_DROP = 25;
/** Frames played without a late packet before the adaptive late-packet allowance shrinks. */
const LATE_ALLOWANCE_DECAY_FRAMES = 500;

export class JitterBuffer {
  readonly stats: JitterBufferStats = { received: 0, lost: 0, late: 0, duplicate: 0, reordered: 0, concealed: 0, discarded: 0, underruns: 0, resets: 0 };

  private readonly clockRate: number;
  private readonly adaptive: boolean;
  private readonly minDelayUnits: number;
  private readonly maxDelayUnits: number;
  private readonly fadeFrames: number;
  private readonly maxUnderrunUnits: number;
  private readonly durationOf: (payload: Uint8Array) => number;
  private readonly now: () => number;

  private entries: Entry[] = [];
  private readonly seen = new Float64Array(SEEN_RING).fill(-1);
  private ssrc: number | undefined;
  private highestExt: number | undefined;
  private highestSeq = 0;
  /** Extended sequence number of the next slot; undefined until playout first starts. */
  private expectedExt: number | undefined;
  private nextTimestamp = 0;
  private playing = false;
  private lastPayload: Uint8Array | undefined;
  private lastDuration: number;
  private concealRun = 0;
  private underrunUnits = 0;
  private excessFrames = 0;

  private targetUnits: number;
  private jitterUnits = 0;
  private lastTransit: number | undefined;
  private lateAllowanceUnits = 0;
  private framesSinceLate = 0;

  constructor(options: JitterBufferOptions = {}) {
    this.clockRate = options.clockRate ?? 8000;
    const ms = (v: number) => Math.round((v * this.clockRate) / 1000);
    this.adaptive = options.adaptive ?? false;
    this.targetUnits = ms(options.targetDelayMs ?? 60);
    this.maxDelayUnits = ms(options.maxDelayMs ?? 300);
    this.minDelayUnits = ms(options.minDelayMs ?? 40);
    if (this.targetUnits > this.maxDelayUnits) throw new RangeError('targetDelayMs must not exceed maxDelayMs');
    this.fadeFrames = options.fadeFrames ?? 3;
    this.maxUnderrunUnits = ms(options.maxUnderrunMs ?? 200);
    this.durationOf = options.durationOf ?? ((payload) => payload.length);
    this.now = options.now ?? (() => performance.now());
    this.lastDuration = ms(20);
  }

  /** Current target delay, ms. */
  get targetDelayMs(): number {
    return (this.targetUnits * 1000) / this.clockRate;
  }

  /** Audio currently buffered, ms. */
  get bufferedMs(): number {
    return (this.spanUnits() * 1000) / this.clockRate;
  }

  /** Interarrival jitter estimate (RFC 3550 6.4.1), ms. */
  get jitterMs(): number {
    return (this.jitterUnits * 1000) / this.clockRate;
  }

  /** One packet; `arrivedAt` is when it arrived on the `now` clock (default: now), for the jitter estimate. */
  push(packet: JitterBufferInput, arrivedAt?: number): void {
    const { sequenceNumber, timestamp, ssrc } = packet.header;
    this.stats.received++;
    if (ssrc !== undefined && this.ssrc !== undefined && ssrc !== this.ssrc) this.restart(true);
    if (ssrc !== undefined) this.ssrc = ssrc;

    let ext: number;
    if (this.highestExt === undefined) {
      // Start well above zero so slightly older packets still get positive numbers.
      ext = 65536 + sequenceNumber;
    } else {
      const delta = (((sequenceNumber - this.highestSeq) & 0xffff) << 16) >> 16;
      if (Math.abs(delta) > MAX_SEQUENCE_JUMP) {
        this.restart(true);
        ext = 65536 + sequenceNumber;
      } else {
        ext = this.highestExt + delta;
      }
    }

    const slot = ext % SEEN_RING;
    if (this.seen[slot] === ext) {
      this.stats.duplicate++;
      return;
    }
    this.seen[slot] = ext;
    if (this.expectedExt !== undefined && ext < this.expectedExt) {
      this.stats.late++;
      this.onLatePacket();
      return;
    }
    if (this.highestExt !== undefined && ext < this.highestExt) this.stats.reordered++;
    if (this.highestExt === undefined || ext > this.highestExt) {
      this.highestExt = ext;
      this.highestSeq = sequenceNumber;
    }
    this.updateJitter(timestamp, arrivedAt ?? this.now(), packet.header.marker ?? false);

    const entry: Entry = {
      ext,
      sequenceNumber,
      timestamp: timestamp >>> 0,
      durationUnits: this.durationOf(packet.payload),
      marker: packet.header.marker ?? false,
      payload: packet.payload,
    };
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1].ext > ext) i--;
    this.entries.splice(i, 0, entry);

    while (this.entries.length > 1 && this.spanUnits() > this.maxDelayUnits) this.discardOldest();
  }

  /**
   * The next frame of audio, a concealed frame standing in for a missing one, or null while
   * the buffer is (re)filling to its target delay.
   */
  pop(): JitterFrame | null {
    if (!this.playing) {
      if (this.entries.length === 0 || this.spanUnits() < this.targetUnits) return null;
      this.startPlayout();
    }
    const head = this.entries[0];
    if (head === undefined) return this.underrun();
    this.underrunUnits = 0;
    const expected = this.expectedExt!;
    if (head.ext === expected) return this.play();

    // A gap: the expected packet is missing while later ones are here.
    const gapUnits = timestampDelta(head.timestamp, this.nextTimestamp);
    if (gapUnits <= 0) {
      // Concealment during an underrun already covered the missing packets' time.
      this.stats.lost += head.ext - expected;
      this.expectedExt = head.ext;
      return this.play();
    }
    this.stats.lost++;
    this.expectedExt = expected + 1;
    return this.conceal(Math.min(this.lastDuration, gapUnits), 'loss');
  }

  /** Drops everything buffered and starts over (stats are kept), e.g. when the far end changes. */
  reset(): void {
    this.restart(false);
  }

  /** `detected`: the stream itself restarted (counted in stats.resets), rather than the caller asking. */
  private restart(detected: boolean): void {
    if (detected) this.stats.resets++;
    this.entries = [];
    this.seen.fill(-1);
    this.ssrc = undefined;
    this.highestExt = undefined;
    this.expectedExt = undefined;
    this.playing = false;
    this.concealRun = 0;
    this.underrunUnits = 0;
    this.excessFrames = 0;
    this.lastTransit = undefined;
  }

  private startPlayout(): void {
    const head = this.entries[0];
    if (this.expectedExt !== undefined && head.ext > this.expectedExt) this.stats.lost += head.ext - this.expectedExt;
    this.expectedExt = head.ext;
    this.nextTimestamp = head.timestamp;
    this.playing = true;
    this.excessFrames = 0;
  }

  private play(): AudioFrame {
    const entry = this.entries.shift()!;
    this.expectedExt = entry.ext + 1;
    this.nextTimestamp = (entry.timestamp + entry.durationUnits) >>> 0;
    this.lastPayload = entry.payload;
    this.lastDuration = entry.durationUnits;
    this.concealRun = 0;
    this.trackLatency();
    return {
      kind: 'audio',
      payload: entry.payload,
      sequenceNumber: entry.sequenceNumber,
      timestamp: entry.timestamp,
      durationUnits: entry.durationUnits,
      marker: entry.marker,
    };
  }

  private underrun(): ConcealedFrame | null {
    if (this.underrunUnits === 0) this.stats.underruns++;
    if (this.underrunUnits >= this.maxUnderrunUnits) {
      // The far end has gone quiet (or away): refill before playing again.
      this.playing = false;
      this.underrunUnits = 0;
      this.adaptTarget();
      return null;
    }
    this.underrunUnits += this.lastDuration;
    // The expected packet may still come: its sequence number stays open, so the delay grows instead.
    return this.conceal(this.lastDuration, 'underrun');
  }

  private conceal(durationUnits: number, reason: ConcealedFrame['reason']): ConcealedFrame {
    const gain = this.concealRun < this.fadeFrames ? 1 - (this.concealRun + 1) / (this.fadeFrames + 1) : 0;
    this.concealRun++;
    this.stats.concealed++;
    const timestamp = this.nextTimestamp;
    this.nextTimestamp = (this.nextTimestamp + durationUnits) >>> 0;
    return { kind: 'concealed', reason, timestamp, durationUnits, gain, lastPayload: gain > 0 ? this.lastPayload : undefined };
  }

  /** Keeps the delay near the target: after a stretch of too much buffered audio, one frame is dropped. */
  private trackLatency(): void {
    if (this.spanUnits() > this.targetUnits + 2 * this.lastDuration) {
      if (++this.excessFrames >= EXCESS_FRAMES_BEFORE_DROP && this.entries.length > 1) {
        this.discardOldest();
        this.excessFrames = 0;
      }
    } else {
      this.excessFrames = 0;
    }
    if (this.adaptive && this.lateAllowanceUnits > 0 && ++this.framesSinceLate >= LATE_ALLOWANCE_DECAY_FRAMES) {
      this.lateAllowanceUnits = Math.max(0, this.lateAllowanceUnits - this.lastDuration);
      this.framesSinceLate = 0;
      this.adaptTarget();
    }
  }

  private discardOldest(): void {
    const dropped = this.entries.shift()!;
    this.stats.discarded++;
    if (this.playing || this.expectedExt !== undefined) {
      this.expectedExt = dropped.ext + 1;
      this.nextTimestamp = (dropped.timestamp + dropped.durationUnits) >>> 0;
    }
  }

  private onLatePacket(): void {
    if (!this.adaptive) return;
    this.lateAllowanceUnits = Math.min(this.maxDelayUnits, this.lateAllowanceUnits + this.lastDuration);
    this.framesSinceLate = 0;
    this.adaptTarget();
  }

  /**
   * RFC 3550 interarrival jitter: a running mean of |transit time differences|, within a
   * talkspurt. The first packet of a talkspurt (marker bit) starts a new reference: a sender whose
   * timestamps do not count the silence before it would otherwise look like hundreds of ms of
   * jitter, and the buffer would hold that much delay for no reason.
   */
  private updateJitter(timestamp: number, arrivedAt: number, talkspurtStart: boolean): void {
    const arrival = (arrivedAt * this.clockRate) / 1000;
    const transit = arrival - (timestamp >>> 0);
    if (this.lastTransit !== undefined && !talkspurtStart) {
      let d = Math.abs(transit - this.lastTransit);
      // Timestamp wrap shows up as a 2^32 jump in transit time.
      if (d > 2 ** 31) d = Math.abs(d - 2 ** 32);
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.lastTransit = transit;
    if (this.adaptive) this.adaptTarget();
  }

  private adaptTarget(): void {
    if (!this.adaptive) return;
    const wanted = this.lastDuration + 3 * this.jitterUnits + this.lateAllowanceUnits;
    this.targetUnits = Math.round(Math.min(this.maxDelayUnits, Math.max(this.minDelayUnits, wanted)));
  }

  private spanUnits(): number {
    const n = this.entries.length;
    if (n === 0) return 0;
    const first = this.entries[0];
    const last = this.entries[n - 1];
    return Math.max(0, timestampDelta((last.timestamp + last.durationUnits) >>> 0, first.timestamp));
  }
}

/**
 * Renders a concealed frame from the last decoded PCM: repeats it (tiling if the frame is
 * longer) at the frame's gain with a linear ramp from `fromGain`, so consecutive concealed
 * frames fade smoothly. Writes into `out` (its length is the frame's sample count).
 */
export function concealPcm(last: Int16Array, gain: number, out: Int16Array, fromGain = gain): Int16Array {
  if (last.length === 0 || (gain === 0 && fromGain === 0)) {
    out.fill(0);
    return out;
  }
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const g = fromGain + ((gain - fromGain) * (i + 1)) / n;
    out[i] = Math.round(last[i % last.length] * g);
  }
  return out;
}
