import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../secret-box';
import { createTestDatabase } from '../test-database';
import { StoredSecretsRepository } from './stored-secrets.repository';
import { testAccount, testTrunk } from './test-rows';
import { TrunksRepository } from './trunks.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let secrets: StoredSecretsRepository;
const oldBox = new SecretBox('old-key');
const rotating = new SecretBox('new-key', 'old-key');

beforeAll(async () => {
  db = await createTestDatabase('parley_stored_secrets');
  secrets = new StoredSecretsRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_a', { webhookSecret: oldBox.seal('whsec_account') });
  await testTrunk(db.dataSource, 'acct_a', 'trk_a', { passwordEncrypted: oldBox.seal('trunk-password') });
});

afterAll(async () => {
  await db?.drop();
});

const trunkPassword = async () => (await new TrunksRepository(db.dataSource).get('acct_a', 'trk_a'))!.passwordEncrypted!;

describe('StoredSecretsRepository', () => {
  it('reseals what the previous key sealed under the current one, once', async () => {
    const counts = await secrets.reseal(rotating);
    expect(counts).toMatchObject({ trunk_password: 1, account_webhook_secret: 1, endpoint_secret: 0, tool_header: 0 });
    expect(new SecretBox('new-key').open(await trunkPassword())).toBe('trunk-password');
    expect(Object.values(await secrets.reseal(rotating)).every((n) => n === 0)).toBe(true);
  });

  it('changes nothing when a value opens with neither key', async () => {
    await testTrunk(db.dataSource, 'acct_a', 'trk_foreign', { passwordEncrypted: new SecretBox('foreign-key').seal('x') });
    const before = await trunkPassword();
    await expect(secrets.reseal(new SecretBox('newer-key', 'new-key'))).rejects.toThrow(/trunks\.password_encrypted of trk_foreign/);
    expect(await trunkPassword()).toBe(before);
  });
});
