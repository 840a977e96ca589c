/**
 * The four capabilities of the voice loop, one small interface each; an engine is one file
 * implementing one of them (providers/<kind>/<engine>.ts). Audio is 16 kHz mono PCM throughout.
 */

/** Voice activity: the probability that a window of audio is speech. */
export interface Vad {
  /** Samples per window the model wants (Silero: 512 at 16 kHz). */
  readonly windowSamples: number;
  /** Per-call state (the model is recurrent). */
  createStream(): VadStream;
}

export interface VadStream {
  /**
   * Speech probability (0..1) of the next window, exactly `windowSamples` long. Calls resolve in
   * order. The window may be kept until its answer and the next window's: do not change it.
   */
  probability(window: Int16Array): Promise<number>;
  close(): void;
}

export interface SttResult {
  text: string;
}

/**
 * Recognition of one utterance while it is spoken: audio goes in as it arrives, so the text is ready soon after the
 * caller stops instead of a whole utterance's recognition later.
 */
export interface SttStream {
  /** The next audio of the utterance, in order. The array may be reused by the caller after the call. */
  write(pcm: Int16Array): void;
  /**
   * The words recognized so far: cheaply, before the engine's final passes (pocketsphinx), or by recognizing what came
   * since the last call as one piece (ChunkedSttStream, asked at pauses); empty when it cannot tell.
   */
  partial?(): Promise<string>;
  /** The utterance is over: its transcript. Rejects if recognition failed (recognize the audio in one piece then). */
  finish(): Promise<SttResult>;
  /** The utterance is dropped: frees the engine. */
  cancel(): void;
}

/**
 * One call's recognition, as the engine keeps it between the call's utterances (pocketsphinx: the cepstral mean its
 * last utterance ended with). Opaque: a call makes one and passes it with each of its utterances; calls never share one.
 */
export class SttCall {
  private readonly kind = 'stt-call';
}

/** Speech to text of one utterance: in one piece once it is over, or streamed while it is spoken where the engine can. */
export interface Stt {
  readonly name: string;
  /** `call`: the call the utterance belongs to (without it, the utterance starts from the engine's initial state). */
  transcribe(pcm: Int16Array, options: { language: string; signal?: AbortSignal; call?: SttCall }): Promise<SttResult>;
  /** A stream for one utterance, or undefined when the engine cannot stream (now): then `transcribe` it when it ends. */
  stream?(options: { language: string; call?: SttCall }): SttStream | undefined;
  /**
   * A call has started listening and will want recognition: the engine may get ready for it in the background
   * (pocketsphinx loads a decoder for each call, up to its maximum). The returned function says the call is over.
   */
  expectCall?(): () => void;
  close?(): Promise<void> | void;
}

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: LlmToolCall[];
  tool_call_id?: string;
}

export interface LlmToolCall {
  id: string;
  name: string;
  /** Raw JSON text of the arguments, as the model produced it. */
  arguments: string;
}

export interface LlmToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** `model`: the model the server says is answering (once, when it says so). */
export type LlmChunk = { type: 'text'; text: string } | { type: 'tool_call'; call: LlmToolCall } | { type: 'model'; model: string };

export interface LlmRequest {
  messages: LlmMessage[];
  tools: LlmToolSpec[];
  model?: string;
  temperature?: number;
  maxTokens?: number;
  signal: AbortSignal;
}

/** A chat model, streamed: text as it comes, tool calls once complete. Aborting the signal ends the stream. */
export interface Llm {
  readonly name: string;
  /** Its tool calls are the answer's actions, not questions it wants the results of: no second round follows them. */
  readonly actsOnly?: boolean;
  stream(request: LlmRequest): AsyncIterable<LlmChunk>;
}

export interface TtsOptions {
  voice: string | null;
  language: string;
  signal: AbortSignal;
}

/** Text to speech: 16 kHz PCM chunks as they are synthesized. Aborting the signal stops synthesis. */
export interface Tts {
  readonly name: string;
  synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array>;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly provider: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${message}`, options);
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'APIUserAbortError' || /aborted/i.test(err.message));
}
