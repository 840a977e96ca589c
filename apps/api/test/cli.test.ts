import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@parley/db';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../dist/cli/main.js');
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('parley_cli_test');
});
afterAll(async () => db?.drop());

async function parley(...args: string[]) {
  const { stdout } = await run('node', [CLI, ...args], { env: { ...process.env, DATABASE_URL: db.url } });
  return JSON.parse(stdout);
}

describe('pnpm parley (admin CLI)', () => {
  it('creates accounts and keys, lists, revokes, sets rates and credits, printing JSON', async () => {
    const created = await parley('accounts', 'create', '--name', 'Acme Clinics');
    expect(created).toMatchObject({ account_id: expect.stringMatching(/^acct_/), api_key: expect.stringMatching(/^sk_live_/), name: 'Acme Clinics', sandbox_trunk_id: expect.stringMatching(/^trk_/) });
    const list = await parley('accounts', 'list');
    expect(list).toEqual([expect.objectContaining({ account_id: created.account_id, name: 'Acme Clinics', balance_milli_cents: null })]);
    const key = await parley('keys', 'create', '--account', created.account_id);
    expect(key.api_key).toMatch(/^sk_live_/);
    expect(key.api_key).not.toBe(created.api_key);
    const revoked = await parley('keys', 'revoke', key.api_key_id);
    expect(revoked).toEqual({ api_key_id: key.api_key_id, revoked: true });
    const keys = await parley('keys', 'list', '--account', created.account_id);
    expect(keys.find((k: any) => k.api_key_id === key.api_key_id).revoked_at).not.toBeNull();
    const rate = await parley('accounts', 'set-rate', '--account', created.account_id, '--rate', '2500', '--increment', '6', '--minimum', '6');
    expect(rate).toMatchObject({ rate_milli_cents_per_minute: 2500, billing_increment_seconds: 6, billing_minimum_seconds: 6 });
    expect(await parley('credits', 'set', '--account', created.account_id, '--amount', '100000')).toMatchObject({ balance_milli_cents: 100000 });
    expect(await parley('credits', 'add', '--account', created.account_id, '--amount', '500')).toMatchObject({ balance_milli_cents: 100500 });
  });

  it('fails with a message and a non-zero code on bad input', async () => {
    await expect(run('node', [CLI, 'keys', 'revoke', 'key_nope'], { env: { ...process.env, DATABASE_URL: db.url } })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no active key') });
    await expect(run('node', [CLI, 'accounts', 'create'], { env: { ...process.env, DATABASE_URL: db.url } })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--name') });
    await expect(run('node', [CLI, 'frobnicate'], { env: { ...process.env, DATABASE_URL: db.url } })).rejects.toMatchObject({ code: 2 });
  });
});
