import { concatPcm, rms } from '@parley/audio';
import type { SttResult, SttStream } from '../types';

/** Recognizes one piece of audio (16 kHz), as the engine does a whole utterance. */
export type RecognizePiece = (pcm: Int16Array, signal: AbortSignal) => Promise<SttResult>;

const FRAME = 320;
/** A later piece is speech when a 20 ms frame of it is at least this loud (rms)... */
const MIN_SPEECH_RMS = 300;
/** ...and at least this share of the loudest frame heard before it (a quiet line's speech, a loud line's noise). */
const SPEECH_SHARE_OF_LOUDEST = 0.25;

/**
 * Streaming for an engine that recognizes only whole pieces of audio (Whisper, an OpenAI-compatible server). The audio
 * is kept as it comes. Each `partial()` recognizes what came since the one before, and answers with all the words so
 * far: the conversation asks at the caller's pauses, so pieces end in silence, not inside a word. `finish()` then
 * recognizes only what came after the last piece, and only if some of it is speech (these engines make words out of
 * silence). So at the end of a turn the engine has the tail after the pause, not the whole utterance, and a reply
 * can be prepared during the pause on the words so far.
 */
export class ChunkedSttStream implements SttStream {
  private pending: Int16Array[] = [];
  private readonly texts: string[] = [];
  private pieces: Promise<void> = Promise.resolve();
  private failure: unknown;
  private loudest = 0;
  private readonly controller = new AbortController();

  constructor(private readonly recognize: RecognizePiece) {}

  write(pcm: Int16Array): void {
    this.pending.push(pcm.slice());
  }

  async partial(): Promise<string> {
    this.cut();
    await this.pieces;
    if (this.failure) throw this.failure;
    return this.texts.join(' ');
  }

  /** The last piece (if any of it is speech), then all the words. */
  async finish(): Promise<SttResult> {
    return { text: await this.partial() };
  }

  cancel(): void {
    this.controller.abort();
  }

  /** What came since the last piece becomes the next one, recognized after those before it. */
  private cut(): void {
    const audio = this.pending.length === 1 ? this.pending[0]! : concatPcm(this.pending);
    this.pending = [];
    const first = this.loudest === 0;
    const loudest = loudestFrame(audio);
    // The first piece starts at the speech; a later one may be only the silence after a pause.
    if (audio.length === 0 || (!first && loudest < Math.max(MIN_SPEECH_RMS, this.loudest * SPEECH_SHARE_OF_LOUDEST))) return;
    this.loudest = Math.max(this.loudest, loudest, 1);
    const signal = this.controller.signal;
    this.pieces = this.pieces.then(async () => {
      if (this.failure !== undefined || signal.aborted) return;
      try {
        const { text } = await this.recognize(audio, signal);
        if (text.trim()) this.texts.push(text.trim());
      } catch (err) {
        this.failure = err;
      }
    });
  }
}

function loudestFrame(pcm: Int16Array): number {
  let loudest = 0;
  for (let o = 0; o < pcm.length; o += FRAME) loudest = Math.max(loudest, rms(pcm, o, Math.min(o + FRAME, pcm.length)));
  return loudest;
}
