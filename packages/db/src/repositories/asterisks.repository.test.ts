import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { AsterisksRepository, type NewAsterisk } from './asterisks.repository';
import { testAccount, testTrunk } from './test-rows';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let asterisks: AsterisksRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_asterisks');
  asterisks = new AsterisksRepository(db.dataSource);
});
afterAll(async () => {
  await db?.drop();
});

const asterisk = (name: string, fields: Partial<NewAsterisk> = {}): NewAsterisk => ({
  id: `ast_${name}`,
  name,
  ariUrl: `http://${name}.example:8088/ari`,
  ariUsername: 'parley',
  ariPasswordEncrypted: 'v1:sealed',
  site: null,
  labels: [],
  capacity: 100,
  ...fields,
});

it('registers Asterisks under unique names, lists them by name, updates and removes them', async () => {
  expect(await asterisks.create(asterisk('west', { site: 'lyon', labels: ['tls'] }))).toMatchObject({ name: 'west', site: 'lyon', labels: ['tls'], capacity: 100 });
  await asterisks.create(asterisk('east'));
  expect(await asterisks.create(asterisk('east', { id: 'ast_other' }))).toBeNull();
  expect((await asterisks.list()).map((a) => a.name)).toEqual(['east', 'west']);
  expect(await asterisks.unknownNames(['east', 'north', 'west', 'south'])).toEqual(['north', 'south']);

  expect(await asterisks.update('east', { capacity: 7, labels: ['gpu'] })).toBe(true);
  expect(await asterisks.byName('east')).toMatchObject({ capacity: 7, labels: ['gpu'], site: null });
  expect(await asterisks.update('north', { capacity: 7 })).toBe(false);
  expect(await asterisks.remove('west')).toBe(true);
  expect(await asterisks.remove('west')).toBe(false);
  expect((await asterisks.list()).map((a) => a.name)).toEqual(['east']);
});

it("counts other dialers' live calls per Asterisk", async () => {
  await testAccount(db.dataSource, 'acct_ast');
  await testTrunk(db.dataSource, 'acct_ast', 'trk_ast');
  const call = async (status: string, asterisk: string | null, dialer: string) =>
    db.dataSource.query(
      `INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, to_number, from_number, prompt, language, max_duration_seconds, ring_timeout_seconds, asterisk, dialer_id)
       VALUES (gen_random_uuid(), 'acct_ast', gen_random_uuid(), 'trk_ast', 'outbound', $1, '+1', '+2', 'p', 'en', 60, 30, $2, $3)`,
      [status, asterisk, dialer],
    );
  await call('in_progress', 'east', 'd1');
  await call('ringing', 'east', 'd2');
  await call('initiated', 'west', 'd2');
  await call('completed', 'east', 'd2');
  await call('in_progress', null, 'd2');
  await call('in_progress', 'east', 'me');
  expect(Object.fromEntries(await asterisks.liveCallsOfOthers('me'))).toEqual({ east: 2, west: 1 });
});
