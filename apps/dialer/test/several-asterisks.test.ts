import { startAsteriskSim, type AsteriskSim } from '@parley/asterisk-sim';
import { AsterisksRepository, DEV_SECRET_KEY, SecretBox, TrunkStatesRepository } from '@parley/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DialerWorld, type RunningDialer } from './support/dialer-world';

// Two simulators registered in the `asterisks` table as `east` and `west`, both carrying one customer trunk: the dialer
// connects to both, pushes the trunk to both, places a call on the least loaded one and on the next when one refuses,
// and follows the registry (a removed Asterisk takes no more calls and is closed).
let world: DialerWorld;
let dialer: RunningDialer;
const sims = new Map<string, AsteriskSim>();
let registry: AsterisksRepository;
let trunkId: string;
let states: TrunkStatesRepository;


beforeAll(async () => {
  world = await DialerWorld.start();
  registry = new AsterisksRepository(world.db.dataSource);
  const box = new SecretBox(DEV_SECRET_KEY);
  for (const name of ['east', 'west']) {
    const sim = await startAsteriskSim({ port: 0, qualifyTimeoutMs: 100 });
    sims.set(name, sim);
    await registry.create({ id: `ast_${name}`, name, ariUrl: sim.ariUrl, ariUsername: 'parley', ariPasswordEncrypted: box.seal('parley'), site: null, labels: [], capacity: 5 });
  }
  trunkId = await world.createTrunk({ name: 'carrier', host: 'sip.carrier.example' });
  dialer = await world.startDialer({ ASTERISK_REGISTRY_RELOAD_MS: '100', TRUNK_STATE_INTERVAL_MS: '200' });
  states = new TrunkStatesRepository(world.db.dataSource);
  await world.until(async () => {
    const rows = (await states.ofTrunks([trunkId])).get(trunkId) ?? [];
    return rows.filter((r) => r.provisioning === 'pushed' && r.endpointState === 'online').length === 2;
  }, 'the trunk pushed to east and west, and online on both');
});
afterAll(async () => {
  await world?.close();
  for (const sim of sims.values()) await sim.close();
});

async function busyOn(name: string, to: string): Promise<void> {
  const res = await fetch(`${sims.get(name)!.url}/sim/scenarios/${encodeURIComponent(to)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'busy', answer_after_ms: 50 }) });
  expect(res.ok).toBe(true);
}

async function carrierReachable(name: string, reachable: boolean): Promise<void> {
  const res = await fetch(`${sims.get(name)!.url}/sim/peers/${encodeURIComponent('sip.carrier.example')}`, reachable ? { method: 'DELETE' } : { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reachable: false }) });
  expect(res.ok).toBe(true);
  await world.until(async () => (await states.ofTrunks([trunkId])).get(trunkId)?.find((r) => r.asterisk === name)?.endpointState === (reachable ? 'online' : 'offline'), `${name} ${reachable ? 'reaching' : 'not reaching'} the carrier`);
}

it('an Asterisk that refuses the originate is passed over for the next; the call row names the one that took it', async () => {
  // Equal loads: `east` is tried first, and refuses (no contact left on the trunk: 500 Allocation failed).
  await carrierReachable('east', false);
  for (const name of ['east', 'west']) await busyOn(name, '+15557770001');
  const callId = await world.dispatch({ to: '+15557770001', trunkId });
  expect((await world.ended(callId)).data).toMatchObject({ status: 'busy', hangup_cause_code: 17 });
  expect(sims.get('west')!.calls.get(callId)).toBeDefined();
  expect(sims.get('east')!.calls.get(callId)).toBeUndefined();
  expect((await world.callRow(callId)).asterisk).toBe('west');
  expect(world.events.find((e) => e.call_id === callId && e.type === 'initiated')?.data).toMatchObject({ asterisk: 'west' });

  // Both refuse: the call fails with the last refusal.
  await carrierReachable('west', false);
  const refused = await world.dispatch({ to: '+15557770002', trunkId });
  expect((await world.ended(refused)).data).toMatchObject({ status: 'failed', error_code: 'originate_failed', error_message: expect.stringContaining('Allocation failed') });
  await carrierReachable('east', true);
  await carrierReachable('west', true);
});

it('follows the registry: a removed Asterisk takes no more calls and is closed; a trunk naming only it has no Asterisk', async () => {
  await registry.remove('east');
  await world.until(() => dialer.dialer.connections.registered().map((c) => c.name).join() === 'west', 'east retired');
  await world.until(() => !dialer.dialer.connections.all().some((c) => c.name === 'east'), 'east closed (no call on it)');
  for (const name of ['east', 'west']) await busyOn(name, '+15557770003');
  const callId = await world.dispatch({ to: '+15557770003', trunkId });
  expect((await world.ended(callId)).data).toMatchObject({ status: 'busy' });
  expect((await world.callRow(callId)).asterisk).toBe('west');
  await world.until(async () => (await states.ofTrunks([trunkId])).get(trunkId)?.map((r) => r.asterisk).join() === 'west', "east's row of the trunk gone");

  const eastOnly = await world.createTrunk({ name: 'east only' });
  await world.db.dataSource.query(`UPDATE trunks SET asterisks = '{east}' WHERE id = $1`, [eastOnly]);
  const nowhere = await world.dispatch({ to: '+15557770004', trunkId: eastOnly });
  expect((await world.ended(nowhere)).data).toMatchObject({ status: 'failed', error_code: 'no_asterisk_available', error_message: expect.stringContaining('east') });
});
