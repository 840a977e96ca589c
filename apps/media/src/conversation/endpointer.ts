/**
 * Turns VAD probabilities into caller turns. Speech starts after `minSpeechMs` of windows at or
 * above the start threshold; once speaking, it ends after `silenceMs` of windows below the end
 * threshold (hysteresis). Times are offsets in the caller's audio (ms), so the machine is
 * deterministic and testable without a clock.
 */
export interface EndpointerOptions {
  startThreshold: number;
  endThreshold: number;
  /** Voiced audio needed before speech counts as started (filters clicks and coughs). */
  minSpeechMs: number;
  /** Unvoiced audio that ends the turn. */
  silenceMs: number;
  /** Unvoiced audio after which a `pause` is reported (once per pause), for a reply prepared before the turn surely ended. */
  pauseMs?: number;
}

export type EndpointEvent =
  /** Speech began at `atMs` (the first voiced window). */
  | { type: 'speech_start'; atMs: number }
  /** The turn ended: speech ran from startMs to endMs (the end of the last voiced window); emitted `silenceMs` later. */
  | { type: 'speech_end'; startMs: number; endMs: number }
  /** The speaker has been quiet for `pauseMs` since `endMs`: the turn may be over. Emitted once per pause. */
  | { type: 'pause'; startMs: number; endMs: number };

export class Endpointer {
  private state: 'silence' | 'maybe_speech' | 'speech' = 'silence';
  private candidateStart = 0;
  private voicedRunMs = 0;
  private speechStart = 0;
  private lastVoicedEnd = 0;
  private pauseReported = false;
  /** The silence that ends the current pause (set from what was said so far), else the configured one. */
  private pauseSilenceMs: number | undefined;
  /** A shorter silence for short speech (`shortSpeech`), while it is set. */
  private short: { maxSpeechMs: number; silenceMs: number } | undefined;

  constructor(private readonly options: EndpointerOptions) {}

  get speaking(): boolean {
    return this.state === 'speech';
  }

  /** Start of the current speech, while speaking. */
  get currentSpeechStartMs(): number | undefined {
    return this.state === 'speech' ? this.speechStart : undefined;
  }

  /** Voiced audio so far in the current speech, ms (from its start to the last voiced window). */
  get currentSpeechMs(): number {
    return this.state === 'speech' ? this.lastVoicedEnd - this.speechStart : 0;
  }

  /** One VAD window that starts at `atMs` and lasts `durationMs`. */
  push(probability: number, atMs: number, durationMs: number): EndpointEvent[] {
    const end = atMs + durationMs;
    switch (this.state) {
      case 'silence':
        if (probability >= this.options.startThreshold) {
          this.state = 'maybe_speech';
          this.candidateStart = atMs;
          this.voicedRunMs = durationMs;
          this.lastVoicedEnd = end;
          return this.confirmIfLongEnough();
        }
        return [];
      case 'maybe_speech':
        if (probability >= this.options.endThreshold) {
          this.voicedRunMs += durationMs;
          this.lastVoicedEnd = end;
          return this.confirmIfLongEnough();
        }
        this.state = 'silence';
        return [];
      case 'speech':
        if (probability >= this.options.endThreshold) {
          this.lastVoicedEnd = end;
          this.pauseReported = false;
          this.pauseSilenceMs = undefined;
          return [];
        }
        if (end - this.lastVoicedEnd >= this.silenceMs) {
          this.state = 'silence';
          return [{ type: 'speech_end', startMs: this.speechStart, endMs: this.lastVoicedEnd }];
        }
        if (this.options.pauseMs !== undefined && !this.pauseReported && end - this.lastVoicedEnd >= this.options.pauseMs) {
          this.pauseReported = true;
          return [{ type: 'pause', startMs: this.speechStart, endMs: this.lastVoicedEnd }];
        }
        return [];
    }
  }

  /** Forget any speech in progress (e.g. the agent takes the floor after a voicemail beep). */
  reset(): void {
    this.state = 'silence';
  }

  /**
   * The silence that ends the current pause, instead of the configured one (shorter after what looks like a complete
   * sentence, longer after a trailing "and"); back to the configured one when speech resumes.
   */
  setPauseSilence(ms: number): void {
    if (this.state === 'speech') this.pauseSilenceMs = ms;
  }

  /** The silence that will end the current pause. */
  get silenceMs(): number {
    if (this.pauseSilenceMs !== undefined) return this.pauseSilenceMs;
    if (this.short && this.lastVoicedEnd - this.speechStart <= this.short.maxSpeechMs) return this.short.silenceMs;
    return this.options.silenceMs;
  }

  /**
   * Speech up to `maxSpeechMs` long ends after `silenceMs` instead (a callee's "Hello?" that a ready greeting answers);
   * undefined: no more. A silence set for the current pause (`setPauseSilence`) still comes first.
   */
  shortSpeech(rule: { maxSpeechMs: number; silenceMs: number } | undefined): void {
    this.short = rule;
  }

  /** End of the last voiced window of the current speech, while speaking (a pause's identity: it changes when speech resumes). */
  get lastVoicedEndMs(): number | undefined {
    return this.state === 'speech' ? this.lastVoicedEnd : undefined;
  }

  private confirmIfLongEnough(): EndpointEvent[] {
    if (this.voicedRunMs < this.options.minSpeechMs) return [];
    this.state = 'speech';
    this.pauseReported = false;
    this.pauseSilenceMs = undefined;
    this.speechStart = this.candidateStart;
    return [{ type: 'speech_start', atMs: this.candidateStart }];
  }
}
