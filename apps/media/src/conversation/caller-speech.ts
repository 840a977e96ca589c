import { rms } from '@parley/audio';
import { type Stt, SttCall, type SttResult, type SttStream, type VadStream } from '../providers/types';
import { CallerAudioHistory } from './caller-audio-history';
import type { ConversationLogger, ConversationSettings } from './conversation-inputs';
import { Endpointer } from './endpointer';
import type { TurnMarks } from './turn-latency';

const RATE = 16000;
const PREROLL_MS = 300;
const MAX_UTTERANCE_MS = 30_000;

const toSample = (ms: number) => (ms * RATE) / 1000;

/** One turn of the caller's speech, cut from their audio once it ended. */
export interface CallerUtterance {
  audio: Int16Array;
  startMs: number;
  endMs: number;
  marks: TurnMarks;
}

/** What the caller's side tells the conversation, in the order it hears it. */
export interface CallerSpeechEvents {
  /** Speech started (recognition of it is streaming, if the engine streams). */
  speechStart(): void;
  /** The caller has been quiet since `pauseAt` (caller audio ms); their audio has been heard up to `heardMs`. */
  pause(pauseAt: number, heardMs: number): void;
  /** The caller's turn ended. */
  speechEnd(utterance: CallerUtterance): void;
  /** A window of caller audio was handled (after its events): whether they are speaking now may have changed. */
  heard(): void;
}

/**
 * The caller's side of the conversation: their audio, kept as far back as an utterance may need, goes window by
 * window through the VAD (in order, whatever each answer takes) and the endpointer, and into the recognition of the
 * speech it belongs to when the engine streams. Times are offsets in the caller's audio (ms).
 */
export class CallerSpeech {
  readonly endpointer: Endpointer;
  private readonly audio: CallerAudioHistory;
  private windowTail: Promise<void> = Promise.resolve();
  private lastLoudMs = 0;
  /** Caller audio handled by the VAD so far (ms): the end of the last window. */
  private handledMs = 0;
  /** Recognition of the caller's current speech, fed as it is heard (when the engine streams). */
  private sttStream: SttStream | undefined;
  /** This call's recognition state, kept by the engine between its utterances (never another call's). */
  private readonly sttCall = new SttCall();
  /** Tells the engine this call is over (it got ready for it: `Stt.expectCall`). */
  private readonly callOver: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly deps: { stt: Stt; vad: VadStream; vadWindowSamples: number; settings: ConversationSettings; language: string; logger: ConversationLogger },
    private readonly events: CallerSpeechEvents,
  ) {
    const s = deps.settings;
    this.endpointer = new Endpointer({ startThreshold: s.vadStartThreshold, endThreshold: s.vadEndThreshold, minSpeechMs: s.minSpeechMs, silenceMs: s.endpointingSilenceMs, pauseMs: s.pauseMs });
    this.audio = new CallerAudioHistory(deps.vadWindowSamples);
    this.callOver = deps.stt.expectCall?.();
  }

  /** The recognition streaming the current speech, if any. */
  get stream(): SttStream | undefined {
    return this.sttStream;
  }

  /** Caller audio received so far (ms), all of it handed to the VAD. */
  get receivedMs(): number {
    return (this.audio.samples * 1000) / RATE;
  }

  /** How long the caller's audio has been quiet (no loud window), up to what was received. */
  get quietMs(): number {
    return this.receivedMs - this.lastLoudMs;
  }

  /** Caller audio, 16 kHz, as it plays out of the jitter buffer. */
  push(pcm: Int16Array): void {
    this.audio.append(pcm, (window, startSample) => {
      const atMs = (startSample * 1000) / RATE;
      if (rms(window) > 600) this.lastLoudMs = atMs + (window.length * 1000) / RATE;
      const p = this.deps.vad.probability(window);
      this.windowTail = this.windowTail.then(async () => {
        let probability = 0;
        try {
          probability = await p;
        } catch (err) {
          this.deps.logger.warn({ err }, 'vad failed on a window');
        }
        this.onWindow(window, atMs, probability);
      });
    });
  }

  /** Takes over the recognition streaming the current speech: the next speech gets its own. */
  takeStream(): SttStream | undefined {
    const stream = this.sttStream;
    this.sttStream = undefined;
    return stream;
  }

  dropStream(): void {
    this.sttStream?.cancel();
    this.sttStream = undefined;
  }

  /**
   * The caller goes on with speech whose stream was taken (a reply prepared in a pause, then dropped): recognition of
   * it starts again, fed everything from its start, and catches up while they speak, so its end waits for the final
   * pass only instead of a whole-utterance decode.
   */
  restream(): void {
    const start = this.endpointer.currentSpeechStartMs;
    if (this.sttStream || start === undefined || this.closed) return;
    this.sttStream = this.deps.stt.stream?.({ language: this.deps.language, call: this.sttCall });
    this.sttStream?.write(this.audio.copy(toSample(start - PREROLL_MS), toSample(this.handledMs), toSample(this.handledMs)));
  }

  /** What the utterance said: from its streamed recognition, or (without one, or if it failed) the audio recognized now. */
  async recognize(audio: Int16Array, stream: SttStream | undefined): Promise<SttResult> {
    if (stream) {
      try {
        return await stream.finish();
      } catch (err) {
        this.deps.logger.warn({ err }, 'streamed recognition failed; recognizing the utterance in one piece');
      }
    }
    return this.deps.stt.transcribe(audio, { language: this.deps.language, call: this.sttCall });
  }

  /** The call is over: windows still in the VAD are ignored. */
  close(): void {
    this.closed = true;
    this.callOver?.();
    this.dropStream();
    this.deps.vad.close();
  }

  private onWindow(pcm: Int16Array, atMs: number, probability: number): void {
    if (this.closed) return;
    const durationMs = (pcm.length * 1000) / RATE;
    // What an utterance may need: from its speech start (or now) less the pre-roll, at most MAX_UTTERANCE_MS back.
    const keepFrom = Math.max((this.endpointer.currentSpeechStartMs ?? atMs) - PREROLL_MS, atMs - MAX_UTTERANCE_MS);
    this.audio.forgetBefore(toSample(keepFrom));

    // The window goes to the stream of the speech it belongs to (the one that ends here included).
    this.sttStream?.write(pcm);
    const heardMs = atMs + durationMs;
    this.handledMs = heardMs;
    for (const event of this.endpointer.push(probability, atMs, durationMs)) {
      if (event.type === 'speech_start') this.onSpeechStart(event.atMs, heardMs);
      else if (event.type === 'pause') this.events.pause(event.endMs, heardMs);
      else this.onSpeechEnd(event.startMs, event.endMs, heardMs);
    }
    this.events.heard();
  }

  /** Speech confirmed (it began at `atMs`); the caller's audio has been heard up to `heardMs`. */
  private onSpeechStart(atMs: number, heardMs: number): void {
    this.dropStream();
    this.sttStream = this.deps.stt.stream?.({ language: this.deps.language, call: this.sttCall });
    this.sttStream?.write(this.audio.copy(toSample(atMs - PREROLL_MS), toSample(heardMs), toSample(heardMs)));
    this.events.speechStart();
  }

  /** `decidedAtMs`: the caller audio time at which the silence was long enough. */
  private onSpeechEnd(startMs: number, endMs: number, decidedAtMs: number): void {
    // Audio time to wall time: audio up to receivedMs has been handed to the VAD by now. What the
    // VAD has not yet answered for is its lag, which the turn's added latency should show.
    const now = performance.now();
    const marks: TurnMarks = { speechEnd: now - (this.receivedMs - endMs), endpointDue: now - (this.receivedMs - decidedAtMs), endpoint: now };
    const audio = this.audio.copy(toSample(startMs - PREROLL_MS), toSample(endMs + 200), toSample(decidedAtMs));
    this.events.speechEnd({ audio, startMs, endMs, marks });
  }
}
