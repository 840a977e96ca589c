import type { Socket } from 'node:dgram';
import {
  type AudioCodec,
  concealPcm,
  createWidebandCodec,
  type CodecName,
  type FrameClock,
  FramePacer,
  type FrameTick,
  JitterBuffer,
  parseRtpPacket,
  RTP_HEADER_SIZE,
  RtpSequencer,
  writeRtpHeader,
} from '@parley/audio';

export const SAMPLE_RATE = 16000;
/** RTP clock units per ms, and per payload byte 1: true of all three codecs (G.722 keeps the 8000 Hz clock). */
const UNITS_PER_MS = 8;
/** With DTX, silent packets still sent after speech before transmission pauses. */
const DTX_HANGOVER_PACKETS = 10;

export interface RtpSessionStats {
  packetsIn: number;
  packetsOut: number;
  /** Packets from another payload type or that did not parse. */
  packetsRejected: number;
  /** Outgoing packet slots clocked (sent, or suppressed by DTX). */
  ticks: number;
  /** Outgoing packet slots handled more than 5 ms after they were due. */
  lateFrames: number;
  maxLatenessMs: number;
  /** Ptime the far end uses (ms), once seen. */
  remotePtimeMs: number | null;
  /** Silent packets not sent (DTX). */
  packetsSuppressed: number;
}

export interface RtpSessionOptions {
  socket: Socket;
  codec: CodecName;
  /** Caller audio, 16 kHz PCM, in the order and at the pace it plays out of the jitter buffer. */
  onAudio: (pcm: Int16Array) => void;
  /**
   * Agent audio for the next packet: exactly `samples` of 16 kHz PCM, or null for silence.
   * Called once per outgoing packet, on the pacing clock.
   */
  nextAudio: (samples: number) => Int16Array | null;
  /** After each outgoing packet: what was sent (null: silence) and when it was due. */
  onSent?: (pcm: Int16Array | null, tick: FrameTick) => void;
  /**
   * Discontinuous transmission: after a short run of silence, send nothing until the agent speaks
   * again (the next packet carries the marker bit and the timestamp of its real time). Saves the
   * encoding and sending of silence, which dominates the cost of a G.722 leg. Off by default:
   * some carriers hang up on long media silence. Never before Asterisk has sent us something.
   */
  dtx?: boolean;
  /** A talkspurt started early: the last silent packet had `unplayedSamples` still to run (recordings trim them). */
  onTalkspurt?: (unplayedSamples: number) => void;
  /** The first packet from Asterisk arrived: we know where to send. */
  onRemote?: (remote: { address: string; port: number }) => void;
  jitterTargetMs?: number;
  /**
   * The process's shared clock: outgoing frames run on it, and the caller side (decoding, and
   * `onAudio` behind it) runs as its background work, after any frame that is due. Without one,
   * each session keeps its own timer and handles both sides on every tick.
   */
  clock?: FrameClock;
}

/**
 * One ExternalMedia RTP leg: receives on its own port, learns where Asterisk sends from and sends
 * back there (symmetric RTP), reorders and conceals through a jitter buffer, decodes to 16 kHz
 * (G.722 natively, G.711 upsampled) and sends agent audio encoded on a drift-free clock. Outgoing
 * packets follow the far end's ptime (20 ms until it is known).
 */
export class RtpSession {
  readonly stats: RtpSessionStats = { packetsIn: 0, packetsOut: 0, packetsRejected: 0, ticks: 0, lateFrames: 0, maxLatenessMs: 0, remotePtimeMs: null, packetsSuppressed: 0 };
  readonly codec: AudioCodec;
  remote: { address: string; port: number } | undefined;
  private readonly jitter: JitterBuffer;
  private readonly sequencer: RtpSequencer;
  private pacer: FramePacer | undefined;
  /** Duration of each packet we send: the far end's ptime once seen, 20 ms before. */
  ptimeMs = 20;
  private lastSentSilence = true;
  private silentPackets = 0;
  private lastTickAt = 0;
  private inputBudgetUnits = 0;
  private lastPcm: Int16Array<ArrayBufferLike> = new Int16Array(0);
  private lastGain = 1;
  private closed = false;
  private inputQueued = false;
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
    this.codec = createWidebandCodec(options.codec);
    this.jitter = new JitterBuffer({ clockRate: 8000, adaptive: true, targetDelayMs: options.jitterTargetMs ?? 60, durationOf: (payload) => payload.length });
    this.sequencer = new RtpSequencer({ payloadType: this.codec.payloadType });
    options.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
  }

  get running(): boolean {
    return this.pacer?.running ?? false;
  }

  get jitterStats() {
    return this.jitter.stats;
  }

  /** Starts the clock: from now on a packet goes out every ptime (silence when there is nothing to say). */
  start(): void {
    if (this.closed || this.pacer) return;
    // A shared clock spreads the calls' frames over the ptime instead of bunching them.
    this.startPacer(this.options.clock?.quietestStart(this.ptimeMs));
  }

  /**
   * Where Asterisk receives (UNICASTRTP_LOCAL_ADDRESS/PORT of the ExternalMedia channel), when the
   * dialer knows it: lets us send before Asterisk has sent anything, which a two-party bridge
   * needs (it relays nothing until the far end speaks). The address packets come from still wins.
   */
  setRemote(remote: { address: string; port: number }): void {
    if (this.remote || this.closed) return;
    this.remote = remote;
    this.options.onRemote?.(remote);
  }

  /**
   * Agent audio became available while we were sending silence: start a talkspurt now instead of
   * at the next tick (saves up to one ptime of latency). The new schedule starts here; the RTP
   * timestamp jumps by the time that passed and the marker bit flags the talkspurt, so the far
   * end's jitter buffer re-syncs as it does after any silence.
   */
  talkspurt(): void {
    if (this.closed || !this.pacer?.running || !this.lastSentSilence || !this.remote) return;
    const sinceTick = performance.now() - this.lastTickAt;
    if (sinceTick < 0 || sinceTick >= this.ptimeMs) return;
    this.pacer.stop();
    this.options.onTalkspurt?.(Math.round((this.ptimeMs - sinceTick) * (SAMPLE_RATE / 1000)));
    this.sequencer.skip(Math.round(sinceTick * UNITS_PER_MS));
    // Input keeps its pace: the time since the last tick is already owed to the jitter buffer.
    this.inputBudgetUnits += Math.round(sinceTick * UNITS_PER_MS) - this.ptimeMs * UNITS_PER_MS;
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

  private receive(msg: Buffer, rinfo: { address: string; port: number }): void {
    if (this.closed) return;
    let packet;
    try {
      packet = parseRtpPacket(msg);
    } catch {
      this.stats.packetsRejected++;
      return;
    }
    if (packet.header.payloadType !== this.codec.payloadType || packet.payload.length === 0) {
      this.stats.packetsRejected++;
      return;
    }
    this.stats.packetsIn++;
    if (!this.remote || this.remote.address !== rinfo.address || this.remote.port !== rinfo.port) {
      const first = !this.remote;
      // Symmetric RTP: we talk to where Asterisk talks from.
      this.remote = { address: rinfo.address, port: rinfo.port };
      if (first) this.options.onRemote?.(this.remote);
    }
    if (this.latch === 'none') this.connectTo(this.remote);
    const ptime = Math.round(this.codec.samplesInPayload(packet.payload.length) / (SAMPLE_RATE / 1000));
    if (this.stats.remotePtimeMs !== ptime && ptime >= 10 && ptime <= 60) {
      this.stats.remotePtimeMs = ptime;
      if (ptime !== this.ptimeMs) {
        this.ptimeMs = ptime;
        if (this.pacer) this.startPacer();
      }
    }
    // The payload is a view into msg, which Node does not reuse: no copy needed.
    this.jitter.push(packet);
  }

  private onTick(tick: FrameTick): void {
    if (this.closed) return;
    this.lastTickAt = performance.now();
    this.stats.ticks++;
    if (tick.latenessMs > 5) this.stats.lateFrames++;
    if (tick.latenessMs > this.stats.maxLatenessMs) this.stats.maxLatenessMs = tick.latenessMs;
    // The outgoing frame first: it is the part that cannot be late.
    this.sendFrame(tick);
    // Then the caller's side of the same interval: now, or as background work of the clock.
    this.inputBudgetUnits += this.ptimeMs * UNITS_PER_MS;
    if (!this.options.clock) this.pullInput();
    else if (!this.inputQueued) {
      this.inputQueued = true;
      this.options.clock.defer(this.drainInput);
    }
  }

  private sendFrame(tick: FrameTick): void {
    const samples = (this.ptimeMs * SAMPLE_RATE) / 1000;
    if (tick.skippedBefore > 0) this.sequencer.skip(tick.skippedBefore * this.ptimeMs * UNITS_PER_MS);
    const pcm = this.options.nextAudio(samples);
    this.lastSentSilence = pcm === null;
    this.silentPackets = pcm === null ? this.silentPackets + 1 : 0;
    if (pcm === null && this.options.dtx && this.stats.packetsIn > 0 && this.silentPackets > DTX_HANGOVER_PACKETS) {
      this.sequencer.skip(this.ptimeMs * UNITS_PER_MS);
      this.stats.packetsSuppressed++;
    } else if (this.remote) {
      const payload = pcm ? this.codec.encode(pcm) : this.codec.encodeSilence(samples);
      // A fresh buffer per packet: dgram keeps a reference until the send completes.
      const out = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
      writeRtpHeader(this.sequencer.next(this.ptimeMs * UNITS_PER_MS), out, 0);
      out.set(payload, RTP_HEADER_SIZE);
      this.transmit(out);
    }
    this.options.onSent?.(pcm, tick);
  }

  private transmit(packet: Buffer): void {
    const socket = this.options.socket;
    if (this.latch === 'connected') socket.send(packet);
    else if (this.latch === 'connecting') this.heldPacket = packet;
    else socket.send(packet, this.remote!.port, this.remote!.address);
    this.stats.packetsOut++;
  }

  private connectTo(remote: { address: string; port: number }): void {
    const socket = this.options.socket;
    this.latch = 'connecting';
    const onError = () => {
      // Not connected after all: address every packet, as before the latch.
      this.latch = 'failed';
      if (this.heldPacket && this.remote && !this.closed) socket.send(this.heldPacket, this.remote.port, this.remote.address);
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
    while (this.inputBudgetUnits > 0) {
      const frame = this.jitter.pop();
      if (!frame) {
        // No packets is silence (Asterisk relays nothing while the far end is quiet): the caller's
        // audio keeps its clock, so VAD and endpointing see the pause.
        this.options.onAudio(new Int16Array(this.inputBudgetUnits * 2));
        this.inputBudgetUnits = 0;
        return;
      }
      this.inputBudgetUnits -= frame.durationUnits;
      let pcm: Int16Array<ArrayBufferLike>;
      if (frame.kind === 'audio') {
        pcm = this.codec.decode(frame.payload);
        this.lastPcm = pcm;
        this.lastGain = 1;
      } else {
        pcm = concealPcm(this.lastPcm, frame.gain, new Int16Array(frame.durationUnits * 2), this.lastGain);
        this.lastGain = frame.gain;
      }
      this.options.onAudio(pcm);
    }
  }
}
