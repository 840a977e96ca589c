import type { LlmSettings } from '@parley/common';
import { ServerClients } from '@parley/service-kit';
import type { Llm } from '../types';
import { OpenAiLlm } from './openai';

/** The model a call's agent thinks with: the server's client and the model name asked of it. */
export interface AgentModel {
  llm: Llm;
  model: string;
}

export interface ModelServersOptions {
  /** The service-wide server (LLM_* settings): agents without a base_url of their own. */
  service: AgentModel;
  timeoutMs: number;
  /** How agents' own servers are called: through the outbound-address guard, streamed. */
  fetch: typeof fetch;
  /** Clients kept for agents' servers, least recently used dropped first. */
  maxClients?: number;
}

/** Which server answers an agent: the service's, or the agent's own OpenAI-compatible `base_url` with its key. */
export class ModelServers {
  private readonly clients: ServerClients<Llm>;

  constructor(private readonly options: ModelServersOptions) {
    this.clients = new ServerClients(
      (baseUrl, apiKey) => new OpenAiLlm({ baseUrl, apiKey: apiKey ?? 'no-key', model: options.service.model, timeoutMs: options.timeoutMs, fetch: options.fetch }),
      options.maxClients,
    );
  }

  for(settings: LlmSettings): AgentModel {
    const model = settings.model ?? this.options.service.model;
    if (!settings.base_url) return { llm: this.options.service.llm, model };
    return { llm: this.clients.get(settings.base_url, settings.api_key ?? null), model };
  }
}
