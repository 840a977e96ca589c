import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { LlmSettings } from '@parley/common';
import type { SecretBox } from '@parley/db';

/** The server and model that extract one call's result. */
export interface ExtractionModel {
  client: OpenAI;
  model: string;
}

export interface ExtractionModelsOptions {
  /** The service-wide extractor model (LLM_BASE_URL, EXTRACTOR_MODEL...): agents without a base_url of their own. */
  service: ExtractionModel;
  /** Opens agents' model keys, which the api stores sealed. */
  secrets: SecretBox;
  /** How agents' own servers are called: through the outbound-address guard. */
  fetch: typeof fetch;
  timeoutMs: number;
  maxRetries: number;
  /** Clients kept for agents' servers, least recently used dropped first. */
  maxClients?: number;
}

/**
 * Which model extracts a call's `returns`: the agent's own server (its `extraction_model`, else its `model`) when the
 * agent names a `base_url`, else the service's. One client per server and key, kept across calls.
 */
export class ExtractionModels {
  private readonly clients = new Map<string, OpenAI>();

  constructor(private readonly options: ExtractionModelsOptions) {}

  /** `llm`: the agent's settings as stored (its key sealed). A key that does not open throws: retrying will not help. */
  for(llm: Record<string, unknown>): ExtractionModel {
    const settings = LlmSettings.safeParse({ ...llm, api_key: undefined }).data;
    if (!settings?.base_url) return this.options.service;
    const sealed = typeof llm.api_key === 'string' ? llm.api_key : null;
    const model = settings.extraction_model ?? settings.model ?? this.options.service.model;
    const id = `${settings.base_url} ${createHash('sha256').update(sealed ?? '').digest('base64url')}`;
    let client = this.clients.get(id);
    if (client) this.clients.delete(id);
    else {
      const apiKey = sealed === null ? 'no-key' : this.options.secrets.open(sealed);
      client = new OpenAI({ baseURL: settings.base_url, apiKey, timeout: this.options.timeoutMs, maxRetries: this.options.maxRetries, fetch: this.options.fetch });
    }
    this.clients.set(id, client);
    if (this.clients.size > (this.options.maxClients ?? 64)) this.clients.delete(this.clients.keys().next().value!);
    return { client, model };
  }
}
