import OpenAI from 'openai';
import { LlmSettings } from '@parley/common';
import type { SecretBox } from '@parley/db';
import { ServerClients } from '@parley/service-kit';

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
 * agent names a `base_url`, else the service's.
 */
export class ExtractionModels {
  private readonly clients: ServerClients<OpenAI>;

  constructor(private readonly options: ExtractionModelsOptions) {
    // Keyed by the sealed key; it is opened once, when its client is made.
    this.clients = new ServerClients(
      (baseURL, sealed) => new OpenAI({ baseURL, apiKey: sealed === null ? 'no-key' : options.secrets.open(sealed), timeout: options.timeoutMs, maxRetries: options.maxRetries, fetch: options.fetch }),
      options.maxClients,
    );
  }

  /** `llm`: the agent's settings as stored (its key sealed). A key that does not open throws: retrying will not help. */
  for(llm: Record<string, unknown>): ExtractionModel {
    const settings = LlmSettings.safeParse({ ...llm, api_key: undefined }).data;
    if (!settings?.base_url) return this.options.service;
    const model = settings.extraction_model ?? settings.model ?? this.options.service.model;
    return { client: this.clients.get(settings.base_url, typeof llm.api_key === 'string' ? llm.api_key : null), model };
  }
}
