import OpenAI, { toFile } from 'openai';
import { encodeWav } from '@parley/audio';
import { ProviderError, type Stt, type SttResult, type SttStream } from '../types';
import { ChunkedSttStream } from './chunked-stream';

/** Any OpenAI-compatible `/v1/audio/transcriptions` server (OpenAI, speaches, vLLM, whisper.cpp server...). */
export class OpenAiStt implements Stt {
  readonly name = 'openai';
  private readonly client: OpenAI;

  /** `pieces`: stream an utterance as pieces cut at the caller's pauses (ChunkedSttStream); default on. */
  constructor(private readonly options: { baseUrl: string; apiKey?: string; model: string; timeoutMs?: number; pieces?: boolean }) {
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? 'none', timeout: options.timeoutMs ?? 15_000, maxRetries: 0 });
  }

  stream(options: { language: string }): SttStream | undefined {
    if (this.options.pieces === false) return undefined;
    return new ChunkedSttStream((pcm, signal) => this.transcribe(pcm, { language: options.language, signal }));
  }

  async transcribe(pcm: Int16Array, options: { language: string; signal?: AbortSignal }): Promise<SttResult> {
    const wav = encodeWav({ sampleRate: 16000, channels: 1, samples: pcm });
    try {
      const result = await this.client.audio.transcriptions.create(
        { file: await toFile(wav, 'utterance.wav', { type: 'audio/wav' }), model: this.options.model, language: options.language.split('-')[0], response_format: 'json' },
        { signal: options.signal },
      );
      return { text: (result.text ?? '').trim() };
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new ProviderError('openai-stt', (err as Error).message, { cause: err });
    }
  }
}
