import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DEV_SECRET_KEY, SecretBox } from '@parley/db';

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

  it('registers Asterisks: add, list, update, remove; the ARI password is stored sealed and never printed', async () => {
    const added = await parley('asterisks', 'add', '--name', 'east-1', '--url', 'http://10.0.0.5:8088/ari/', '--username', 'parley', '--password', 'ari-s3cret', '--capacity', '200', '--site', 'paris', '--label', 'gpu', '--label', 'tls');
    expect(added).toMatchObject({ name: 'east-1', id: expect.stringMatching(/^ast_/), ari_url: 'http://10.0.0.5:8088/ari', ari_username: 'parley', has_password: true, site: 'paris', labels: ['gpu', 'tls'], capacity: 200 });
    expect(JSON.stringify(added)).not.toContain('ari-s3cret');
    const [row] = await db.dataSource.query(`SELECT ari_password_encrypted FROM asterisks WHERE name = 'east-1'`);
    expect(row.ari_password_encrypted).not.toContain('ari-s3cret');
    expect(new SecretBox(DEV_SECRET_KEY).open(row.ari_password_encrypted)).toBe('ari-s3cret');

    await parley('asterisks', 'add', '--name', 'west-1', '--url', 'https://west.example/ari', '--username', 'u', '--password', 'p', '--capacity', '50');
    const updated = await parley('asterisks', 'update', 'east-1', '--capacity', '300', '--site', '', '--password', 'rotated');
    expect(updated).toMatchObject({ name: 'east-1', capacity: 300, site: null, labels: ['gpu', 'tls'] });
    const list = await parley('asterisks', 'list');
    expect(list.map((a: any) => a.name)).toEqual(['east-1', 'west-1']);
    expect(JSON.stringify(list)).not.toMatch(/rotated|ari-s3cret|password_encrypted/);
    expect(await parley('asterisks', 'remove', 'west-1')).toEqual({ name: 'west-1', removed: true });
    expect((await parley('asterisks', 'list')).map((a: any) => a.name)).toEqual(['east-1']);

    const env = { env: { ...process.env, DATABASE_URL: db.url } };
    await expect(run('node', [CLI, 'asterisks', 'add', '--name', 'east-1', '--url', 'http://x/ari', '--username', 'u', '--password', 'p', '--capacity', '5'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('already registered') });
    await expect(run('node', [CLI, 'asterisks', 'add', '--name', 'sandbox', '--url', 'http://x/ari', '--username', 'u', '--password', 'p', '--capacity', '5'], env)).rejects.toMatchObject({ code: 1 });
    await expect(run('node', [CLI, 'asterisks', 'add', '--name', 'n', '--url', 'ftp://x/ari', '--username', 'u', '--password', 'p', '--capacity', '5'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--url') });
    await expect(run('node', [CLI, 'asterisks', 'add', '--name', 'n', '--url', 'http://x/ari', '--username', 'u', '--password', 'p'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--capacity') });
    await expect(run('node', [CLI, 'asterisks', 'remove', 'nope'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("no Asterisk is registered as 'nope'") });
    // Twelve CLI processes, one after the other: about 1 s each alone, several on a loaded 2-core machine.
  }, 120_000);

  it('fails with a message and a non-zero code on bad input', async () => {
    await expect(run('node', [CLI, 'keys', 'revoke', 'key_nope'], { env: { ...process.env, DATABASE_URL: db.url } })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no active key') });
    await expect(run('node', [CLI, 'accounts', 'create'], { env: { ...process.env, DATABASE_URL: db.url } })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--name') });
    await expect(run('node', [CLI, 'frobnicate'], { env: { ...process.env, DATABASE_URL: db.url } })).rejects.toMatchObject({ code: 2 });
  });
});
