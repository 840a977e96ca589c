import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { type Llm, type LlmChunk, type LlmMessage, type LlmRequest, ProviderError } from '../types';

/**
 * Any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama, llama.cpp server, the
 * sandbox model), streamed. Tool-call fragments are joined and emitted once the stream ends.
 */
export class OpenAiLlm implements Llm {
  readonly name = 'openai';
  private readonly client: OpenAI;

  /** `fetch`: how the server is reached (an agent's own server goes through the outbound-address guard). */
  constructor(private readonly options: { baseUrl: string; apiKey: string; model: string; timeoutMs: number; fetch?: typeof fetch }) {
    this.client = new OpenAI({ baseURL: options.baseUrl, apiKey: options.apiKey, timeout: options.timeoutMs, maxRetries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) });
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    let stream;
    try {
      stream = await this.client.chat.completions.create(
        {
          model: request.model ?? this.options.model,
          messages: request.messages.map(toOpenAi),
          tools: request.tools.length > 0 ? request.tools.map((t): ChatCompletionTool => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })) : undefined,
          temperature: request.temperature,
          max_tokens: request.maxTokens,
          stream: true,
        },
        { signal: request.signal },
      );
    } catch (err) {
      if (request.signal.aborted) return;
      throw new ProviderError('llm', (err as Error).message, { cause: err });
    }
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let named = false;
    try {
      for await (const chunk of stream) {
        if (!named && chunk.model) {
          named = true;
          yield { type: 'model', model: chunk.model };
        }
        const delta = chunk.choices[0]?.delta;
        if (!delta) continue;
        if (delta.content) yield { type: 'text', text: delta.content };
        for (const tc of delta.tool_calls ?? []) {
          const call = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
          if (tc.id) call.id = tc.id;
          if (tc.function?.name) call.name += tc.function.name;
          if (tc.function?.arguments) call.arguments += tc.function.arguments;
          calls.set(tc.index, call);
        }
      }
    } catch (err) {
      if (request.signal.aborted) return;
      throw new ProviderError('llm', (err as Error).message, { cause: err });
    }
    for (const [index, call] of [...calls.entries()].sort((a, b) => a[0] - b[0])) {
      yield { type: 'tool_call', call: { id: call.id || `call_${index}`, name: call.name, arguments: call.arguments || '{}' } };
    }
  }
}

function toOpenAi(m: LlmMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content ?? '' };
    case 'user':
      return { role: 'user', content: m.content ?? '' };
    case 'tool':
      return { role: 'tool', content: m.content ?? '', tool_call_id: m.tool_call_id ?? '' };
    case 'assistant':
      return {
        role: 'assistant',
        content: m.content,
        ...(m.tool_calls?.length ? { tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
      };
  }
}
