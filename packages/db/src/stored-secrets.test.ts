import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions, DEFAULT_DATABASE_URL, ensureDatabaseExists, openDatabase } from './data-source';
import { MIGRATIONS } from './migrations';
import { SecretsAtRest1764810000000 } from './migrations/1764810000000-secrets-at-rest';
import { SecretBox } from './secret-box';
import { resealStoredSecrets } from './stored-secrets';

const url = (() => {
  const u = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  u.pathname = `/parley_secrets_${randomBytes(6).toString('hex')}`;
  return u.toString();
})();
const savedKey = process.env.PARLEY_SECRET_KEY;
let ds: DataSource;

const PLAIN = {
  account: 'whsec_YWNjb3VudC1zZWNyZXQtMDEyMzQ1Njc4OQ==',
  endpoint: 'whsec_ZW5kcG9pbnQtc2VjcmV0LTAxMjM0NTY3ODk=',
  previous: 'whsec_cHJldmlvdXMtc2VjcmV0LTAxMjM0NTY3ODk=',
  bearer: 'Bearer tool-token-0123456789',
  apiKey: 'k-0123456789',
};

async function stored() {
  const [account] = await ds.query(`SELECT webhook_secret FROM accounts WHERE id = 'acct_s'`);
  const [endpoint] = await ds.query(`SELECT secret, previous_secret FROM webhook_endpoints WHERE id = 'we_s'`);
  const [trunk] = await ds.query(`SELECT password_encrypted FROM trunks WHERE id = 'trk_s'`);
  const [agent] = await ds.query(`SELECT tools FROM agents WHERE account_id = 'acct_s'`);
  const headers = agent.tools[1].headers as Record<string, string>;
  return { account: account.webhook_secret as string, endpoint: endpoint.secret as string, previous: endpoint.previous_secret as string, trunk: trunk.password_encrypted as string, headers, tools: agent.tools };
}

beforeAll(async () => {
  // An install from before secrets were sealed: every migration up to this one, then plaintext rows.
  process.env.PARLEY_SECRET_KEY = 'upgrade-key';
  await ensureDatabaseExists(url);
  const before = new DataSource({ ...dataSourceOptions({ url }), migrations: MIGRATIONS.filter((m) => m !== SecretsAtRest1764810000000) });
  await before.initialize();
  await before.runMigrations();
  await before.query(`INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ('acct_s', 's', $1, 0, 1, 0)`, [PLAIN.account]);
  await before.query(`INSERT INTO webhook_endpoints (id, account_id, url, events, enabled, secret, previous_secret, previous_secret_expires_at) VALUES ('we_s', 'acct_s', 'https://example.com/h', '{call.completed}', true, $1, $2, now() + interval '1 hour')`, [PLAIN.endpoint, PLAIN.previous]);
  await before.query(
    `INSERT INTO trunks (id, account_id, name, host, port, transport, username, password_encrypted, codecs, max_concurrent_calls, calls_per_second) VALUES ('trk_s', 'acct_s', 't', 'sip.example.com', 5060, 'udp', 'u', $1, '{ulaw}', 1, 1)`,
    [new SecretBox('upgrade-key').seal('trunk-password')],
  );
  const tools = [
    { type: 'end_call' },
    { type: 'http', name: 'lookup', description: 'd', parameters: { type: 'object', properties: {} }, url: 'https://example.com/t', method: 'POST', headers: { Authorization: PLAIN.bearer, 'x-api-key': PLAIN.apiKey }, timeout_ms: 5000, speak_while_waiting: null },
  ];
  await before.query(
    `INSERT INTO agents (id, account_id, name, type, language, tools, voicemail_action, number_ids, max_duration_seconds, ring_timeout_seconds, llm) VALUES (gen_random_uuid(), 'acct_s', 'a', 'inbound', 'en', $1::jsonb, 'hangup', '{}', 600, 30, '{}')`,
    [JSON.stringify(tools)],
  );
  await before.destroy();
  ds = await openDatabase({ url, poolSize: 2 });
});

afterAll(async () => {
  if (savedKey === undefined) delete process.env.PARLEY_SECRET_KEY;
  else process.env.PARLEY_SECRET_KEY = savedKey;
  if (ds?.isInitialized) await ds.destroy();
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const a = new DataSource({ type: 'postgres', url: admin.toString() });
  await a.initialize();
  await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await a.destroy();
});

describe('secrets at rest', () => {
  it('the upgrade migration seals plaintext webhook secrets and tool headers with PARLEY_SECRET_KEY, and leaves sealed trunk passwords alone', async () => {
    const s = await stored();
    const box = new SecretBox('upgrade-key');
    for (const v of [s.account, s.endpoint, s.previous, s.headers.Authorization!, s.headers['x-api-key']!]) expect(SecretBox.isSealed(v)).toBe(true);
    expect(box.open(s.account)).toBe(PLAIN.account);
    expect(box.open(s.endpoint)).toBe(PLAIN.endpoint);
    expect(box.open(s.previous)).toBe(PLAIN.previous);
    expect(box.open(s.headers.Authorization!)).toBe(PLAIN.bearer);
    expect(box.open(s.headers['x-api-key']!)).toBe(PLAIN.apiKey);
    expect(box.open(s.trunk)).toBe('trunk-password');
    expect(s.tools[0]).toEqual({ type: 'end_call' });
    expect(JSON.stringify(await ds.query(`SELECT * FROM accounts, webhook_endpoints, agents`))).not.toMatch(/whsec_|tool-token|k-0123456789/);
  });

  it('reseal moves every secret to the current key, after which the previous key is not needed; a value no key opens changes nothing', async () => {
    const rotating = new SecretBox('new-key', 'upgrade-key');
    const counts = await ds.transaction((m) => resealStoredSecrets(m, rotating));
    expect(counts).toEqual({ trunk_password: 1, account_webhook_secret: 1, endpoint_secret: 1, endpoint_previous_secret: 1, tool_header: 2, llm_api_key: 0, asterisk_password: 0 });
    const s = await stored();
    const only = new SecretBox('new-key');
    expect([only.open(s.account), only.open(s.endpoint), only.open(s.previous), only.open(s.trunk), only.open(s.headers.Authorization!), only.open(s.headers['x-api-key']!)]).toEqual([
      PLAIN.account, PLAIN.endpoint, PLAIN.previous, 'trunk-password', PLAIN.bearer, PLAIN.apiKey,
    ]);
    // Run again: everything is current already.
    expect(Object.values(await ds.transaction((m) => resealStoredSecrets(m, rotating)))).toEqual([0, 0, 0, 0, 0, 0, 0]);

    await ds.query(`UPDATE webhook_endpoints SET secret = $1 WHERE id = 'we_s'`, [new SecretBox('unknown-key').seal('x')]);
    const before = await stored();
    await expect(ds.transaction((m) => resealStoredSecrets(m, new SecretBox('newer-key', 'new-key')))).rejects.toThrow(/webhook_endpoints\.secret of we_s: .*neither/);
    expect(await stored()).toEqual(before);
  });
});
