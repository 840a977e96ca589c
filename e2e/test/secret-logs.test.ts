import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from '@parley/db';
import { type Account, isSettled, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

/**
 * No log line of any service carries a secret. The whole product runs at debug level through a flow that creates
 * every kind of secret (API key, account and endpoint webhook secrets, a rotated one, a trunk password, tool
 * headers), delivers signed webhooks, fails deliveries, refuses bad keys, and answers 500s from database failures
 * injected under writes that carry secrets (the case that once logged a new whsec_ and a tool's bearer token).
 */
let tp: TestPlatform;
let account: Account;
let db: DataSource;
beforeAll(async () => {
  tp = await startTestPlatform({ LOG_LEVEL: 'debug' });
  account = await tp.createAccount('Secret keeper');
  db = new DataSource({ type: 'postgres', url: tp.databaseUrl });
  await db.initialize();
  // A database that fails some writes, as a full disk or a lost connection would, only for rows the test marks.
  await db.query(`CREATE FUNCTION parley_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
  await db.query(`CREATE TRIGGER fail_endpoint BEFORE INSERT ON webhook_endpoints FOR EACH ROW WHEN (NEW.description = 'fail') EXECUTE FUNCTION parley_test_fail()`);
  await db.query(`CREATE TRIGGER fail_trunk BEFORE INSERT ON trunks FOR EACH ROW WHEN (NEW.name = 'fail') EXECUTE FUNCTION parley_test_fail()`);
  await db.query(`CREATE TRIGGER fail_agent BEFORE UPDATE ON agents FOR EACH ROW WHEN (NEW.name = 'fail') EXECUTE FUNCTION parley_test_fail()`);
});
afterAll(async () => {
  await db?.destroy();
  await tp?.stop();
});

const token = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

describe('service logs', () => {
  it('carry no secret through creation, delivery, failed deliveries, refused keys and 500s', async () => {
    const secrets: Record<string, string> = { api_key: account.api_key, account_webhook_secret: account.webhook_secret };
    const api = (method: string, path: string, body?: unknown) => tp.api(account, method, path, body);

    // A trunk with a password, and one whose insert fails.
    secrets.trunk_password = token('trunk-pw-');
    expect((await api('POST', '/v1/trunks', { name: 'carrier', host: 'sip.example.com', username: 'parley', password: secrets.trunk_password })).status).toBe(201);
    secrets.failed_trunk_password = token('trunk-pw-');
    expect((await api('POST', '/v1/trunks', { name: 'fail', host: 'sip.example.com', username: 'parley', password: secrets.failed_trunk_password })).status).toBe(500);

    // Endpoint secrets: created, rotated, delivered with; a failed create generates one nobody sees.
    const hook = await tp.webhookReceiver(account.webhook_secret);
    const endpoint = await api('POST', '/v1/webhook_endpoints', { url: 'https://hooks.example.com/later', events: ['call.completed'] });
    secrets.endpoint_secret = endpoint.body.secret;
    const rotated = await api('POST', `/v1/webhook_endpoints/${endpoint.body.id}/rotate_secret`, {});
    secrets.rotated_endpoint_secret = rotated.body.secret;
    const endpointHook = await tp.webhookReceiver(rotated.body.secret);
    expect((await api('PATCH', `/v1/webhook_endpoints/${endpoint.body.id}`, { url: endpointHook.url })).status).toBe(200);
    expect((await api('POST', '/v1/webhook_endpoints', { url: hook.url, events: ['call.completed'], description: 'fail' })).status).toBe(500);
    const dead = await api('POST', '/v1/webhook_endpoints', { url: 'http://127.0.0.1:9/gone', events: ['call.completed'] });
    secrets.dead_endpoint_secret = dead.body.secret;
    await api('POST', `/v1/webhook_endpoints/${endpoint.body.id}/test`);
    await api('POST', `/v1/webhook_endpoints/${dead.body.id}/test`);

    // Tool headers: stored, read back, and a PATCH with a new bearer token that fails in the database.
    secrets.tool_bearer = token('tool-token-');
    secrets.tool_api_key = token('tool-key-');
    const { agent } = await sandboxAgent(tp, account, '+15550170001', {
      name: 'Keeper',
      type: 'outbound',
      instructions: 'Say hello.',
      webhook_url: hook.url,
      tools: [{ type: 'end_call' }, { type: 'http', name: 'crm_lookup', description: 'Look up the caller', url: `${hook.url}/crm`, headers: { Authorization: `Bearer ${secrets.tool_bearer}`, 'x-api-key': secrets.tool_api_key } }],
    });
    secrets.failed_tool_bearer = token('tool-token-');
    const failedPatch = await api('PATCH', `/v1/agents/${agent.id}`, { name: 'fail', tools: [{ type: 'http', name: 'crm_lookup', description: 'Look up', url: `${hook.url}/crm`, headers: { Authorization: `Bearer ${secrets.failed_tool_bearer}` } }] });
    expect(failedPatch.status).toBe(500);
    expect(JSON.stringify((await api('GET', `/v1/agents/${agent.id}`)).body)).not.toContain(secrets.tool_bearer);

    // Keys that are refused.
    secrets.unknown_key = token('sk_live_');
    expect((await tp.api({ ...account, api_key: secrets.unknown_key }, 'GET', '/v1/agents')).status).toBe(401);

    // A call that runs the agent (media loads its tools) and ends with a webhook signed by the account secret.
    await tp.scenario('+15550170002', { outcome: 'answer', answer_after_ms: 300, lines: ['Hello?'], hangup_after_ms: 3000, send_silence: true });
    const created = await api('POST', '/v1/calls', { agent_id: agent.id, to: '+15550170002' });
    expect(created.status).toBe(201);
    await tp.waitForCall(account, created.body.id, (c) => isSettled(c) && c.webhook_status === 'delivered', 120_000);
    const deadDeliveries = async () => (await api('GET', `/v1/webhook_endpoints/${dead.body.id}/deliveries`)).body.data as any[];
    const endpointGot = (type: string) => endpointHook.deliveries.some((d) => d.verified && d.payload.type === type);
    const deadline = Date.now() + 30_000;
    while (!((await deadDeliveries()).some((d) => d.attempts > 0) && endpointGot('call.completed')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

    // The flow did what it says: signed deliveries verified with the secrets the api showed, failures attempted, 500s logged.
    expect(hook.deliveries.filter((d) => d.verified).map((d) => d.payload.type)).toContain('call.completed');
    expect(endpointHook.deliveries.filter((d) => d.verified).map((d) => d.payload.type)).toEqual(expect.arrayContaining(['webhook.test', 'call.completed']));
    expect((await deadDeliveries()).some((d) => d.attempts > 0 && d.status !== 'delivered')).toBe(true);
    expect(tp.logs.filter((l) => l.startsWith('api:') && l.includes('injected failure')).length).toBeGreaterThanOrEqual(3);
    expect(tp.logs.length).toBeLessThan(15_000); // the harness keeps the last 20,000 lines: none was dropped

    const leaks = tp.logs.flatMap((line) => [
      ...Object.entries(secrets)
        .filter(([, value]) => line.includes(value) || line.includes(value.replace(/\//g, '\\/')))
        .map(([name]) => `${name}: ${line.slice(0, 300)}`),
      ...(/whsec_[A-Za-z0-9+/]{16,}|sk_live_[A-Za-z0-9]{12,}/.test(line) ? [`secret-shaped: ${line.slice(0, 300)}`] : []),
    ]);
    expect(leaks).toEqual([]);
  });
});
