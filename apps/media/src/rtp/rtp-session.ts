import type { Socket } from 'node:dgram';
import {
  type AudioCodec,
  concealPcm,
  createWidebandCodec,
  type CodecName,
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
/** Silent packets after which a G.711 encoder (and its resampler) only produces the same payload. */
const SILENCE_SETTLE_PACKETS = 8;
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
  private cachedSilence: { samples: number; payload: Buffer } | undefined;
  private lastTickAt = 0;
  private inputBudgetUnits = 0;
  private lastPcm: Int16Array<ArrayBufferLike> = new Int16Array(0);
  private lastGain = 1;
  private closed = false;
  private readonly silence: Int16Array;

  constructor(private readonly options: RtpSessionOptions) {
    this.codec = createWidebandCodec(options.codec);
    this.silence = new Int16Array(SAMPLE_RATE / 50);
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
    this.startPacer();
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

  private startPacer(): void {
    this.pacer?.stop();
    this.pacer = new FramePacer({ frameMs: this.ptimeMs, onFrame: (tick) => this.onTick(tick) });
    this.pacer.start();
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
    this.pullInput();
    const samples = (this.ptimeMs * SAMPLE_RATE) / 1000;
    if (tick.skippedBefore > 0) this.sequencer.skip(tick.skippedBefore * this.ptimeMs * UNITS_PER_MS);
    const pcm = this.options.nextAudio(samples);
    this.lastSentSilence = pcm === null;
    this.silentPackets = pcm === null ? this.silentPackets + 1 : 0;
    if (pcm === null && this.options.dtx && this.stats.packetsIn > 0 && this.silentPackets > DTX_HANGOVER_PACKETS) {
      this.sequencer.skip(this.ptimeMs * UNITS_PER_MS);
      this.stats.packetsSuppressed++;
    } else if (this.remote) {
      const payload = pcm ? this.codec.encode(pcm) : this.encodeSilence(samples);
      // A fresh buffer per packet: dgram keeps a reference until the send completes.
      const out = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
      writeRtpHeader(this.sequencer.next(this.ptimeMs * UNITS_PER_MS), out, 0);
      out.set(payload, RTP_HEADER_SIZE);
      this.options.socket.send(out, this.remote.port, this.remote.address);
      this.stats.packetsOut++;
    }
    this.options.onSent?.(pcm, tick);
  }

  /**
   * Silence, encoded. G.711 settles on a constant payload within a few packets of silence (its
   * 2:1 resampler's history is all zeros by then), so steady silence reuses that payload instead of
   * encoding. G.722's adaptive predictor never settles on one payload: it is always encoded, so the
   * far end's decoder state stays exactly in step with ours.
   */
  private encodeSilence(samples: number): Buffer {
    if (this.cachedSilence && this.cachedSilence.samples === samples && this.silentPackets > SILENCE_SETTLE_PACKETS) return this.cachedSilence.payload;
    const payload = this.codec.encode(samples === this.silence.length ? this.silence : new Int16Array(samples));
    if (this.codec.name !== 'g722' && this.silentPackets === SILENCE_SETTLE_PACKETS) this.cachedSilence = { samples, payload: Buffer.from(payload) };
    return payload;
  }

  /** Plays out of the jitter buffer as much audio as one tick lasts. */
  private pullInput(): void {
    this.inputBudgetUnits += this.ptimeMs * UNITS_PER_MS;
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
