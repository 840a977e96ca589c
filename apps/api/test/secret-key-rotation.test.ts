import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, SecretBox } from '@parley/db';
import { type ApiHarness, startApi } from './api-harness';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../dist/cli/main.js');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let api: ApiHarness | null = null;

beforeAll(async () => {
  db = await createTestDatabase('parley_key_rotation');
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

async function parley(keys: Record<string, string>, ...args: string[]) {
  const { stdout } = await run('node', [CLI, ...args], { env: { ...process.env, DATABASE_URL: db.url, PARLEY_SECRET_KEY_PREVIOUS: '', ...keys } });
  return JSON.parse(stdout);
}

/** The api on the shared database with the given keys (the harness's own database stays unused). */
async function apiWith(keys: Record<string, string>) {
  await api?.close();
  api = await startApi({ DATABASE_URL: db.url, PARLEY_SECRET_KEY_PREVIOUS: '', ...keys });
  return api;
}

/** Every secret the database holds, as stored. */
async function storedSecrets(): Promise<string[]> {
  const rows: Array<{ v: string }> = await db.dataSource.query(
    `SELECT password_encrypted AS v FROM trunks WHERE password_encrypted IS NOT NULL
     UNION ALL SELECT webhook_secret FROM accounts
     UNION ALL SELECT secret FROM webhook_endpoints
     UNION ALL SELECT previous_secret FROM webhook_endpoints WHERE previous_secret IS NOT NULL
     UNION ALL SELECT h.value FROM agents, jsonb_array_elements(tools) t, jsonb_each_text(t->'headers') h
     UNION ALL SELECT llm->>'api_key' FROM agents WHERE llm ? 'api_key'
     UNION ALL SELECT ari_password_encrypted FROM asterisks`,
  );
  return rows.map((r) => r.v);
}

describe('PARLEY_SECRET_KEY rotation', () => {
  it('reads old secrets with PARLEY_SECRET_KEY_PREVIOUS, and after `parley secrets reseal` needs the new key only', async () => {
    const A = { PARLEY_SECRET_KEY: 'key-a-0123456789' };
    const account = await parley(A, 'accounts', 'create', '--name', 'Rotating');
    const key = account.api_key as string;
    let a = await apiWith(A);
    const trunk = await a.call('POST', '/v1/trunks', { key, body: { name: 'carrier', host: 'sip.example.com', username: 'u', password: 'trunk-pass' } });
    expect(trunk.status).toBe(201);
    const endpoint = await a.call('POST', '/v1/webhook_endpoints', { key, body: { url: 'https://hooks.example.com/p', events: ['call.completed'] } });
    const rotated = await a.call('POST', `/v1/webhook_endpoints/${endpoint.body.id}/rotate_secret`, { key, body: {} });
    const agent = await a.call('POST', '/v1/agents', { key, body: { name: 'T', type: 'inbound', tools: [{ type: 'http', name: 'lookup', description: 'd', url: 'https://example.com/t', headers: { Authorization: 'Bearer tool-token' } }], llm: { base_url: 'https://models.example.com/v1', api_key: 'sk-model-key', model: 'm' } } });
    expect(agent.status).toBe(201);
    await parley(A, 'asterisks', 'add', '--name', 'east-1', '--url', 'http://10.0.0.5:8088/ari', '--username', 'parley', '--password', 'ari-pass', '--capacity', '10');
    const plaintexts = ['trunk-pass', account.webhook_secret, rotated.body.secret, endpoint.body.secret, 'Bearer tool-token', 'sk-model-key', 'ari-pass'].sort();
    const open = (box: SecretBox) => (async () => (await storedSecrets()).map((v) => box.open(v)).sort())();
    expect(await open(new SecretBox(A.PARLEY_SECRET_KEY))).toEqual(plaintexts);

    // The operator sets a new key and keeps the old one as the previous: everything still reads.
    const B = { PARLEY_SECRET_KEY: 'key-b-9876543210', PARLEY_SECRET_KEY_PREVIOUS: A.PARLEY_SECRET_KEY };
    a = await apiWith(B);
    expect((await a.call('GET', '/v1/account', { key })).body.webhook_secret).toBe(account.webhook_secret);
    expect(await open(new SecretBox(B.PARLEY_SECRET_KEY, B.PARLEY_SECRET_KEY_PREVIOUS))).toEqual(plaintexts);
    await expect(open(new SecretBox(B.PARLEY_SECRET_KEY))).rejects.toThrow(/does not open/);

    const resealed = await parley(B, 'secrets', 'reseal');
    expect(resealed).toEqual({ resealed: { trunk_password: 1, account_webhook_secret: 1, endpoint_secret: 1, endpoint_previous_secret: 1, tool_header: 1, llm_api_key: 1, asterisk_password: 1 } });

    // The previous key can go.
    a = await apiWith({ PARLEY_SECRET_KEY: B.PARLEY_SECRET_KEY });
    expect((await a.call('GET', '/v1/account', { key })).body.webhook_secret).toBe(account.webhook_secret);
    expect(await open(new SecretBox(B.PARLEY_SECRET_KEY))).toEqual(plaintexts);
    await expect(open(new SecretBox(A.PARLEY_SECRET_KEY))).rejects.toThrow(/does not open/);
    expect(await parley({ PARLEY_SECRET_KEY: B.PARLEY_SECRET_KEY }, 'secrets', 'reseal')).toEqual({ resealed: { trunk_password: 0, account_webhook_secret: 0, endpoint_secret: 0, endpoint_previous_secret: 0, tool_header: 0, llm_api_key: 0, asterisk_password: 0 } });
  }, 180_000); // four CLI processes and three api starts: a few seconds each on a busy machine

  it('stops with the place named, changing nothing, when a secret opens with neither key', async () => {
    await expect(parley({ PARLEY_SECRET_KEY: 'key-c', PARLEY_SECRET_KEY_PREVIOUS: 'key-d' }, 'secrets', 'reseal')).rejects.toThrow(/trunks\.password_encrypted of trk_\w+: secret opens with neither/);
    expect(new Set((await storedSecrets()).map((v) => new SecretBox('key-b-9876543210').open(v))).size).toBe(7);
  }, 60_000);
});
