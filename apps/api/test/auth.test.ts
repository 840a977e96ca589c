import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../src/accounts/api-keys';
import { type ApiHarness, outboundSetup, startApi } from './api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

describe('authentication', () => {
  it('401s a missing, malformed, unknown or revoked key, in the error shape', async () => {
    const acct = await api.createAccount();
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic abc' }, { authorization: 'Bearer sk_live_unknownunknownunknown' }]) {
      const res = await api.call('GET', '/v1/agents', { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { type: 'authentication_error', code: 'unauthorized', message: expect.any(String), param: null } });
    }
    expect((await api.call('GET', '/v1/agents', { key: acct.apiKey })).status).toBe(200);
    expect(await new ApiKeys(api.ds).revoke(acct.apiKeyId)).toBe(true);
    // The api caches keys it has seen; the revocation reaches it by Postgres NOTIFY, within milliseconds.
    await expect.poll(async () => (await api.call('GET', '/v1/agents', { key: acct.apiKey })).status, { timeout: 2000, interval: 20 }).toBe(401);
    expect(await new ApiKeys(api.ds).revoke(acct.apiKeyId)).toBe(false);
  });

  it('stores keys only as hashes with a visible prefix', async () => {
    const acct = await api.createAccount();
    expect(acct.apiKey).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    const rows = await api.ds.query('SELECT prefix, key_hash FROM api_keys WHERE id = $1', [acct.apiKeyId]);
    expect(rows[0].prefix).toBe(acct.apiKey.slice(0, 12));
    expect(rows[0].key_hash).not.toContain(acct.apiKey.slice(8));
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves health, metrics and the OpenAPI document open', async () => {
    expect((await api.call('GET', '/healthz')).status).toBe(200);
    expect((await api.call('GET', '/readyz')).body).toMatchObject({ status: 'ready', checks: { nats: true, postgres: true } });
    const metrics = await api.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain('process_cpu_user_seconds_total');
    expect((await api.call('GET', '/v1/openapi.json')).status).toBe(200);
    const docs = await fetch(api.url + '/docs');
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect((await fetch(api.url + '/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('answers unknown routes with the error shape', async () => {
    const acct = await api.createAccount();
    const res = await api.call('GET', '/v1/nope', { key: acct.apiKey });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: 'not_found_error', code: 'route_not_found' });
  });
});

describe('tenant isolation', () => {
  it("never shows or changes another account's objects", async () => {
    const a = await api.createAccount('A');
    const b = await api.createAccount('B');
    const { agent, number } = await outboundSetup(api, a);
    const trunk = await api.call('POST', '/v1/trunks', { key: a.apiKey, body: { name: 'carrier', host: 'sip.example.com' } });
    const call = await api.call('POST', '/v1/calls', { key: a.apiKey, body: { agent_id: agent.id, to: '+14155550100' } });
    const targets = [
      ['GET', `/v1/agents/${agent.id}`],
      ['PATCH', `/v1/agents/${agent.id}`, { name: 'x' }],
      ['DELETE', `/v1/agents/${agent.id}`],
      ['GET', `/v1/numbers/${number.id}`],
      ['GET', `/v1/numbers/${number.id}/calls`],
      ['PATCH', `/v1/numbers/${number.id}`, { label: 'x' }],
      ['DELETE', `/v1/numbers/${number.id}`],
      ['GET', `/v1/trunks/${trunk.body.id}`],
      ['PATCH', `/v1/trunks/${trunk.body.id}`, { port: 5080 }],
      ['DELETE', `/v1/trunks/${trunk.body.id}`],
      ['GET', `/v1/calls/${call.body.id}`],
      ['POST', `/v1/calls/${call.body.id}/end`],
      ['GET', `/v1/calls/${call.body.id}/transcript`],
      ['GET', `/v1/calls/${call.body.id}/recording`],
    ] as const;
    for (const [method, path, body] of targets) {
      const res = await api.call(method, path, { key: b.apiKey, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.type).toBe('not_found_error');
    }
    // B's numbers cannot be used by A's agent, nor A's trunk for B's number.
    const bNumber = await api.call('POST', '/v1/numbers', { key: b.apiKey, body: { number: '+14155550199', trunk_id: trunk.body.id } });
    expect(bNumber.status).toBe(404);
    expect(bNumber.body.error.param).toBe('trunk_id');
    const lists = await Promise.all(['/v1/agents', '/v1/numbers', '/v1/calls'].map((p) => api.call('GET', p, { key: b.apiKey })));
    for (const l of lists) expect(l.body.data).toEqual([]);
    // And everything of A is intact.
    expect((await api.call('GET', `/v1/agents/${agent.id}`, { key: a.apiKey })).body.name).toBe('Appointment reminders');
  });
});

describe('GET /v1/account', () => {
  it("returns the key's account with its webhook signing secret", async () => {
    const acct = await api.createAccount('Secretive');
    const res = await api.call('GET', '/v1/account', { key: acct.apiKey });
    expect(res.body).toMatchObject({ id: acct.accountId, object: 'account', name: 'Secretive', webhook_secret: expect.stringMatching(/^whsec_/) });
  });
});
