import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { ApiKeysRepository } from './api-keys.repository';
import { testAccount } from './test-rows';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let keys: ApiKeysRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_api_keys');
  keys = new ApiKeysRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_a');
});

afterAll(async () => {
  await db?.drop();
});

describe('ApiKeysRepository', () => {
  it('finds an active key by its hash, for its account', async () => {
    await keys.create({ id: 'key_1', accountId: 'acct_a', prefix: 'sk_live_abcd', keyHash: 'hash-1', name: 'default' });
    await keys.create({ id: 'key_2', accountId: 'acct_a', prefix: 'sk_live_efgh', keyHash: 'hash-2', name: null });
    expect(await keys.findActive('hash-1')).toEqual({ id: 'key_1', accountId: 'acct_a' });
    expect(await keys.findActive('hash-none')).toBeNull();
    expect((await keys.list('acct_a')).map((k) => [k.id, k.prefix, k.name, k.revokedAt])).toEqual([
      ['key_1', 'sk_live_abcd', 'default', null],
      ['key_2', 'sk_live_efgh', null, null],
    ]);
  });

  it('revokes a key once, announcing its hash on the channel when the revocation commits', async () => {
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`));
    await listener.query('LISTEN test_key_revoked');
    try {
      expect(await keys.revokeAndNotify('key_1', 'test_key_revoked')).toBe(true);
      expect(await keys.revokeAndNotify('key_1', 'test_key_revoked')).toBe(false);
      expect(await keys.revokeAndNotify('key_none', 'test_key_revoked')).toBe(false);
      await expect.poll(() => heard).toEqual(['test_key_revoked:hash-1']);
    } finally {
      await listener.end();
    }
    expect(await keys.findActive('hash-1')).toBeNull();
    expect(await keys.findActive('hash-2')).toEqual({ id: 'key_2', accountId: 'acct_a' });
    expect((await keys.list('acct_a'))[0]!.revokedAt).toBeInstanceOf(Date);
  });
});
