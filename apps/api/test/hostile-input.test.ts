import { connect } from 'node:net';
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

describe('numbers the database cannot store', () => {
  it('refuses a trunk rate too small for its real column (the fuzz found 8.88e-150 answered 500) and keeps the trunk as it was', async () => {
    const key = acct.apiKey;
    const created = await api.call('POST', '/v1/trunks', { key, body: { name: 'Tiny rate', host: 'sip.example.com' } });
    expect(created.status).toBe(201);
    const before = await rowCounts();
    expectRefused(await api.call('PATCH', `/v1/trunks/${created.body.id}`, { key, body: { calls_per_second: 8.880068578287963e-150 } }), 'calls_per_second');
    expectRefused(await api.call('POST', '/v1/trunks', { key, body: { name: 'T2', host: 'sip.example.com', calls_per_second: 1e-50 } }), 'calls_per_second');
    expect(await rowCounts()).toEqual(before);
    const slowest = await api.call('PATCH', `/v1/trunks/${created.body.id}`, { key, body: { calls_per_second: 0.01 } });
    expect(slowest.status).toBe(200);
    expect(slowest.body.calls_per_second).toBeCloseTo(0.01, 6);
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
    // An account's key (the admin routes refuse it before reading the path: admin-asterisks.test.ts checks theirs).
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => (path.includes('{') && !path.startsWith('/v1/admin/') ? Object.keys(ops).map((m) => [m.toUpperCase(), path] as const) : []));
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

/** One request written byte for byte on a socket (fetch would normalise the URL), and the answer's status and JSON body. */
async function raw(request: string): Promise<{ status: number; body: any }> {
  const { port } = new URL(api.url);
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', (e) => (out ? resolve(out) : reject(e)));
    socket.write(request);
  });
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const head = text.indexOf('\r\n\r\n');
  let body: unknown = text.slice(head + 4);
  try {
    body = JSON.parse(body as string);
  } catch {
    // left as text so the assertion shows it
  }
  return { status, body };
}

function rawRequest(method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): string {
  const headers: Record<string, string> = { host: 'localhost', authorization: `Bearer ${acct.apiKey}`, connection: 'close', ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${opts.body ?? ''}`;
}

function expectShape(res: { status: number; body: any }, status: number, code: string, param: string | null = null) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(res.body.error).toMatchObject({ code, param });
  expect(res.body.error.type).toBe(status >= 500 ? 'api_error' : status === 404 ? 'not_found_error' : status === 401 ? 'authentication_error' : 'invalid_request_error');
}

describe('errors Fastify answers before the application', () => {
  it('answers a long path id with 404 like any unknown id, and one past the URL limit with 414 or 431 in the error shape', async () => {
    expectShape(await raw(rawRequest('GET', `/v1/trunks/trk_${'x'.repeat(300)}`)), 404, 'resource_not_found', 'id');
    expectShape(await raw(rawRequest('GET', `/v1/webhook_endpoints/${'x'.repeat(3000)}`)), 414, 'uri_too_long');
    expectShape(await raw(rawRequest('GET', `/v1/numbers/${'x'.repeat(20_000)}`)), 431, 'request_header_fields_too_large');
    expectShape(await raw(rawRequest('GET', '/v1/agents', { headers: { 'x-filler': 'y'.repeat(20_000) } })), 431, 'request_header_fields_too_large');
  });

  it('answers a malformed URL or request line with 400 invalid_url / invalid_request', async () => {
    expectShape(await raw(rawRequest('GET', '/v1/numbers/%zz')), 400, 'invalid_url');
    expectShape(await raw(rawRequest('GET', '/v1/calls/%ED%B0%80')), 400, 'invalid_url');
    expectShape(await raw('GARBAGE\r\n\r\n'), 400, 'invalid_request');
  });

  it('answers bad bodies in the error shape naming the body', async () => {
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => raw(rawRequest('POST', '/v1/agents', { body, headers }));
    expectShape(await post('{"name": '), 400, 'invalid_json', 'body');
    expectShape(await post('{"name": "A", "type": "outbound", "__proto__": {"x": 1}}'), 400, 'invalid_json', 'body');
    expectShape(await post('{"constructor": {"prototype": {"x": 1}}}'), 400, 'invalid_json', 'body');
    expectShape(await post('name=A', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'invalid_request', 'body');
    expectShape(await post('x', { 'content-type': 'text/plain' }), 415, 'invalid_request', 'body');
    expectShape(await post(JSON.stringify({ name: 'x'.repeat(api.config.API_BODY_LIMIT_BYTES) })), 413, 'body_too_large', 'body');
    expectShape(await raw(rawRequest('POST', '/v1/agents', { body: '', headers: { 'content-type': 'application/json' } })), 400, 'invalid_json', 'body');
  });

  it('answers an unknown route or method with 404 route_not_found', async () => {
    expectShape(await raw(rawRequest('GET', '/nope')), 404, 'route_not_found');
    expectShape(await raw(rawRequest('PUT', '/v1/agents')), 404, 'route_not_found');
  });

  it('documents every status the api sends on every operation', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>> };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const statuses = Object.keys(op.responses);
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '408', '414', '431', '500']));
        if (path.includes('{')) expect(statuses, `${method} ${path}`).toContain('404');
        if (method !== 'get') expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['413', '415']));
      }
    }
  });
});
