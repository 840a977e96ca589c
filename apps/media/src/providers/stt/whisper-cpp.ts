import { open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { WHISPER_DOWNLOAD_HINT } from '../../config';
import { ProviderError, type Stt, type SttResult, type SttStream } from '../types';
import { ChunkedSttStream } from './chunked-stream';

type SmartWhisper = typeof import('smart-whisper');
type Model = InstanceType<SmartWhisper['WhisperModel']>;

/** whisper.cpp model files start with the ggml magic ("lmgg" on disk, 0x67676d6c little-endian). */
const GGML_MAGIC = 0x67676d6c;
const LOAD_TIMEOUT_MS = 120_000;

/**
 * Local Whisper: whisper.cpp in-process through the `smart-whisper` binding (built from its
 * bundled whisper.cpp source at install; nothing is downloaded). The model is loaded once per
 * process and stays loaded; each utterance runs on the libuv thread pool with its own whisper
 * state, at most `concurrency` at once.
 */
export class WhisperCppStt implements Stt {
  readonly name = 'whisper';
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  private constructor(
    private readonly sw: SmartWhisper,
    private readonly model: Model,
    private readonly options: { threads: number; concurrency: number; pieces: boolean },
  ) {}

  /** Loads the model; fails with what to do when the file is missing or is not a whisper.cpp model. */
  /** `pieces`: stream an utterance as pieces cut at the caller's pauses (ChunkedSttStream); default on. */
  static async load(options: { modelPath: string; threads: number; concurrency?: number; pieces?: boolean }): Promise<WhisperCppStt> {
    const path = options.modelPath;
    if (!path || !existsSync(path)) throw new ProviderError('whisper', `model file ${path || '(WHISPER_MODEL_PATH unset)'} not found. ${WHISPER_DOWNLOAD_HINT}`);
    await checkModelFile(path);
    let sw: SmartWhisper;
    try {
      sw = require('smart-whisper') as SmartWhisper;
    } catch (err) {
      throw new ProviderError('whisper', `the whisper.cpp binding (smart-whisper) is not installed or did not build: ${(err as Error).message}`);
    }
    let timer: NodeJS.Timeout | undefined;
    // A model whisper.cpp rejects never calls back: give up rather than wait forever.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProviderError('whisper', `whisper.cpp did not load ${path} within ${LOAD_TIMEOUT_MS / 1000} s (corrupt or unsupported model?)`)), LOAD_TIMEOUT_MS);
    });
    try {
      const model = await Promise.race([sw.WhisperModel.load(path, false), timeout]);
      return new WhisperCppStt(sw, model, { threads: options.threads, concurrency: options.concurrency ?? 1, pieces: options.pieces ?? true });
    } finally {
      clearTimeout(timer);
    }
  }

  stream(options: { language: string }): SttStream | undefined {
    if (!this.options.pieces) return undefined;
    return new ChunkedSttStream((pcm, signal) => this.transcribe(pcm, { language: options.language, signal }));
  }

  async transcribe(pcm: Int16Array, options: { language: string; signal?: AbortSignal }): Promise<SttResult> {
    await this.acquire();
    try {
      options.signal?.throwIfAborted();
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i]! / 32768;
      const task = await this.sw.TranscribeTask.run(this.model, samples, {
        language: options.language.split('-')[0] || 'en',
        n_threads: this.options.threads,
        format: 'simple',
        no_timestamps: true,
        suppress_non_speech_tokens: true,
      });
      const results = await task.result;
      return { text: results.map((r) => r.text).join(' ').replace(/\s+/g, ' ').trim() };
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    if (!this.model.freed) await this.model.free();
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

async function checkModelFile(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await file.read(head, 0, 4, 0);
    if (bytesRead < 4 || head.readUInt32LE(0) !== GGML_MAGIC) {
      throw new ProviderError('whisper', `${path} is not a whisper.cpp ggml model (bad magic). ${WHISPER_DOWNLOAD_HINT}`);
    }
  } finally {
    await file.close();
  }
}
