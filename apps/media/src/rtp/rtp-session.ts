import type { Socket } from 'node:dgram';
import { type AudioCodec, type CodecName, createWidebandCodec, type FrameClock, FramePacer, type FrameTick, RTP_HEADER_SIZE, RtpSequencer, writeRtpHeader } from '@parley/audio';
import { Playout } from '../conversation/playout';
import { CallerAudio, type RtpRemote, SAMPLE_RATE, UNITS_PER_MS } from './caller-audio';
import type { RtpLeg, RtpLegOptions, RtpLegStats } from './rtp-leg';

/** With DTX, silent packets still sent after speech before transmission pauses. */
const DTX_HANGOVER_PACKETS = 10;

export interface RtpSessionOptions extends RtpLegOptions {
  socket: Socket;
  jitterTargetMs?: number;
  /**
   * The process's shared clock: outgoing frames run on it, and the caller side (decoding, and
   * `onAudio` behind it) runs as its background work, after any frame that is due. Without one,
   * each session keeps its own timer and handles both sides on every tick.
   */
  clock?: FrameClock;
}

/**
 * The RTP leg paced by the event loop (the fallback when the native engine is not built, or
 * MEDIA_RTP_ENGINE=js): a FramePacer per leg on the process's FrameClock reads the next packet's
 * worth of `playout` on every tick, encodes and sends it, then plays the same interval of the
 * caller's audio out of the jitter buffer.
 */
export class RtpSession implements RtpLeg {
  readonly playout = new Playout();
  readonly codec: CodecName;
  readonly port: number;
  private readonly encoder: AudioCodec;
  private readonly caller: CallerAudio;
  private readonly out = { packetsOut: 0, ticks: 0, lateFrames: 0, maxLatenessMs: 0, packetsSuppressed: 0 };
  private readonly sequencer: RtpSequencer;
  private pacer: FramePacer | undefined;
  ptimeMs = 20;
  private lastSentSilence = true;
  private silentPackets = 0;
  private lastTickAt = 0;
  private pendingUnits = 0;
  private closed = false;
  private inputQueued = false;
  private remoteAddress: RtpRemote | undefined;
  /**
   * RTP latching: once Asterisk's first packet shows where it sends from, the socket is connected
   * there. The kernel then drops anything from elsewhere (as Asterisk's strictrtp does), and
   * sends go out at once without a per-packet address lookup (which would defer them past the
   * frame they belong to).
   */
  private latch: 'none' | 'connecting' | 'connected' | 'failed' = 'none';
  /** The packet of the frame that fell due while the socket was connecting. */
  private heldPacket: Buffer | undefined;
  private readonly drainInput = () => {
    this.inputQueued = false;
    this.pullInput();
  };

  constructor(private readonly options: RtpSessionOptions) {
    this.codec = options.codec;
    this.port = (options.socket.address() as { port: number }).port;
    this.encoder = createWidebandCodec(options.codec);
    this.sequencer = new RtpSequencer({ payloadType: this.encoder.payloadType });
    this.caller = new CallerAudio({
      codec: options.codec,
      jitterTargetMs: options.jitterTargetMs,
      onAudio: options.onAudio,
      onSource: (remote) => {
        const known = this.remoteAddress !== undefined;
        this.remoteAddress = remote;
        if (!known) this.options.onRemote?.(remote);
        if (this.latch === 'none') this.connectTo(remote);
      },
      onPtime: (ms) => {
        if (ms === this.ptimeMs) return;
        this.ptimeMs = ms;
        if (this.pacer) this.startPacer();
      },
    });
    options.socket.on('message', (msg, rinfo) => {
      if (!this.closed) this.caller.receive(msg, rinfo);
    });
    this.playout.onAudioAvailable = () => this.talkspurt();
  }

  get remote(): RtpRemote | undefined {
    return this.remoteAddress;
  }

  get stats(): RtpLegStats {
    return { ...this.out, ...this.caller.stats };
  }

  get running(): boolean {
    return this.pacer?.running ?? false;
  }

  get jitterStats() {
    return this.caller.jitterStats;
  }

  start(): void {
    if (this.closed || this.pacer) return;
    // A shared clock spreads the calls' frames over the ptime instead of bunching them.
    this.startPacer(this.options.clock?.quietestStart(this.ptimeMs));
  }

  setRemote(remote: RtpRemote): void {
    if (this.remoteAddress || this.closed) return;
    this.remoteAddress = remote;
    this.options.onRemote?.(remote);
  }

  /**
   * Agent audio became available while we were sending silence: start a talkspurt now instead of
   * at the next tick (saves up to one ptime of latency). The new schedule starts here; the RTP
   * timestamp jumps by the time that passed and the marker bit flags the talkspurt, so the far
   * end's jitter buffer re-syncs as it does after any silence.
   */
  private talkspurt(): void {
    if (this.closed || !this.pacer?.running || !this.lastSentSilence || !this.remoteAddress) return;
    const sinceTick = performance.now() - this.lastTickAt;
    if (sinceTick < 0 || sinceTick >= this.ptimeMs) return;
    this.pacer.stop();
    this.options.onAgentAudioTrim?.(Math.round((this.ptimeMs - sinceTick) * (SAMPLE_RATE / 1000)));
    this.sequencer.skip(Math.round(sinceTick * UNITS_PER_MS));
    // Input keeps its pace: the time since the last tick is already owed to the jitter buffer.
    this.pendingUnits += Math.round(sinceTick * UNITS_PER_MS) - this.ptimeMs * UNITS_PER_MS;
    this.startPacer();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pacer?.stop();
    try {
      this.options.socket.close();
    } catch {
      // already closed
    }
  }

  private startPacer(at?: number): void {
    this.pacer?.stop();
    this.pacer = new FramePacer({ frameMs: this.ptimeMs, onFrame: (tick) => this.onTick(tick), timer: this.options.clock });
    this.pacer.start(at);
  }

  private onTick(tick: FrameTick): void {
    if (this.closed) return;
    this.lastTickAt = performance.now();
    this.out.ticks++;
    if (tick.latenessMs > 5) {
      this.out.lateFrames++;
      this.options.onLateFrames?.(1);
    }
    if (tick.latenessMs > this.out.maxLatenessMs) this.out.maxLatenessMs = tick.latenessMs;
    // The outgoing frame first: it is the part that cannot be late.
    this.sendFrame(tick);
    // Then the caller's side of the same interval: now, or as background work of the clock.
    this.pendingUnits += this.ptimeMs * UNITS_PER_MS;
    if (!this.options.clock) this.pullInput();
    else if (!this.inputQueued) {
      this.inputQueued = true;
      this.options.clock.defer(this.drainInput);
    }
  }

  private sendFrame(tick: FrameTick): void {
    const samples = (this.ptimeMs * SAMPLE_RATE) / 1000;
    if (tick.skippedBefore > 0) this.sequencer.skip(tick.skippedBefore * this.ptimeMs * UNITS_PER_MS);
    const pcm = this.playout.read(samples);
    this.lastSentSilence = pcm === null;
    this.silentPackets = pcm === null ? this.silentPackets + 1 : 0;
    if (pcm === null && this.options.dtx && this.caller.stats.packetsIn > 0 && this.silentPackets > DTX_HANGOVER_PACKETS) {
      this.sequencer.skip(this.ptimeMs * UNITS_PER_MS);
      this.out.packetsSuppressed++;
    } else if (this.remoteAddress) {
      const payload = pcm ? this.encoder.encode(pcm) : this.encoder.encodeSilence(samples);
      // A fresh buffer per packet: dgram keeps a reference until the send completes.
      const out = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
      writeRtpHeader(this.sequencer.next(this.ptimeMs * UNITS_PER_MS), out, 0);
      out.set(payload, RTP_HEADER_SIZE);
      this.transmit(out);
    }
    this.options.onAgentAudio?.(pcm ?? new Int16Array(samples));
  }

  private transmit(packet: Buffer): void {
    const socket = this.options.socket;
    if (this.latch === 'connected') socket.send(packet);
    else if (this.latch === 'connecting') this.heldPacket = packet;
    else socket.send(packet, this.remoteAddress!.port, this.remoteAddress!.address);
    this.out.packetsOut++;
  }

  private connectTo(remote: RtpRemote): void {
    const socket = this.options.socket;
    this.latch = 'connecting';
    const onError = () => {
      // Not connected after all: address every packet, as before the latch.
      this.latch = 'failed';
      if (this.heldPacket && this.remoteAddress && !this.closed) socket.send(this.heldPacket, this.remoteAddress.port, this.remoteAddress.address);
      this.heldPacket = undefined;
    };
    socket.once('error', onError);
    socket.connect(remote.port, remote.address, () => {
      socket.off('error', onError);
      if (this.closed) return;
      this.latch = 'connected';
      if (this.heldPacket) socket.send(this.heldPacket);
      this.heldPacket = undefined;
    });
  }

  /** Plays out of the jitter buffer as much audio as the ticks so far have lasted. */
  private pullInput(): void {
    if (this.closed) return;
    const units = this.pendingUnits;
    this.pendingUnits = 0;
    this.caller.play(units);
  }
}
