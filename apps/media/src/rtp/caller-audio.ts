import { type AudioCodec, concealPcm, createWidebandCodec, type CodecName, JitterBuffer, type JitterBufferStats, parseRtpPacket } from '@parley/audio';

export const SAMPLE_RATE = 16000;
/** RTP clock units per ms, and per payload byte 1: true of all three codecs (G.722 keeps the 8000 Hz clock). */
export const UNITS_PER_MS = 8;

/** The longest frame a far end sends: 60 ms at 16 kHz. */
const MAX_FRAME_SAMPLES = 960;

export interface RtpRemote {
  address: string;
  port: number;
}

export interface CallerAudioOptions {
  codec: CodecName;
  /**
   * Caller audio, 16 kHz PCM, in the order and at the pace it plays out of the jitter buffer. The
   * array is reused once the callback returns: copy what you keep.
   */
  onAudio: (pcm: Int16Array) => void;
  /** Packets come from somewhere new (the first time, or Asterisk moved): send there from now on. */
  onSource: (remote: RtpRemote) => void;
  /** The far end's packets last this long (10-60 ms): ours should too. */
  onPtime: (ms: number) => void;
  jitterTargetMs?: number;
}

export interface CallerAudioStats {
  packetsIn: number;
  /** Packets from another payload type or that did not parse. */
  packetsRejected: number;
  /** Ptime the far end uses (ms), once seen. */
  remotePtimeMs: number | null;
}

/**
 * The caller's side of an ExternalMedia leg: takes Asterisk's packets (PT 9 G.722, 0 ulaw or 8
 * alaw; anything else is rejected), learns where they come from and how long they are, reorders
 * and conceals through an adaptive jitter buffer, and plays the caller's audio out as 16 kHz PCM
 * (G.722 natively, G.711 upsampled) at the pace its owner's clock asks for.
 */
export class CallerAudio {
  readonly stats: CallerAudioStats = { packetsIn: 0, packetsRejected: 0, remotePtimeMs: null };
  remote: RtpRemote | undefined;
  private readonly codec: AudioCodec;
  private readonly jitter: JitterBuffer;
  private budgetUnits = 0;
  /** Where each frame is decoded (60 ms at most, with room for the upsampler). */
  private readonly decoded = new Int16Array(MAX_FRAME_SAMPLES + 8);
  /** The last audio played, repeated (fading) to conceal a loss. */
  private lastPcm: Int16Array = new Int16Array(MAX_FRAME_SAMPLES);
  private lastLength = 0;
  private lastGain = 1;
  private concealed = new Int16Array(MAX_FRAME_SAMPLES);
  private silence = new Int16Array(MAX_FRAME_SAMPLES);

  constructor(private readonly options: CallerAudioOptions) {
    this.codec = createWidebandCodec(options.codec);
    this.jitter = new JitterBuffer({ clockRate: 8000, adaptive: true, targetDelayMs: options.jitterTargetMs ?? 60, durationOf: (payload) => payload.length });
  }

  get jitterStats(): JitterBufferStats {
    return this.jitter.stats;
  }

  /** One datagram from `from`, which arrived at `arrivedAt` (performance.now() ms; default now). */
  receive(datagram: Buffer, from: RtpRemote, arrivedAt?: number): void {
    let packet;
    try {
      packet = parseRtpPacket(datagram);
    } catch {
      this.stats.packetsRejected++;
      return;
    }
    if (packet.header.payloadType !== this.codec.payloadType || packet.payload.length === 0) {
      this.stats.packetsRejected++;
      return;
    }
    this.stats.packetsIn++;
    if (!this.remote || this.remote.address !== from.address || this.remote.port !== from.port) {
      // Symmetric RTP: we talk to where Asterisk talks from.
      this.remote = { address: from.address, port: from.port };
      this.options.onSource(this.remote);
    }
    const ptime = Math.round(this.codec.samplesInPayload(packet.payload.length) / (SAMPLE_RATE / 1000));
    if (this.stats.remotePtimeMs !== ptime && ptime >= 10 && ptime <= 60) {
      this.stats.remotePtimeMs = ptime;
      this.options.onPtime(ptime);
    }
    // The payload is a view into the datagram, which is not reused: no copy needed.
    this.jitter.push(packet, arrivedAt);
  }

  /** `units` more RTP clock units of time have passed: plays that much audio out of the jitter buffer. */
  play(units: number): void {
    this.budgetUnits += units;
    while (this.budgetUnits > 0) {
      const frame = this.jitter.pop();
      if (!frame) {
        // No packets is silence (Asterisk relays nothing while the far end is quiet): the caller's
        // audio keeps its clock, so VAD and endpointing see the pause.
        const samples = this.budgetUnits * 2;
        if (this.silence.length < samples) this.silence = new Int16Array(samples);
        this.options.onAudio(this.silence.subarray(0, samples));
        this.budgetUnits = 0;
        return;
      }
      this.budgetUnits -= frame.durationUnits;
      if (frame.kind === 'audio' && frame.payload.length <= MAX_FRAME_SAMPLES / 2) {
        const pcm = this.codec.decode(frame.payload, this.decoded);
        this.lastPcm.set(pcm);
        this.lastLength = pcm.length;
        this.lastGain = 1;
        this.options.onAudio(pcm);
      } else if (frame.kind === 'audio') {
        // Longer than any ptime Asterisk sends: decoded into a fresh array.
        this.lastLength = 0;
        this.options.onAudio(this.codec.decode(frame.payload));
      } else {
        const samples = frame.durationUnits * 2;
        if (this.concealed.length < samples) this.concealed = new Int16Array(samples);
        const out = this.concealed.subarray(0, samples);
        concealPcm(this.lastPcm.subarray(0, this.lastLength), frame.gain, out, this.lastGain);
        this.lastGain = frame.gain;
        this.options.onAudio(out);
      }
    }
  }
}
