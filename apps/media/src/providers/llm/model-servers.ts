import { createHash } from 'node:crypto';
import type { LlmSettings } from '@parley/common';
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

/**
 * Which server answers an agent: the service's, or the agent's own OpenAI-compatible `base_url` with its key. One
 * client per server and key, kept across calls so its connections are reused (a new TLS handshake would add to every
 * first turn); the key is part of the identity only as a hash.
 */
export class ModelServers {
  private readonly clients = new Map<string, Llm>();

  constructor(private readonly options: ModelServersOptions) {}

  get service(): AgentModel {
    return this.options.service;
  }

  for(settings: LlmSettings): AgentModel {
    const { service } = this.options;
    const model = settings.model ?? service.model;
    if (!settings.base_url) return { llm: service.llm, model };
    const id = `${settings.base_url} ${createHash('sha256').update(settings.api_key ?? '').digest('base64url')}`;
    let llm = this.clients.get(id);
    if (llm) this.clients.delete(id);
    else llm = new OpenAiLlm({ baseUrl: settings.base_url, apiKey: settings.api_key ?? 'no-key', model, timeoutMs: this.options.timeoutMs, fetch: this.options.fetch });
    this.clients.set(id, llm);
    if (this.clients.size > (this.options.maxClients ?? 64)) this.clients.delete(this.clients.keys().next().value!);
    return { llm, model };
  }
}
