import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { testAccount, testTrunk } from './test-rows';
import { TrunkStatesRepository } from './trunk-states.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let states: TrunkStatesRepository;

beforeAll(async () => {
  db = await createTestDatabase('parley_trunk_states');
  states = new TrunkStatesRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_ts');
  await testTrunk(db.dataSource, 'acct_ts', 'trk_a');
  await testTrunk(db.dataSource, 'acct_ts', 'trk_b');
});
afterAll(async () => {
  await db?.drop();
});

const stateOf = async (id: string, asterisk = 'asterisk') => (await states.ofTrunks([id])).get(id)?.find((s) => s.asterisk === asterisk);

it('keeps provisioning, endpoint state and contact apart; changed_at moves only when a state changes', async () => {
  const version = new Date('2026-12-01T10:00:00.123Z');
  await states.recordProvisioning('trk_a', { asterisk: 'asterisk', outcome: 'pushed', version });
  expect(await stateOf('trk_a')).toMatchObject({ provisioning: 'pushed', provisionedVersion: version, endpointState: null, checkedAt: null, asteriskConnected: false });

  await states.recordChecks('asterisk', [{ trunkId: 'trk_a', endpointState: 'offline' }, { trunkId: 'trk_b', endpointState: 'missing' }], 90_000);
  const first = (await stateOf('trk_a'))!;
  expect(first).toMatchObject({ endpointState: 'offline', asteriskConnected: true, provisioning: 'pushed' });
  expect(first.staleAfter!.getTime() - first.checkedAt!.getTime()).toBe(90_000);
  expect((await stateOf('trk_b'))!.endpointState).toBe('missing');

  // The same state read again: checked later, not changed.
  await states.recordChecks('asterisk', [{ trunkId: 'trk_a', endpointState: 'offline' }], 90_000);
  const again = (await stateOf('trk_a'))!;
  expect(again.changedAt).toEqual(first.changedAt);
  expect(again.checkedAt!.getTime()).toBeGreaterThan(first.checkedAt!.getTime());

  await states.recordContact('trk_a', 'asterisk', { status: 'reachable', uri: 'sip:carrier.example:5060', roundtripUsec: 23_456 });
  await states.recordEndpointState('trk_a', 'asterisk', 'online', 90_000);
  const up = (await stateOf('trk_a'))!;
  expect(up).toMatchObject({ endpointState: 'online', contactStatus: 'reachable', contactUri: 'sip:carrier.example:5060', roundtripUsec: 23_456, provisioning: 'pushed' });
  expect(up.changedAt!.getTime()).toBeGreaterThan(again.changedAt!.getTime());

  await states.recordDisconnected('asterisk', ['trk_a', 'trk_b']);
  expect(await stateOf('trk_a')).toMatchObject({ asteriskConnected: false, endpointState: 'online' });
  await states.recordProvisioning('trk_b', { asterisk: 'asterisk', outcome: 'failed', error: 'Asterisk answered 403: no writable wizard', version });
  expect(await stateOf('trk_b')).toMatchObject({ provisioning: 'failed', provisioningError: 'Asterisk answered 403: no writable wizard' });
});

it('writes nothing for a trunk that does not exist, and a deleted trunk takes its row along', async () => {
  await states.recordChecks('asterisk', [{ trunkId: 'trk_gone', endpointState: 'online' }], 90_000);
  await states.recordContact('trk_gone', 'asterisk', { status: 'reachable', uri: 'sip:x', roundtripUsec: 1 });
  await states.recordEndpointState('trk_gone', 'asterisk', 'online', 90_000);
  await states.recordProvisioning('trk_gone', { asterisk: 'asterisk', outcome: 'pushed', version: null });
  expect(await stateOf('trk_gone')).toBeUndefined();

  await testTrunk(db.dataSource, 'acct_ts', 'trk_c');
  await states.recordEndpointState('trk_c', 'asterisk', 'online', 90_000);
  expect(await stateOf('trk_c')).toBeDefined();
  await db.dataSource.query(`DELETE FROM trunks WHERE id = 'trk_c'`);
  expect(await stateOf('trk_c')).toBeUndefined();
});

it('keeps one row per trunk and Asterisk; a trunk taken off an Asterisk loses that row only', async () => {
  await testTrunk(db.dataSource, 'acct_ts', 'trk_two');
  await states.recordChecks('east', [{ trunkId: 'trk_two', endpointState: 'online' }], 90_000);
  await states.recordChecks('west', [{ trunkId: 'trk_two', endpointState: 'offline' }], 90_000);
  await states.recordContact('trk_two', 'west', { status: 'unreachable', uri: 'sip:w', roundtripUsec: null });
  await states.recordDisconnected('east', ['trk_two']);
  const rows = (await states.ofTrunks(['trk_two'])).get('trk_two')!;
  expect(rows.map((r) => [r.asterisk, r.endpointState, r.contactStatus, r.asteriskConnected])).toEqual([
    ['east', 'online', null, false],
    ['west', 'offline', 'unreachable', true],
  ]);
  await states.keepOnly('trk_two', ['west']);
  expect((await states.ofTrunks(['trk_two'])).get('trk_two')!.map((r) => r.asterisk)).toEqual(['west']);
});
