import { AriClient, AriError } from '@parley/ari-client';
import { startAsteriskSim, type AsteriskSim } from '@parley/asterisk-sim';
import { TrunksChangedMessage } from '@parley/common';
import { SecretBox, TrunkStatesRepository, type TrunkState } from '@parley/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DialerWorld } from './support/dialer-world';

// A second simulator plays the real Asterisk (ARI_URL, the Asterisk named `default`): customer trunks are pushed to it and dialed through it.
let world: DialerWorld;
let asterisk: AsteriskSim;
let ari: AriClient;
let trunkId: string;
let states: TrunkStatesRepository;

beforeAll(async () => {
  world = await DialerWorld.start();
  // Asterisk's qualify_timeout is 3 s; a carrier that stops answering is noticed sooner here.
  asterisk = await startAsteriskSim({ port: 0, qualifyTimeoutMs: 100 });
  ari = new AriClient({ url: asterisk.ariUrl, username: 'parley', password: 'parley', app: 'inspector' });
  trunkId = await world.createTrunk({
    name: 'carrier',
    host: 'sip.carrier.example',
    port: 5080,
    transport: 'tcp',
    username: 'acme',
    passwordEncrypted: new SecretBox('parley-dev-secret-change-me').seal('s3cret'),
    register: true,
    codecs: ['g722', 'alaw'],
  });
  await world.startDialer({ ARI_URL: asterisk.ariUrl, ARI_USER: 'parley', ARI_PASSWORD: 'parley', TRUNK_STATE_INTERVAL_MS: '200' });
  states = new TrunkStatesRepository(world.db.dataSource);
});
afterAll(async () => {
  await world?.close();
  await asterisk?.close();
});

async function objectOf(type: string, id: string): Promise<Record<string, string> | null> {
  try {
    const tuples = await ari.asterisk.getObject('res_pjsip', type, id);
    return Object.fromEntries(tuples.map((t) => [t.attribute, t.value]));
  } catch (err) {
    if (err instanceof AriError && err.isNotFound) return null;
    throw err;
  }
}

it('pushes customer trunks to Asterisk at start as endpoint, aor, auth, identify and registration', async () => {
  const endpoint = await world.until(() => objectOf('endpoint', trunkId), 'endpoint pushed');
  expect(endpoint).toMatchObject({ aors: trunkId, outbound_auth: `${trunkId}-auth`, allow: 'g722,alaw', disallow: 'all', transport: 'transport-tcp', context: 'from-trunk' });
  expect(await objectOf('auth', `${trunkId}-auth`)).toMatchObject({ auth_type: 'userpass', username: 'acme', password: 's3cret' });
  expect(await objectOf('aor', trunkId)).toMatchObject({ contact: 'sip:sip.carrier.example:5080;transport=tcp' });
  expect(await objectOf('identify', trunkId)).toMatchObject({ endpoint: trunkId, match: 'sip.carrier.example' });
  expect(await objectOf('registration', `${trunkId}-reg`)).toMatchObject({ server_uri: 'sip:sip.carrier.example:5080;transport=tcp', client_uri: 'sip:acme@sip.carrier.example', outbound_auth: `${trunkId}-auth` });
  // The sandbox trunk lives in the simulator and is not pushed.
  expect(await objectOf('endpoint', world.trunkId)).toBeNull();
});

it('calls on a customer trunk go to the real Asterisk through the pushed endpoint', async () => {
  await fetch(`${asterisk.url}/sim/scenarios/${encodeURIComponent('+15558880001')}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'busy', answer_after_ms: 50 }) });
  const callId = await world.dispatch({ to: '+15558880001', trunkId });
  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'busy', hangup_cause_code: 17 });
  expect(asterisk.calls.get(callId)?.toJSON()).toMatchObject({ endpoint: trunkId, to: '+15558880001' });
  expect(await world.simCall(callId)).toBeNull();
});

/** The trunk's row (of one of its Asterisks) once it satisfies `ready`. */
function stateWhen(id: string, ready: (s: TrunkState) => boolean, what: string): Promise<TrunkState> {
  return world.until(async () => (await states.ofTrunks([id])).get(id)?.find(ready) ?? null, what);
}

async function peer(host: string, body: { reachable: boolean } | null): Promise<void> {
  const res = await fetch(`${asterisk.url}/sim/peers/${encodeURIComponent(host)}`, body ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method: 'DELETE' });
  expect(res.ok).toBe(true);
}

it("records each trunk's state as Asterisk reports it: pushed, then reachable with the qualify round trip", async () => {
  const up = await stateWhen(trunkId, (s) => s.provisioning === 'pushed' && s.endpointState === 'online' && s.contactStatus === 'reachable', 'the trunk pushed and reachable');
  expect(up).toMatchObject({ asterisk: 'default', asteriskConnected: true, contactUri: 'sip:sip.carrier.example:5080;transport=tcp', provisioningError: null });
  expect(up.roundtripUsec).toBeGreaterThan(0);
  expect(up.checkedAt).not.toBeNull();
  // The sandbox trunk's state is read from the simulator.
  await stateWhen(world.trunkId, (s) => s.asterisk === 'sandbox' && s.endpointState === 'online', 'the sandbox trunk online');
});

it('a carrier that stops answering OPTIONS makes its trunk unreachable, and reachable again when it answers', async () => {
  await peer('sip.carrier.example', { reachable: false });
  const down = await stateWhen(trunkId, (s) => s.endpointState === 'offline' && s.contactStatus === 'unreachable', 'the trunk unreachable');
  expect(down.roundtripUsec).toBeNull();
  // Asterisk has no contact left to call on the trunk: the originate is refused, the call fails at once.
  const callId = await world.dispatch({ to: '+15558880002', trunkId });
  expect((await world.ended(callId)).data).toMatchObject({ status: 'failed', error_code: 'originate_failed', error_message: expect.stringContaining('Allocation failed') });
  await peer('sip.carrier.example', null);
  const back = await stateWhen(trunkId, (s) => s.endpointState === 'online' && s.contactStatus === 'reachable', 'the trunk reachable again');
  expect(back.changedAt!.getTime()).toBeGreaterThan(down.changedAt!.getTime());
});

it('a trunk whose host does not resolve is unreachable', async () => {
  const id = await world.createTrunk({ name: 'nowhere', host: 'sip.nowhere.invalid' });
  world.bus.publish(world.bus.subjects.trunksChanged, TrunksChangedMessage, { account_id: world.accountId, trunk_id: id });
  await stateWhen(id, (s) => s.provisioning === 'pushed' && s.endpointState === 'offline' && s.contactStatus === 'unreachable', 'the unresolvable trunk unreachable');
});

it("a pushed endpoint Asterisk lost (it restarted) is pushed again at the next check", async () => {
  await ari.asterisk.deleteObject('res_pjsip', 'endpoint', trunkId);
  await world.until(() => objectOf('endpoint', trunkId), 'endpoint pushed again');
  await stateWhen(trunkId, (s) => s.endpointState !== 'missing' && s.provisioning === 'pushed', 'the trunk back in Asterisk');
});

it('trunks.changed re-pushes a changed trunk and removes a deleted one', async () => {
  await world.db.dataSource.query(`UPDATE trunks SET register = false, codecs = '{ulaw}' WHERE id = $1`, [trunkId]);
  world.bus.publish(world.bus.subjects.trunksChanged, TrunksChangedMessage, { account_id: world.accountId, trunk_id: trunkId });
  await world.until(async () => (await objectOf('endpoint', trunkId))?.allow === 'ulaw', 'endpoint re-pushed');
  await world.until(async () => (await objectOf('registration', `${trunkId}-reg`)) === null, 'registration removed');

  await world.db.dataSource.query(`DELETE FROM trunks WHERE id = $1`, [trunkId]);
  world.bus.publish(world.bus.subjects.trunksChanged, TrunksChangedMessage, { account_id: world.accountId, trunk_id: trunkId });
  await world.until(async () => (await objectOf('endpoint', trunkId)) === null, 'endpoint removed');
  expect(await objectOf('auth', `${trunkId}-auth`)).toBeNull();
  expect(await objectOf('aor', trunkId)).toBeNull();
});

it('readiness reports the simulator and the registered Asterisks', async () => {
  const res = await fetch(`${world.dialers[0]!.url}/readyz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ready', checks: { ari_sandbox: true, ari_asterisks: true, nats: true, postgres: true } });
});
