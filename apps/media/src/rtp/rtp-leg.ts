import type { CodecName, JitterBufferStats } from '@parley/audio';
import type { AgentAudioOut } from '../conversation/playout';
import type { RtpRemote } from './caller-audio';

export interface RtpLegStats {
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

/** What a leg tells its owner. */
export interface RtpLegEvents {
  /** Caller audio, 16 kHz PCM, in the order and at the pace it plays out of the jitter buffer. */
  onAudio: (pcm: Int16Array) => void;
  /** What went out, in order, 16 kHz, silence as zeros (the recording's agent channel). */
  onAgentAudio?: (pcm: Int16Array) => void;
  /** A talkspurt started early: the last `samples` handed to onAgentAudio did not play. */
  onAgentAudioTrim?: (samples: number) => void;
  /** The first packet from Asterisk arrived, or the dialer told us where Asterisk listens: we know where to send. */
  onRemote?: (remote: RtpRemote) => void;
  /** Outgoing frames that went out more than 5 ms late. */
  onLateFrames?: (count: number) => void;
}

export interface RtpLegOptions extends RtpLegEvents {
  codec: CodecName;
  /**
   * Discontinuous transmission: after a short run of silence, send nothing until the agent speaks
   * again (the next packet carries the marker bit and the timestamp of its real time). Off by
   * default: some carriers hang up on long media silence. Never before Asterisk has sent us something.
   */
  dtx?: boolean;
}

/**
 * One ExternalMedia RTP leg: receives on its own port, learns where Asterisk sends from and sends
 * back there (symmetric RTP, latched), plays the caller's audio out of a jitter buffer, and sends
 * the agent's audio (`playout`) encoded on a drift-free clock, silence when there is nothing to
 * say, in the far end's ptime (20 ms until it is known). Two implementations: the native engine's
 * (`NativeRtpLeg`) and the event loop's (`RtpSession`).
 */
export interface RtpLeg {
  readonly port: number;
  readonly codec: CodecName;
  /** The agent's audio goes here. */
  readonly playout: AgentAudioOut;
  readonly remote: RtpRemote | undefined;
  /** Duration of each packet we send: the far end's ptime once seen, 20 ms before. */
  readonly ptimeMs: number;
  readonly stats: RtpLegStats;
  readonly jitterStats: JitterBufferStats;
  /** Starts the clock: from now on a packet goes out every ptime (silence when there is nothing to say). */
  start(): void;
  /**
   * Where Asterisk receives (UNICASTRTP_LOCAL_ADDRESS/PORT of the ExternalMedia channel), when the
   * dialer knows it: lets us send before Asterisk has sent anything, which a two-party bridge
   * needs (it relays nothing until the far end speaks). The address packets come from still wins.
   */
  setRemote(remote: RtpRemote): void;
  close(): void;
}
