import { LLM_API_KEY_MASK, type LlmSettings } from '@parley/common';
import type { SecretBox } from '@parley/db';
import { ApiError } from '../http/api-error';

/**
 * An agent's model `api_key` is write-only, like HTTP tool header values: stored sealed, answered masked. Given as the
 * mask or left out, the stored key is kept, but only for the same `base_url`: a key is never sent to a server other
 * than the one it was given for, so a new base_url needs its key again (the mask is refused, no key drops it).
 */
export function llmToStore(input: LlmSettings, stored: Record<string, unknown>, secrets: SecretBox): LlmSettings {
  const { api_key: key, ...settings } = input;
  if (settings.base_url !== undefined && settings.model === undefined) throw ApiError.invalid('llm.base_url needs llm.model: the model to ask that server for', 'llm.model');
  if (key === null) return settings;
  if (key === undefined || key === LLM_API_KEY_MASK) {
    const kept = typeof stored.api_key === 'string' && stored.base_url === settings.base_url ? stored.api_key : undefined;
    if (kept !== undefined) return { ...settings, api_key: kept };
    if (key === undefined) return settings;
    const why = typeof stored.api_key === 'string' ? 'llm.base_url changed: send the key for the new server' : 'no key is stored: send the key';
    throw ApiError.invalid(`llm.api_key is the mask "${LLM_API_KEY_MASK}", but ${why}`, 'llm.api_key');
  }
  if (settings.base_url === undefined) throw ApiError.invalid('llm.api_key needs llm.base_url: the service-wide model server has its own key (LLM_API_KEY)', 'llm.api_key');
  return { ...settings, api_key: secrets.seal(key) };
}

/** The settings as the api answers them: the key, when there is one, as the mask. */
export function maskedLlm(stored: Record<string, unknown>): LlmSettings {
  const { api_key: key, ...settings } = stored as LlmSettings;
  return typeof key === 'string' ? { ...settings, api_key: LLM_API_KEY_MASK } : settings;
}
