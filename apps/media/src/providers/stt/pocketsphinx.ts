import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError, type Stt, type SttCall, type SttResult, type SttStream } from '../types';

/** A decoder's live cepstral mean (CMN) state, opaque: what an utterance ended with, to start the call's next one from. */
type CmnState = Float64Array;

interface NativeDecoder {
  /** `cmn`: the state to start from (undefined: the model's initial one); the result has the state it ended with. */
  decode(pcm: Int16Array, cmn?: CmnState): Promise<{ text: string; score: number; cmn: CmnState }>;
  /** Without `cmn` but with `meanFrom`: starts from the mean of that audio's cepstra (as a whole-utterance decode does). */
  begin(cmn?: CmnState, meanFrom?: Int16Array): Promise<void>;
  feed(pcm: Int16Array): Promise<void>;
  end(): Promise<{ text: string; score: number; cmn: CmnState }>;
  partial(): Promise<{ text: string; score: number }>;
  close(): void;
  /** Loads the models on a background thread of the lowest priority (a decoder made with `deferLoad`). */
  load(): Promise<void>;
}
interface DecoderOptions {
  hmm: string;
  lm: string;
  dict: string;
  sampleRate: string;
  fwdflat: boolean;
  args?: Record<string, string>;
  deferLoad?: boolean;
}
interface NativeBinding {
  Decoder: new (options: DecoderOptions) => NativeDecoder;
}

/** Parley's defaults over pocketsphinx's: about a third less CPU per second of speech, no accuracy lost (media README). */
export const DEFAULT_POCKETSPHINX_ARGS = '-ds 2 -maxhmmpf 3000';

/** What POCKETSPHINX_ARGS holds, "-ds 2 -maxhmmpf 3000", as options ({"-ds": "2", ...}); a malformed one is refused. */
export function pocketsphinxArgs(text: string): Record<string, string> {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length % 2 !== 0 || words.some((w, i) => i % 2 === 0 && !/^-[a-z_0-9]+$/.test(w))) {
    throw new ProviderError('pocketsphinx', `POCKETSPHINX_ARGS must be pairs of "-option value", got "${text}"`);
  }
  const args: Record<string, string> = {};
  for (let i = 0; i < words.length; i += 2) args[words[i]!] = words[i + 1]!;
  return args;
}

/**
 * A call's first utterance has no cepstral mean of its own yet: its stream holds this much of its first audio (the
 * 300 ms pre-roll and the first 700 ms of speech), starts from that audio's mean, then catches up. A shorter utterance
 * is recognized from its mean as a whole when it ends.
 */
export const FIRST_MEAN_SAMPLES = 16000;

export const POCKETSPHINX_APT_PACKAGES = 'pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev';

function loadBinding(): NativeBinding {
  const path = join(__dirname, '..', '..', '..', 'native', 'pocketsphinx', 'build', 'Release', 'pocketsphinx_binding.node');
  if (!existsSync(path)) {
    throw new ProviderError('pocketsphinx', `the native binding is not built (${path}). Install the apt packages (${POCKETSPHINX_APT_PACKAGES}) and run pnpm install again.`);
  }
  return require(path) as NativeBinding;
}

/**
 * CMU pocketsphinx in-process through a small N-API binding (native/pocketsphinx): the engine that
 * always works offline. Accurate on 16 kHz speech, poor on 8 kHz telephone audio (a G.711 leg):
 * prefer a G.722 leg, or Whisper. Recognition runs on the libuv thread pool; each decoder holds
 * its own models (about 100 MB) and serves one utterance at a time. A caller who starts speaking
 * gets an idle decoder for a stream, fed while they speak; when none is idle the utterance is
 * recognized in one piece at its end, queued for a free decoder. The pool grows, one decoder at a
 * time loaded in the background at the lowest priority, up to `maxDecoders`: to one decoder per call in progress
 * (`expectCall`), and by one whenever its last idle decoder is taken, so that the next caller who
 * speaks is streamed. It never shrinks: a process that once served that many calls will again.
 * Pocketsphinx normalizes with a live cepstral mean carried from utterance to utterance; decoders are pooled across
 * calls, so each utterance starts from its own call's mean (kept here per SttCall). A call's first utterance, which has
 * none yet, starts from the mean of its first second of audio (FIRST_MEAN_SAMPLES): the model's initial mean is far from
 * some channels' (one G.722 line streamed from it came out at WER 0.8, 0 recognized whole).
 */
export class PocketsphinxStt implements Stt {
  readonly name = 'pocketsphinx';
  private readonly idle: NativeDecoder[] = [];
  private readonly waiting: Array<(d: NativeDecoder) => void> = [];
  private readonly all: NativeDecoder[] = [];
  private loading = 0;
  /** Calls in progress (expectCall): the pool grows to one decoder each. */
  private calls = 0;
  private closed = false;
  /** A load failed (out of memory, most likely): the pool stays as it is. */
  private growthFailed = false;
  private readonly maxDecoders: number;
  private readonly decoderOptions: DecoderOptions;
  private readonly binding: NativeBinding;

  /** `secondPass`: pocketsphinx's flat-lexicon pass at the end of each utterance: a little more accurate, several times slower to finish. */
  /** `streaming`: recognize callers while they speak (on by default). */
  private readonly streaming: boolean;
  /** Each call's cepstral mean, as its last utterance ended. */
  private readonly cmn = new WeakMap<SttCall, CmnState>();

  /**
   * `decoders` are loaded at once; `maxDecoders` (default: `decoders`) is how far the pool may grow while callers speak
   * at once. `args`: pocketsphinx's own options over ours ({"-beam": "1e-48"}); without them, DEFAULT_POCKETSPHINX_ARGS.
   */
  constructor(options: { modelDir: string; decoders: number; maxDecoders?: number; secondPass?: boolean; streaming?: boolean; args?: Record<string, string> }) {
    this.streaming = options.streaming ?? true;
    this.maxDecoders = Math.max(options.decoders, options.maxDecoders ?? options.decoders);
    const binding = loadBinding();
    this.binding = binding;
    const hmm = join(options.modelDir, 'en-us');
    const lm = join(options.modelDir, 'en-us.lm.bin');
    const dict = join(options.modelDir, 'cmudict-en-us.dict');
    for (const file of [hmm, lm, dict]) {
      if (!existsSync(file)) throw new ProviderError('pocketsphinx', `model file ${file} is missing: apt-get install pocketsphinx-en-us, or set POCKETSPHINX_MODEL_DIR`);
    }
    this.decoderOptions = { hmm, lm, dict, sampleRate: '16000', fwdflat: options.secondPass ?? true, args: options.args ?? pocketsphinxArgs(DEFAULT_POCKETSPHINX_ARGS) };
    for (let i = 0; i < options.decoders; i++) {
      let decoder: NativeDecoder;
      try {
        decoder = new binding.Decoder(this.decoderOptions);
      } catch (err) {
        throw new ProviderError('pocketsphinx', `could not start a decoder with POCKETSPHINX_ARGS ${JSON.stringify(options.args)}: ${(err as Error).message}`);
      }
      this.all.push(decoder);
      this.idle.push(decoder);
    }
  }

  async transcribe(pcm: Int16Array, options: { language: string; signal?: AbortSignal; call?: SttCall }): Promise<SttResult> {
    const decoder = await this.acquire();
    try {
      options.signal?.throwIfAborted();
      const { text, cmn } = await decoder.decode(pcm, this.cmnOf(options.call));
      this.keepCmn(options.call, cmn);
      return { text: text.trim() };
    } finally {
      this.release(decoder);
    }
  }

  stream(options?: { language: string; call?: SttCall }): SttStream | undefined {
    if (!this.streaming) return undefined;
    const call = options?.call;
    const decoder = this.takeIdle();
    if (!decoder) return undefined;
    const cmn = this.cmnOf(call);
    // A call's first utterance: its own first audio gives the mean to start from.
    return new PocketsphinxStream(decoder, cmn ?? (call ? 'from-audio' : undefined), (ended) => {
      this.keepCmn(call, ended);
      this.release(decoder);
    });
  }

  expectCall(): () => void {
    this.calls++;
    this.growToCalls();
    let over = false;
    return () => {
      if (!over) this.calls--;
      over = true;
    };
  }

  private cmnOf(call: SttCall | undefined): CmnState | undefined {
    return call ? this.cmn.get(call) : undefined;
  }

  private keepCmn(call: SttCall | undefined, cmn: CmnState | undefined): void {
    if (call && cmn) this.cmn.set(call, cmn);
  }

  /** Decoders loaded, and being loaded. */
  get size(): { decoders: number; loading: number } {
    return { decoders: this.all.length, loading: this.loading };
  }

  close(): void {
    this.closed = true;
    for (const d of this.all) d.close();
  }

  private acquire(): Promise<NativeDecoder> {
    const d = this.takeIdle();
    if (d) return Promise.resolve(d);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** An idle decoder, if any; the last one taken (or none left), the next caller to speak will want one, loaded now. */
  private takeIdle(): NativeDecoder | undefined {
    const d = this.idle.pop();
    if (this.idle.length === 0) this.grow();
    return d;
  }

  /** One more decoder, loaded in the background, if the pool may grow (one at a time: each load takes a core a while). */
  private grow(): void {
    if (this.closed || this.growthFailed || this.loading > 0 || this.all.length >= this.maxDecoders) return;
    this.loading++;
    const decoder = new this.binding.Decoder({ ...this.decoderOptions, deferLoad: true });
    decoder.load().then(
      () => {
        this.loading--;
        if (this.closed) return decoder.close();
        this.all.push(decoder);
        this.release(decoder);
        this.growToCalls();
      },
      () => {
        // The same options loaded at start: out of memory, or the model files went away. The pool stays as it is.
        this.loading--;
        this.growthFailed = true;
        decoder.close();
      },
    );
  }

  /** One more decoder while there are fewer than calls in progress (the next is loaded when this one is). */
  private growToCalls(): void {
    if (this.all.length + this.loading < this.calls) this.grow();
  }

  private release(d: NativeDecoder): void {
    const next = this.waiting.shift();
    if (next) next(d);
    else this.idle.push(d);
  }
}

/**
 * One utterance on one decoder: each step waits for the one before (the thread pool does not keep their order). Given
 * 'from-audio' instead of a CMN state, it holds its first FIRST_MEAN_SAMPLES of audio, then begins from their mean and
 * feeds them (or does so at the first partial or at the end, if the utterance is shorter).
 */
class PocketsphinxStream implements SttStream {
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  private over = false;
  /** Audio held until the utterance's mean can be taken from it (undefined once the decoder has begun). */
  private held: Int16Array[] | undefined;
  private heldSamples = 0;

  /** `done` gets the CMN state the utterance ended with (undefined if it could not be read, or it never began). */
  constructor(
    private readonly decoder: NativeDecoder,
    cmn: CmnState | 'from-audio' | undefined,
    private readonly done: (cmn: CmnState | undefined) => void,
  ) {
    if (cmn === 'from-audio') this.held = [];
    else this.begin(cmn);
  }

  write(pcm: Int16Array): void {
    if (this.over) return;
    const audio = pcm.slice();
    if (this.held) {
      this.held.push(audio);
      this.heldSamples += audio.length;
      if (this.heldSamples >= FIRST_MEAN_SAMPLES) this.beginFromHeld();
      return;
    }
    this.feed(audio);
  }

  /** Searches `audio` once the steps before have run (none after a failure). */
  private feed(audio: Int16Array): void {
    this.tail = this.tail.then(() => (this.failure ? undefined : this.decoder.feed(audio))).catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  private begin(cmn: CmnState | undefined, meanFrom?: Int16Array): void {
    this.tail = this.decoder.begin(cmn, meanFrom).catch((err: unknown) => {
      this.failure = err;
    });
  }

  /** Begins from the held audio's mean, then feeds it. */
  private beginFromHeld(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    const audio = new Int16Array(this.heldSamples);
    let at = 0;
    for (const part of held) {
      audio.set(part, at);
      at += part.length;
    }
    this.begin(undefined, audio);
    this.feed(audio);
  }

  /** The words heard so far (the forward search's hypothesis, before the final passes). */
  async partial(): Promise<string> {
    if (this.over) return '';
    this.beginFromHeld();
    const step = this.tail.then(() => (this.failure ? { text: '' } : this.decoder.partial()));
    this.tail = step.then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    return step.then(
      (r) => r.text.trim(),
      () => '',
    );
  }

  async finish(): Promise<SttResult> {
    if (this.over) throw new ProviderError('pocketsphinx', 'the stream is already over');
    this.beginFromHeld();
    this.over = true;
    await this.tail;
    let cmn: CmnState | undefined;
    try {
      // Ended even after a failed step, so the decoder is not left inside an utterance.
      const ended = await this.decoder.end();
      if (this.failure) throw new ProviderError('pocketsphinx', 'streamed recognition failed', { cause: this.failure });
      cmn = ended.cmn;
      return { text: ended.text.trim() };
    } finally {
      this.done(cmn);
    }
  }

  cancel(): void {
    if (this.over) return;
    this.over = true;
    if (this.held) {
      // Never begun: nothing to end.
      this.held = undefined;
      this.done(undefined);
      return;
    }
    void this.tail
      .then(() => this.decoder.end())
      .then(
        (ended) => this.done(ended.cmn),
        () => this.done(undefined),
      );
  }
}
