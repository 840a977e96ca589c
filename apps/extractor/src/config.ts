import { z } from 'zod';
import { commonEnv, env, loadConfig, outboundEnv, secretKeyEnv } from '@parley/service-kit';

/** Where the scripted sandbox model (`packages/sandbox-llm`) listens by default: used when no LLM_BASE_URL is set. */
export const SANDBOX_LLM_URL = 'http://127.0.0.1:8191/v1';

export const ExtractorConfigSchema = z.object({
  ...commonEnv,
  ...secretKeyEnv,
  ...outboundEnv,
  EXTRACTOR_HOST: env.string('127.0.0.1'),
  EXTRACTOR_PORT: env.port(3003),
  /** OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp...). Unset: the scripted sandbox model. */
  LLM_BASE_URL: z.string().url().optional(),
  LLM_API_KEY: env.string('sk-no-key'),
  LLM_MODEL: env.optional(),
  /** Overrides LLM_MODEL for extraction only. */
  EXTRACTOR_MODEL: env.optional(),
  /** How long an answered call waits for the media service's `conversation_ended` before reading transcript rows. */
  EXTRACTOR_TRANSCRIPT_WAIT_MS: env.int(20_000),
  /** Per model request; the SDK retries transport errors EXTRACTOR_LLM_MAX_RETRIES times. */
  EXTRACTOR_LLM_TIMEOUT_MS: env.int(60_000, 100),
  EXTRACTOR_LLM_MAX_RETRIES: env.int(2),
  /** After this many deliveries of one event with the model unreachable, the result is marked failed. */
  EXTRACTOR_MAX_DELIVERIES: env.int(3, 1),
  /** Delay before an event whose handling failed (model or database unreachable) is delivered again. */
  EXTRACTOR_RETRY_DELAY_MS: env.int(5_000),
  /** Calls extracted at once. */
  EXTRACTOR_CONCURRENCY: env.int(8, 1),
  EXTRACTOR_DB_POOL_SIZE: env.int(10, 2),
});
export type ExtractorConfig = z.infer<typeof ExtractorConfigSchema>;

export function loadExtractorConfig(e: NodeJS.ProcessEnv = process.env): ExtractorConfig {
  return loadConfig(ExtractorConfigSchema, e);
}

/** The model endpoint actually used, and whether it is the sandbox. */
export function resolveModel(config: ExtractorConfig): { baseURL: string; model: string; sandbox: boolean } {
  const sandbox = !config.LLM_BASE_URL;
  return {
    baseURL: config.LLM_BASE_URL ?? SANDBOX_LLM_URL,
    model: config.EXTRACTOR_MODEL ?? config.LLM_MODEL ?? 'parley-sandbox', // the media service's default too
    sandbox,
  };
}

export const EXTRACTOR_CONFIG = Symbol('EXTRACTOR_CONFIG');
