import OpenAI from 'openai';
import { ProviderError, type Tts, type TtsOptions } from '../types';
import { wavStreamTo16k } from './wav-stream';

/** Any OpenAI-compatible `/v1/audio/speech` server, asked for WAV and streamed as it downloads. */
export class OpenAiTts implements Tts {
  readonly name = 'openai';
  private readonly client: OpenAI;

  constructor(private readonly options: { baseUrl: string; apiKey?: string; model: string; defaultVoice?: string; timeoutMs?: number }) {
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey ?? 'none', timeout: options.timeoutMs ?? 15_000, maxRetries: 0 });
  }

  async *synthesize(text: string, options: TtsOptions): AsyncIterable<Int16Array> {
    let response: Response;
    try {
      response = await this.client.audio.speech.create(
        { model: this.options.model, voice: (options.voice ?? this.options.defaultVoice ?? 'alloy') as 'alloy', input: text, response_format: 'wav' },
        { signal: options.signal },
      );
    } catch (err) {
      if (options.signal.aborted) return;
      throw new ProviderError('openai-tts', (err as Error).message, { cause: err });
    }
    if (!response.body) throw new ProviderError('openai-tts', 'empty response body');
    yield* wavStreamTo16k(bodyChunks(response.body));
  }
}

async function* bodyChunks(body: ReadableStream<Uint8Array>): AsyncIterable<Buffer> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield Buffer.from(value);
    }
  } finally {
    reader.releaseLock();
  }
}
