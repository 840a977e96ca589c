/**
 * Where the conversation's speech goes: 16 kHz PCM queued by TTS and played out by an RTP leg's
 * clock. Each queued piece can carry a callback for when its first sample went out (the first RTP
 * packet of a turn), told when that was (performance.now() ms). `clear()` drops everything at
 * once (barge-in).
 */
export interface AgentAudioOut {
  push(pcm: Int16Array, onFirstOut?: (sentAt: number) => void): void;
  /** Drops everything queued. */
  clear(): void;
  /** Resolves once everything queued so far has been played (or cleared). */
  drained(): Promise<void>;
  /** Something is queued and not yet played. */
  readonly playing: boolean;
}

interface Piece {
  pcm: Int16Array;
  offset: number;
  onFirstOut?: (sentAt: number) => void;
}

/** The agent's audio for a leg whose clock runs in JavaScript: read one packet at a time. */
export class Playout implements AgentAudioOut {
  private pieces: Piece[] = [];
  private bufferedSamples = 0;
  private idleWaiters: Array<() => void> = [];
  /** Total agent samples sent so far (the agent's talk time, for transcripts and stats). */
  samplesPlayed = 0;

  /** Called when audio is queued while nothing was playing (lets the RTP clock start a talkspurt at once). */
  onAudioAvailable: (() => void) | undefined;

  get playing(): boolean {
    return this.bufferedSamples > 0;
  }

  get bufferedMs(): number {
    return this.bufferedSamples / 16;
  }

  push(pcm: Int16Array, onFirstOut?: (sentAt: number) => void): void {
    if (pcm.length === 0) {
      onFirstOut?.(performance.now());
      return;
    }
    const wasIdle = this.bufferedSamples === 0;
    this.pieces.push({ pcm, offset: 0, onFirstOut });
    this.bufferedSamples += pcm.length;
    if (wasIdle) this.onAudioAvailable?.();
  }

  /** Exactly `samples` of audio (zero-padded at the end of playout), or null when there is nothing to play. */
  read(samples: number): Int16Array | null {
    if (this.bufferedSamples === 0) return null;
    const out = new Int16Array(samples);
    let filled = 0;
    while (filled < samples && this.pieces.length > 0) {
      const piece = this.pieces[0]!;
      if (piece.offset === 0 && piece.onFirstOut) {
        const cb = piece.onFirstOut;
        piece.onFirstOut = undefined;
        cb(performance.now());
      }
      const take = Math.min(samples - filled, piece.pcm.length - piece.offset);
      out.set(piece.pcm.subarray(piece.offset, piece.offset + take), filled);
      piece.offset += take;
      filled += take;
      if (piece.offset >= piece.pcm.length) this.pieces.shift();
    }
    this.bufferedSamples -= filled;
    this.samplesPlayed += filled;
    if (this.bufferedSamples === 0) this.notifyIdle();
    return out;
  }

  clear(): void {
    this.pieces = [];
    this.bufferedSamples = 0;
    this.notifyIdle();
  }

  drained(): Promise<void> {
    if (this.bufferedSamples === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
