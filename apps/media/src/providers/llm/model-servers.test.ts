import { describe, expect, it } from 'vitest';
import type { Llm } from '../types';
import { ModelServers } from './model-servers';

const service: Llm = { name: 'service', stream: async function* () {} };
const servers = (maxClients?: number) => new ModelServers({ service: { llm: service, model: 'service-model' }, timeoutMs: 1000, fetch, maxClients });

describe('ModelServers', () => {
  it("answers the service's server for an agent without a base_url, with the agent's model name if it has one", () => {
    const models = servers();
    expect(models.for({})).toEqual({ llm: service, model: 'service-model' });
    expect(models.for({ model: 'bigger' })).toEqual({ llm: service, model: 'bigger' });
  });

  it("keeps one client per server and key, so an agent's calls reuse its connections", () => {
    const models = servers();
    const a = models.for({ base_url: 'http://10.0.0.5:11434/v1', api_key: 'k1', model: 'llama' });
    expect(a.llm).not.toBe(service);
    expect(a.model).toBe('llama');
    expect(models.for({ base_url: 'http://10.0.0.5:11434/v1', api_key: 'k1', model: 'other' }).llm).toBe(a.llm);
    expect(models.for({ base_url: 'http://10.0.0.5:11434/v1', api_key: 'k2', model: 'llama' }).llm).not.toBe(a.llm);
    expect(models.for({ base_url: 'http://10.0.0.6:11434/v1', api_key: 'k1', model: 'llama' }).llm).not.toBe(a.llm);
  });
});
