import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '@parley/db';
import { type ApiHarness, startApi, type TestAccount } from './api-harness';

let api: ApiHarness;
let acct: TestAccount;
let box: SecretBox;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount('Secrets');
  box = new SecretBox(api.config.PARLEY_SECRET_KEY);
});
afterAll(async () => api?.close());

const MASK = '********';
const BEARER = 'Bearer tool-token-6f1c0e9a';
const tool = (headers?: Record<string, string>, name = 'lookup') => ({ type: 'http', name, description: 'Find a slot', url: 'https://example.com/slots', ...(headers ? { headers } : {}) });
const storedTools = async (id: string) => ((await api.ds.query('SELECT tools FROM agents WHERE id = $1', [id])) as Array<{ tools: any[] }>)[0]!.tools;
const storedHeaders = async (id: string, index = 0) => (await storedTools(id))[index].headers as Record<string, string>;
const opened = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, box.open(v)]));

describe('account webhook secret at rest', () => {
  it('is stored sealed, and GET /v1/account still shows it', async () => {
    const [row] = await api.ds.query('SELECT webhook_secret FROM accounts WHERE id = $1', [acct.accountId]);
    expect(row.webhook_secret).not.toContain('whsec_');
    expect(box.open(row.webhook_secret)).toBe(acct.webhookSecret);
    expect((await api.call('GET', '/v1/account', { key: acct.apiKey })).body.webhook_secret).toBe(acct.webhookSecret);
  });
});

describe('HTTP tool headers', () => {
  it('are stored sealed and answered masked by create, get, list and update', async () => {
    const created = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Tools', type: 'inbound', tools: [{ type: 'end_call' }, tool({ Authorization: BEARER, 'x-api-key': 'k-123' })] } });
    expect(created.status).toBe(201);
    expect(created.body.tools[1].headers).toEqual({ Authorization: MASK, 'x-api-key': MASK });
    const id = created.body.id;
    const stored = await storedHeaders(id, 1);
    expect(JSON.stringify(stored)).not.toMatch(/tool-token|k-123/);
    expect(opened(stored)).toEqual({ Authorization: BEARER, 'x-api-key': 'k-123' });

    expect((await api.call('GET', `/v1/agents/${id}`, { key: acct.apiKey })).body.tools[1].headers).toEqual({ Authorization: MASK, 'x-api-key': MASK });
    const listed = await api.call('GET', '/v1/agents?limit=100', { key: acct.apiKey });
    expect(JSON.stringify(listed.body)).not.toMatch(/tool-token|k-123/);
    const patched = await api.call('PATCH', `/v1/agents/${id}`, { key: acct.apiKey, body: { name: 'Renamed' } });
    expect(patched.body.tools[1].headers).toEqual({ Authorization: MASK, 'x-api-key': MASK });
    expect(await storedHeaders(id, 1)).toEqual(stored);
  });

  it('keep their stored values when a PATCH sends the agent back as read (masked) or a tool without headers; {} and new values replace them', async () => {
    const created = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Round trip', type: 'inbound', tools: [tool({ Authorization: BEARER, 'x-api-key': 'k-123' })] } });
    const id = created.body.id;
    const read = (await api.call('GET', `/v1/agents/${id}`, { key: acct.apiKey })).body;

    // Read, change the description, write back: the masked values keep the stored ones.
    const roundTrip = await api.call('PATCH', `/v1/agents/${id}`, { key: acct.apiKey, body: { tools: [{ ...read.tools[0], description: 'Find a free slot' }] } });
    expect(roundTrip.status).toBe(200);
    expect(roundTrip.body.tools[0]).toMatchObject({ description: 'Find a free slot', headers: { Authorization: MASK, 'x-api-key': MASK } });
    expect(opened(await storedHeaders(id))).toEqual({ Authorization: BEARER, 'x-api-key': 'k-123' });

    // A tool without headers keeps them.
    await api.call('PATCH', `/v1/agents/${id}`, { key: acct.apiKey, body: { tools: [tool()] } });
    expect(opened(await storedHeaders(id))).toEqual({ Authorization: BEARER, 'x-api-key': 'k-123' });

    // One value replaced, one kept by its mask, one header dropped by leaving it out.
    await api.call('PATCH', `/v1/agents/${id}`, { key: acct.apiKey, body: { tools: [tool({ Authorization: 'Bearer next-token', 'x-trace': MASK.replace(/\*/g, 'x') })] } });
    expect(opened(await storedHeaders(id))).toEqual({ Authorization: 'Bearer next-token', 'x-trace': 'xxxxxxxx' });
    await api.call('PATCH', `/v1/agents/${id}`, { key: acct.apiKey, body: { tools: [tool({ authorization: MASK })] } });
    expect(opened(await storedHeaders(id))).toEqual({ authorization: 'Bearer next-token' });

    // {} removes them.
    await api.call('PATCH', `/v1/agents/${id}`, { key: acct.apiKey, body: { tools: [tool({})] } });
    expect(await storedHeaders(id)).toEqual({});
  });

  it('refuse the mask for a header the tool has no stored value for (it would be sent literally)', async () => {
    const created = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Mask', type: 'inbound', tools: [tool({ Authorization: BEARER })] } });
    const renamed = await api.call('PATCH', `/v1/agents/${created.body.id}`, { key: acct.apiKey, body: { tools: [tool({ Authorization: MASK }, 'other_name')] } });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error).toMatchObject({ type: 'invalid_request_error', param: 'tools' });
    expect(renamed.body.error.message).toContain('Authorization');
    const fresh = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Mask 2', type: 'inbound', tools: [tool({ 'x-api-key': MASK })] } });
    expect(fresh.status).toBe(400);
    expect(opened(await storedHeaders(created.body.id))).toEqual({ Authorization: BEARER });
  });
});

describe("an agent's model key", () => {
  const MODEL = 'https://models.example.com/v1';
  const storedLlm = async (id: string) => ((await api.ds.query('SELECT llm FROM agents WHERE id = $1', [id])) as Array<{ llm: Record<string, unknown> }>)[0]!.llm;
  const patchLlm = (id: string, llm: unknown) => api.call('PATCH', `/v1/agents/${id}`, { key: acct.apiKey, body: { llm } });

  it('is stored sealed, answered masked, and kept by a PATCH that sends it back masked or leaves it out for the same base_url', async () => {
    const created = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Own model', type: 'inbound', llm: { base_url: MODEL, api_key: 'sk-model-7d41', model: 'llama3.1:8b', extraction_model: 'qwen2.5:14b' } } });
    expect(created.status).toBe(201);
    expect(created.body.llm).toEqual({ base_url: MODEL, api_key: MASK, model: 'llama3.1:8b', extraction_model: 'qwen2.5:14b' });
    const id = created.body.id;
    const sealed = (await storedLlm(id)).api_key as string;
    expect(sealed).not.toContain('sk-model');
    expect(box.open(sealed)).toBe('sk-model-7d41');
    expect(JSON.stringify((await api.call('GET', '/v1/agents?limit=100', { key: acct.apiKey })).body)).not.toContain('sk-model');

    const read = (await api.call('GET', `/v1/agents/${id}`, { key: acct.apiKey })).body;
    expect((await patchLlm(id, { ...read.llm, temperature: 0.2 })).body.llm).toEqual({ ...read.llm, temperature: 0.2 });
    expect((await storedLlm(id)).api_key).toBe(sealed);
    expect((await patchLlm(id, { base_url: MODEL, model: 'llama3.1:70b' })).body.llm).toEqual({ base_url: MODEL, api_key: MASK, model: 'llama3.1:70b' });
    expect((await storedLlm(id)).api_key).toBe(sealed);

    const replaced = await patchLlm(id, { base_url: MODEL, api_key: 'sk-model-new', model: 'm' });
    expect(replaced.body.llm.api_key).toBe(MASK);
    expect(box.open((await storedLlm(id)).api_key as string)).toBe('sk-model-new');
    expect((await patchLlm(id, { base_url: MODEL, api_key: null, model: 'm' })).body.llm).toEqual({ base_url: MODEL, model: 'm' });
    expect(await storedLlm(id)).toEqual({ base_url: MODEL, model: 'm' });
  });

  it('is never sent to another server: a new base_url refuses the mask and drops a key left out', async () => {
    const created = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Moving model', type: 'inbound', llm: { base_url: MODEL, api_key: 'sk-model-7d41', model: 'm' } } });
    const id = created.body.id;
    const before = await storedLlm(id);
    const moved = await patchLlm(id, { base_url: 'https://elsewhere.example.net/v1', api_key: MASK, model: 'm' });
    expect(moved.status).toBe(400);
    expect(moved.body.error).toMatchObject({ type: 'invalid_request_error', param: 'llm.api_key' });
    expect(moved.body.error.message).toMatch(/base_url changed/);
    expect(await storedLlm(id)).toEqual(before);
    expect((await patchLlm(id, { base_url: 'https://elsewhere.example.net/v1', model: 'm' })).body.llm).toEqual({ base_url: 'https://elsewhere.example.net/v1', model: 'm' });
    expect(await storedLlm(id)).toEqual({ base_url: 'https://elsewhere.example.net/v1', model: 'm' });
  });

  it('needs a base_url, the mask needs a stored key, and a base_url needs a model name', async () => {
    for (const llm of [{ api_key: 'sk-x' }, { base_url: MODEL, api_key: MASK, model: 'm' }, { api_key: MASK }]) {
      const res = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Bad model', type: 'inbound', llm } });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe('llm.api_key');
    }
    const bad = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Bad model', type: 'inbound', llm: { base_url: 'ftp://models.example.com', model: 'm' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('llm.base_url');
    const nameless = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Bad model', type: 'inbound', llm: { base_url: MODEL } } });
    expect(nameless.status).toBe(400);
    expect(nameless.body.error.param).toBe('llm.model');
    expect(await api.ds.query(`SELECT 1 FROM agents WHERE name = 'Bad model'`)).toEqual([]);
  });
});
