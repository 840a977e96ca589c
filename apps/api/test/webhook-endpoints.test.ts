import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '@parley/db';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

let api: ApiHarness;
let acct: TestAccount;
let other: TestAccount;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount();
  other = await api.createAccount('Other');
});
afterAll(async () => api?.close());

/** Signing secrets are stored sealed: what the row holds opens to what the api showed. */
const opened = (stored: string | null) => (stored === null ? null : new SecretBox(api.config.PARLEY_SECRET_KEY).open(stored));

const create = (key: string, body: unknown) => api.call('POST', '/v1/webhook_endpoints', { key, body });

describe('/v1/webhook_endpoints', () => {
  it('creates an endpoint (secret shown once), reads, updates, lists and deletes it', async () => {
    const created = await create(acct.apiKey, { url: 'https://hooks.example.com/parley', events: ['call.completed', 'call.ended', 'call.completed'], description: 'CRM' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^we_/), object: 'webhook_endpoint', url: 'https://hooks.example.com/parley', events: ['call.completed', 'call.ended'], description: 'CRM', enabled: true, disabled_reason: null, secret: expect.stringMatching(/^whsec_/) });
    const id = created.body.id;
    const got = await api.call('GET', `/v1/webhook_endpoints/${id}`, { key: acct.apiKey });
    expect(got.body).not.toHaveProperty('secret');
    expect(got.body.events).toEqual(['call.completed', 'call.ended']);
    const patched = await api.call('PATCH', `/v1/webhook_endpoints/${id}`, { key: acct.apiKey, body: { events: ['call.transcript'], enabled: false } });
    expect(patched.body).toMatchObject({ events: ['call.transcript'], enabled: false, url: 'https://hooks.example.com/parley' });
    const listed = await api.call('GET', '/v1/webhook_endpoints', { key: acct.apiKey });
    expect(listed.body).toMatchObject({ object: 'list', has_more: false, data: [expect.objectContaining({ id })] });
    expect(listed.body.data[0]).not.toHaveProperty('secret');
    expect((await api.call('GET', `/v1/webhook_endpoints/${id}`, { key: other.apiKey })).status).toBe(404);
    expect((await api.call('GET', '/v1/webhook_endpoints', { key: other.apiKey })).body.data).toEqual([]);
    expect((await api.call('DELETE', `/v1/webhook_endpoints/${id}`, { key: acct.apiKey })).body).toEqual({ id, object: 'webhook_endpoint', deleted: true });
    expect((await api.call('GET', `/v1/webhook_endpoints/${id}`, { key: acct.apiKey })).status).toBe(404);
  });

  it('validates url and events', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ events: ['call.completed'] }, 'url'],
      [{ url: 'ftp://x.example/', events: ['call.completed'] }, 'url'],
      [{ url: 'https://x.example/', events: [] }, 'events'],
      [{ url: 'https://x.example/', events: ['call.exploded'] }, 'events.0'],
      [{ url: 'https://x.example/', events: ['call.ended'], secret: 'whsec_mine' }, 'secret'],
    ];
    for (const [body, param] of cases) {
      const res = await create(acct.apiKey, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.param, JSON.stringify(body)).toBe(param);
    }
    expect((await create('', { url: 'https://x.example/', events: ['call.ended'] })).status).toBe(401);
  });

  it('rotates the secret and clears disabled_reason when re-enabled', async () => {
    const created = await create(acct.apiKey, { url: 'https://hooks.example.com/a', events: ['call.ended'] });
    const rotated = await api.call('POST', `/v1/webhook_endpoints/${created.body.id}/rotate_secret`, { key: acct.apiKey });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const [row] = await api.ds.query('SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1', [created.body.id]);
    expect(row.secret).not.toContain('whsec_');
    expect(opened(row.secret)).toBe(rotated.body.secret);
    // The old secret signs beside the new one for 24 h by default, and the endpoint says until when.
    expect(opened(row.previous_secret)).toBe(created.body.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(created.body.previous_secret_expires_at).toBeNull();
    // A chosen grace period, or none.
    const shortly = await api.call('POST', `/v1/webhook_endpoints/${created.body.id}/rotate_secret`, { key: acct.apiKey, body: { expire_previous_in_seconds: 60 } });
    expect(Date.parse(shortly.body.previous_secret_expires_at) - Date.now()).toBeLessThanOrEqual(60_000);
    const [afterShort] = await api.ds.query('SELECT previous_secret FROM webhook_endpoints WHERE id = $1', [created.body.id]);
    expect(opened(afterShort.previous_secret)).toBe(rotated.body.secret);
    const atOnce = await api.call('POST', `/v1/webhook_endpoints/${created.body.id}/rotate_secret`, { key: acct.apiKey, body: { expire_previous_in_seconds: 0 } });
    expect(atOnce.body.previous_secret_expires_at).toBeNull();
    const [afterNow] = await api.ds.query('SELECT previous_secret FROM webhook_endpoints WHERE id = $1', [created.body.id]);
    expect(afterNow.previous_secret).toBeNull();
    const tooLong = await api.call('POST', `/v1/webhook_endpoints/${created.body.id}/rotate_secret`, { key: acct.apiKey, body: { expire_previous_in_seconds: 8 * 86_400 } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ type: 'invalid_request_error', param: 'expire_previous_in_seconds' });
    // as the webhooks service leaves it after a 410
    await api.ds.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'the endpoint answered 410 Gone' WHERE id = $1`, [created.body.id]);
    expect((await api.call('GET', `/v1/webhook_endpoints/${created.body.id}`, { key: acct.apiKey })).body).toMatchObject({ enabled: false, disabled_reason: 'the endpoint answered 410 Gone' });
    const enabled = await api.call('PATCH', `/v1/webhook_endpoints/${created.body.id}`, { key: acct.apiKey, body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('queues a signed test event and lists deliveries with their attempts; retry makes one due again', async () => {
    const ep = await create(acct.apiKey, { url: 'https://hooks.example.com/t', events: ['call.completed'] });
    const test = await api.call('POST', `/v1/webhook_endpoints/${ep.body.id}/test`, { key: acct.apiKey });
    expect(test.status).toBe(202);
    expect(test.body).toMatchObject({ id: expect.stringMatching(/^msg_/), object: 'webhook_delivery', endpoint_id: ep.body.id, event_type: 'webhook.test', status: 'pending', attempts: 0, attempt_log: [] });
    const [queued] = await api.ds.query('SELECT payload, next_attempt_at <= now() AS due FROM webhook_deliveries WHERE id = $1', [test.body.id]);
    expect(queued.due).toBe(true);
    expect(queued.payload).toMatchObject({ type: 'webhook.test', data: { endpoint_id: ep.body.id } });

    // What the webhooks service records after two failed attempts.
    await api.ds.query(`UPDATE webhook_deliveries SET status = 'failed', attempts = 2, next_attempt_at = NULL, last_status_code = 500, last_error = 'HTTP 500', last_latency_ms = 12 WHERE id = $1`, [test.body.id]);
    await api.ds.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, account_id, attempt, url, started_at, status_code, latency_ms, error) VALUES ($1, $2, 1, 'https://hooks.example.com/t', now(), NULL, 10000, 'timed out after 10000 ms'), ($1, $2, 2, 'https://hooks.example.com/t', now(), 500, 12, 'HTTP 500')`,
      [test.body.id, acct.accountId],
    );
    const deliveries = await api.call('GET', `/v1/webhook_endpoints/${ep.body.id}/deliveries`, { key: acct.apiKey });
    expect(deliveries.body.data).toHaveLength(1);
    expect(deliveries.body.data[0]).toMatchObject({ id: test.body.id, status: 'failed', attempts: 2, last_status_code: 500, last_error: 'HTTP 500', last_latency_ms: 12, next_attempt_at: null });
    expect(deliveries.body.data[0].attempt_log).toEqual([
      { attempt: 1, started_at: expect.any(String), status_code: null, latency_ms: 10000, error: 'timed out after 10000 ms' },
      { attempt: 2, started_at: expect.any(String), status_code: 500, latency_ms: 12, error: 'HTTP 500' },
    ]);
    expect((await api.call('GET', `/v1/webhook_endpoints/${ep.body.id}/deliveries?status=delivered`, { key: acct.apiKey })).body.data).toEqual([]);
    expect((await api.call('POST', `/v1/webhook_deliveries/${test.body.id}/retry`, { key: other.apiKey })).status).toBe(404);

    const retried = await api.call('POST', `/v1/webhook_deliveries/${test.body.id}/retry`, { key: acct.apiKey });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: test.body.id, status: 'pending', attempts: 2, next_attempt_at: expect.any(String) });
    const [due] = await api.ds.query('SELECT status, next_attempt_at <= now() AS due FROM webhook_deliveries WHERE id = $1', [test.body.id]);
    expect(due).toEqual({ status: 'pending', due: true });
  });

  it('refuses to retry a delivery of a disabled endpoint', async () => {
    const ep = await create(acct.apiKey, { url: 'https://hooks.example.com/d', events: ['call.ended'] });
    await api.ds.query(
      `INSERT INTO webhook_deliveries (id, account_id, endpoint_id, url, event_type, event_id, payload, status, attempts) VALUES ('msg_disabled1', $1, $2, 'https://hooks.example.com/d', 'call.ended', 'ev1', '{}', 'failed', 1)`,
      [acct.accountId, ep.body.id],
    );
    await api.call('PATCH', `/v1/webhook_endpoints/${ep.body.id}`, { key: acct.apiKey, body: { enabled: false } });
    const res = await api.call('POST', '/v1/webhook_deliveries/msg_disabled1/retry', { key: acct.apiKey });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/disabled/);
  });

  it("lists a call's deliveries (its webhook_url's and every endpoint's about it) with their attempts, and only that call's", async () => {
    const { agent } = await outboundSetup(api, acct);
    const place = async () => (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164(), webhook_url: 'https://hooks.example.com/per-call' } })).body;
    const [call, otherCall] = [await place(), await place()];
    const ep = await create(acct.apiKey, { url: 'https://hooks.example.com/c', events: ['call.ended', 'call.completed'] });
    await api.ds.query(
      `INSERT INTO webhook_deliveries (id, account_id, endpoint_id, call_id, url, event_type, event_id, payload, status, attempts, created_at) VALUES
         ('msg_call_percall', $1, NULL, $2, 'https://hooks.example.com/per-call', 'call.completed', 'evc1', '{}', 'delivered', 1, now() - interval '1 second'),
         ('msg_call_endpoint', $1, $3, $2, 'https://hooks.example.com/c', 'call.ended', 'evc2', '{}', 'failed', 1, now()),
         ('msg_call_other', $1, $3, $4, 'https://hooks.example.com/c', 'call.ended', 'evc3', '{}', 'delivered', 1, now())`,
      [acct.accountId, call.id, ep.body.id, otherCall.id],
    );
    await api.ds.query(`INSERT INTO webhook_delivery_attempts (delivery_id, account_id, attempt, url, started_at, status_code, latency_ms, error) VALUES ('msg_call_endpoint', $1, 1, 'https://hooks.example.com/c', now(), 503, 40, 'HTTP 503')`, [acct.accountId]);
    const res = await api.call('GET', `/v1/calls/${call.id}/webhook_deliveries`, { key: acct.apiKey });
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: { id: string }) => d.id)).toEqual(['msg_call_endpoint', 'msg_call_percall']);
    expect(res.body.data[0]).toMatchObject({ endpoint_id: ep.body.id, call_id: call.id, status: 'failed', attempt_log: [{ attempt: 1, status_code: 503, latency_ms: 40, error: 'HTTP 503' }] });
    expect(res.body.data[1]).toMatchObject({ endpoint_id: null, url: 'https://hooks.example.com/per-call', status: 'delivered' });
    const page = await api.call('GET', `/v1/calls/${call.id}/webhook_deliveries?limit=1`, { key: acct.apiKey });
    expect(page.body).toMatchObject({ has_more: true, data: [{ id: 'msg_call_endpoint' }] });
    expect((await api.call('GET', `/v1/calls/${call.id}/webhook_deliveries?limit=1&starting_after=msg_call_endpoint`, { key: acct.apiKey })).body).toMatchObject({ has_more: false, data: [{ id: 'msg_call_percall' }] });
    expect((await api.call('GET', `/v1/calls/${call.id}/webhook_deliveries?status=delivered`, { key: acct.apiKey })).body.data.map((d: { id: string }) => d.id)).toEqual(['msg_call_percall']);
    // Another account sees no such call; a bad query is a 400 in the error shape.
    const foreign = await api.call('GET', `/v1/calls/${call.id}/webhook_deliveries`, { key: other.apiKey });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toMatchObject({ code: 'resource_not_found' });
    const bad = await api.call('GET', `/v1/calls/${call.id}/webhook_deliveries?status=lost`, { key: acct.apiKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('status');
  });

  it('is in the OpenAPI document', async () => {
    const doc = await api.call('GET', '/v1/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/webhook_endpoints', '/v1/webhook_endpoints/{id}', '/v1/webhook_endpoints/{id}/rotate_secret', '/v1/webhook_endpoints/{id}/test', '/v1/webhook_endpoints/{id}/deliveries', '/v1/webhook_deliveries/{id}/retry', '/v1/calls/{id}/webhook_deliveries']));
  });
});
