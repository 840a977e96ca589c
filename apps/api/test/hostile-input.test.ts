import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_MAX_DEPTH } from '@parley/common';
import { type ApiHarness, outboundSetup, startApi, type TestAccount } from './api-harness';

let api: ApiHarness;
let acct: TestAccount;
let agentId: string;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount();
  agentId = (await outboundSetup(api, acct)).agent.id;
});
afterAll(async () => api?.close());

/** `{"a":{"a":...}}` with `levels` objects, written as text (JSON.stringify itself recurses). */
function nestedJson(levels: number): string {
  return '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
}

async function rowCounts(): Promise<Record<string, number>> {
  const tables = ['agents', 'calls', 'trunks', 'phone_numbers', 'webhook_endpoints'];
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = Number((await api.ds.query(`SELECT count(*) AS n FROM ${t}`))[0].n);
  return counts;
}

function expectRefused(res: { status: number; body: any }, param: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param });
}

describe('strings and JSON the database cannot store', () => {
  it('refuses NUL and lone surrogates in string fields and inside JSON objects with a 400 naming the place, writing nothing', async () => {
    const before = await rowCounts();
    const key = acct.apiKey;
    expectRefused(await api.call('POST', '/v1/agents', { key, body: { name: 'Ava\u0000', type: 'outbound' } }), 'name');
    expectRefused(await api.call('PATCH', `/v1/agents/${agentId}`, { key, body: { persona: 'x\uDC00' } }), 'persona');
    expectRefused(await api.call('POST', '/v1/calls', { key, body: { agent_id: agentId, to: '+14155550123', context: { foo: 'a\u0000' } } }), 'context.foo');
    expectRefused(await api.call('POST', '/v1/calls', { key, body: { agent_id: agentId, to: '+14155550123', metadata: { list: ['\uD800'] } } }), 'metadata.list.0');
    expectRefused(await api.call('POST', '/v1/numbers', { key, body: { number: '+14155550199', trunk_id: 'trk_\u0000' } }), 'trunk_id');
    expectRefused(await api.call('POST', '/v1/trunks', { key, body: { name: 'T', host: 'sip.example.com', password: 'p\u0000' } }), 'password');
    expectRefused(await api.call('POST', '/v1/webhook_endpoints', { key, body: { url: 'https://example.com/\u0000', events: ['call.completed'] } }), 'url');
    const tool = { type: 'http', name: 'lookup', description: 'd', url: 'https://example.com/', headers: { authorization: 'Bearer \u0000' } };
    expectRefused(await api.call('PATCH', `/v1/agents/${agentId}`, { key, body: { tools: [tool] } }), 'tools.0.headers.authorization');
    expect(await rowCounts()).toEqual(before);
  });
});

describe('JSON nesting depth', () => {
  it(`accepts ${JSON_MAX_DEPTH} levels in context and refuses 10,000 with a 400 (not a stack overflow)`, async () => {
    const key = acct.apiKey;
    const at = (levels: number, field: string) => `{"agent_id":"${agentId}","to":"+14155550123","${field}":${nestedJson(levels)}}`;
    expect((await api.call('POST', '/v1/calls', { key, rawBody: at(JSON_MAX_DEPTH, 'context') })).status).toBe(201);
    const before = await rowCounts();
    for (const field of ['context', 'metadata']) {
      const res = await api.call('POST', '/v1/calls', { key, rawBody: at(10_000, field) });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', message: expect.stringMatching(/levels deep/) });
      expect(res.body.error.param).toMatch(new RegExp(`^${field}\\.a\\.a`));
    }
    const deepReturns = await api.call('PATCH', `/v1/agents/${agentId}`, { key, rawBody: `{"returns":${nestedJson(10_000)}}` });
    expect(deepReturns.status).toBe(400);
    const tool = (params: string) => `{"tools":[{"type":"http","name":"t","description":"d","url":"https://example.com/","parameters":${params}}]}`;
    expect((await api.call('PATCH', `/v1/agents/${agentId}`, { key, rawBody: tool(nestedJson(10_000)) })).status).toBe(400);
    expect(await rowCounts()).toEqual(before);
  });

  it('documents the limit on the JSON fields in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body;
    const context = doc.paths['/v1/calls'].post.requestBody.content['application/json'].schema.properties.context;
    expect(context['x-max-depth']).toBe(JSON_MAX_DEPTH);
    expect(context.description).toMatch(`at most ${JSON_MAX_DEPTH} levels deep`);
  });
});

describe('path ids the database cannot hold', () => {
  it('answers 404 resource_not_found to a NUL in any path id, on every route that takes one', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => (path.includes('{') ? Object.keys(ops).map((m) => [m.toUpperCase(), path] as const) : []));
    expect(routes.length).toBeGreaterThan(15);
    for (const bad of ['%00', 'pn_%00x']) {
      for (const [method, path] of routes) {
        const res = await api.call(method, path.replace(/\{\w+\}/g, bad), { key: acct.apiKey, body: method === 'GET' || method === 'DELETE' ? undefined : {} });
        expect(res.status, `${method} ${path} ${bad}: ${JSON.stringify(res.body)}`).toBe(404);
        expect(res.body.error).toMatchObject({ type: 'not_found_error', code: 'resource_not_found' });
      }
    }
  });
});
