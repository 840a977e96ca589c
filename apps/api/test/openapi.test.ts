import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

describe('/v1/openapi.json', () => {
  it('documents every public route with schemas generated from the shared contract', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, m]) => Object.keys(m).map((verb) => `${verb.toUpperCase()} ${p}`));
    for (const op of [
      'POST /v1/calls', 'GET /v1/calls', 'GET /v1/calls/{id}', 'POST /v1/calls/{id}/end', 'GET /v1/calls/{id}/transcript', 'GET /v1/calls/{id}/transcript/stream',
      'GET /v1/calls/{id}/recording', 'POST /v1/agents', 'GET /v1/agents', 'GET /v1/agents/{id}', 'PATCH /v1/agents/{id}', 'DELETE /v1/agents/{id}',
      'POST /v1/numbers', 'GET /v1/numbers', 'GET /v1/numbers/{id}', 'GET /v1/numbers/{id}/calls', 'PATCH /v1/numbers/{id}', 'DELETE /v1/numbers/{id}',
      'POST /v1/trunks', 'GET /v1/trunks', 'GET /v1/trunks/{id}', 'PATCH /v1/trunks/{id}', 'DELETE /v1/trunks/{id}', 'GET /v1/balance', 'GET /v1/credit_ledger',
    ]) expect(ops).toContain(op);
    const create = doc.paths['/v1/calls'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['agent_id', 'to']);
    expect(Object.keys(create.requestBody.content['application/json'].schema.properties)).toEqual(['agent_id', 'to', 'from_number', 'instructions', 'context', 'webhook_url', 'metadata']);
    expect(create.responses['201'].content['application/json'].schema.properties.status.enum).toContain('no_answer');
    expect(create.responses['402']).toBeDefined();
    expect(create.parameters.find((p: any) => p.name === 'Idempotency-Key')).toBeDefined();
    expect(doc.paths['/v1/calls'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['limit', 'starting_after', 'status', 'agent_id', 'created_after']));
  });
});
