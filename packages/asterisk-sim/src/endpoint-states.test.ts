import { AriClient, AriError, type AriEvent } from '@parley/ari-client';
import { afterEach, expect, it } from 'vitest';
import { hostOf } from './ari/endpoint-states';
import { startAsteriskSim, type AsteriskSim, type AsteriskSimOptions } from './server';
import { settle } from './testing/harness';

let sim: AsteriskSim;
let ari: AriClient;
let events: AriEvent[];

/** A simulator and a client subscribed to everything, as the dialer connects (endpoint events go only to such apps). */
async function start(options: AsteriskSimOptions = {}): Promise<void> {
  sim = await startAsteriskSim({ port: 0, qualifyTimeoutMs: 100, ...options });
  ari = new AriClient({ url: sim.url, username: sim.username, password: sim.password, app: 'dialer', subscribeAll: true });
  events = [];
  ari.on('event', (e) => {
    events.push(e);
  });
  await ari.connect();
}
afterEach(async () => {
  await ari?.close();
  await sim?.close();
});

type Maybe<T> = T | undefined | null | false;
async function until<T>(read: () => Maybe<T> | Promise<Maybe<T>>, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (v) return v;
    await settle(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The endpoint-related events of one endpoint, as `peer:status` / `contact:status` strings. */
function trail(endpoint: string, from: AriEvent[] = events): string[] {
  return from.flatMap((e) => {
    if (e.type === 'EndpointStateChange' && e.endpoint.resource === endpoint) return [`endpoint:${e.endpoint.state}`];
    if (e.type === 'PeerStatusChange' && e.endpoint.resource === endpoint) return [`peer:${e.peer.peer_status}`];
    if (e.type === 'ContactStatusChange' && e.endpoint.resource === endpoint) return [`contact:${e.contact_info.contact_status}`];
    return [];
  });
}

/** What the dialer pushes for a trunk: its AOR, then its endpoint. */
async function pushTrunk(id: string, host: string, qualifyFrequency = '60'): Promise<void> {
  await ari.asterisk.putObject('res_pjsip', 'aor', id, { contact: `sip:${host}:5060`, qualify_frequency: qualifyFrequency });
  await ari.asterisk.putObject('res_pjsip', 'endpoint', id, { aors: id, context: 'from-trunk' });
}

async function peer(host: string, body: object | null): Promise<Response> {
  return fetch(`${sim.url}/sim/peers/${encodeURIComponent(host)}`, body ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method: 'DELETE' });
}

const originate = (endpoint: string) => ari.channels.originate({ endpoint, app: 'dialer', timeout: 5 });
const allocationFailed = (e: unknown) => e instanceof AriError && e.status === 500 && e.asteriskMessage === 'Allocation failed';

it('a pushed endpoint is offline, silently, until its contact answers a qualify; then online, with the round trip', async () => {
  await start({ ordering: 'orderly', qualifyTimeoutMs: 60_000 });
  // A carrier that does not answer yet: the endpoint stays as Asterisk creates it.
  await peer('sip.carrier.example', { reachable: false });
  await pushTrunk('trk_a', 'sip.carrier.example');
  expect(await ari.endpoints.get('PJSIP', 'trk_a')).toEqual({ technology: 'PJSIP', resource: 'trk_a', state: 'offline', channel_ids: [] });
  // A contact not qualified yet can be dialed.
  expect((await originate('PJSIP/+15551234567@trk_a')).name).toMatch(/^PJSIP\/trk_a-/);
  expect(trail('trk_a')).toEqual([]);

  await peer('sip.carrier.example', null);
  const contact = await until(() => events.find((e) => e.type === 'ContactStatusChange'), 'the qualify result');
  expect(contact).toMatchObject({
    application: 'dialer',
    endpoint: { technology: 'PJSIP', resource: 'trk_a', state: 'online' },
    contact_info: { uri: 'sip:sip.carrier.example:5060', contact_status: 'Reachable', aor: 'trk_a', roundtrip_usec: '20000' },
  });
  expect(events.find((e) => e.type === 'PeerStatusChange')).toMatchObject({ endpoint: { resource: 'trk_a', state: 'online' }, peer: { peer_status: 'Reachable' } });
  expect(trail('trk_a')).toEqual(['peer:Reachable', 'contact:Reachable']);
  expect((await ari.endpoints.get('PJSIP', 'trk_a')).state).toBe('online');
  expect((await ari.endpoints.listByTech('PJSIP')).map((e) => [e.resource, e.state])).toEqual([
    ['sandbox', 'online'],
    ['trk_a', 'online'],
  ]);
});

it('draws the round trip of an answering peer, and sends the peer event before the contact event under every seed', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    await start({ seed });
    await pushTrunk('trk_o', 'sip.o.example');
    await until(() => trail('trk_o').length === 2, 'peer and contact events');
    expect(trail('trk_o')).toEqual(['peer:Reachable', 'contact:Reachable']);
    const contact = events.find((e) => e.type === 'ContactStatusChange');
    const rtt = Number(contact?.type === 'ContactStatusChange' ? contact.contact_info.roundtrip_usec : NaN);
    expect(rtt).toBeGreaterThanOrEqual(15_000);
    expect(rtt).toBeLessThanOrEqual(40_000);
    await ari.close();
    await sim.close();
  }
});

it('a host that does not resolve is Unreachable at once; the endpoint stays offline and cannot be dialed', async () => {
  await start({ qualifyTimeoutMs: 60_000 });
  await pushTrunk('trk_dns', 'sip.nowhere.invalid');
  const unreachable = await until(() => events.find((e) => e.type === 'ContactStatusChange'), 'the unresolvable contact');
  expect(unreachable).toMatchObject({ endpoint: { resource: 'trk_dns', state: 'offline' }, contact_info: { contact_status: 'Unreachable', roundtrip_usec: '0' } });
  // Created offline, still offline: no peer event.
  expect(trail('trk_dns')).toEqual(['contact:Unreachable']);
  expect((await ari.endpoints.get('PJSIP', 'trk_dns')).state).toBe('offline');
  expect(allocationFailed(await originate('PJSIP/+15551234567@trk_dns').catch((e: unknown) => e))).toBe(true);
});

it('a peer set silent is Unreachable after the qualify timeout, and Reachable again when restored; calls follow', async () => {
  await start({ ordering: 'orderly' });
  await pushTrunk('trk_b', 'sip.b.example');
  await until(() => trail('trk_b').includes('contact:Reachable'), 'trk_b reachable');

  expect((await peer('SIP.B.example', { reachable: false })).status).toBe(200);
  await until(() => trail('trk_b').includes('contact:Unreachable'), 'trk_b unreachable');
  expect(trail('trk_b')).toEqual(['peer:Reachable', 'contact:Reachable', 'peer:Unreachable', 'contact:Unreachable']);
  expect((await ari.endpoints.get('PJSIP', 'trk_b')).state).toBe('offline');
  // Every contact Unreachable: Asterisk finds no URI to dial and the channel request fails, before any event.
  const before = events.length;
  expect(allocationFailed(await originate('PJSIP/+15551234567@trk_b').catch((e: unknown) => e))).toBe(true);
  expect(events.length).toBe(before);

  expect((await peer('sip.b.example', { reachable: true, rtt_ms: 7 })).status).toBe(200);
  await until(() => trail('trk_b').length === 6, 'trk_b reachable again');
  expect(trail('trk_b').slice(4)).toEqual(['peer:Reachable', 'contact:Reachable']);
  expect(events.filter((e) => e.type === 'ContactStatusChange').at(-1)).toMatchObject({ contact_info: { roundtrip_usec: '7000' } });
  expect((await ari.endpoints.get('PJSIP', 'trk_b')).state).toBe('online');

  // The endpoint lists its live channels.
  const channel = await originate('PJSIP/+15551234567@trk_b');
  expect((await ari.endpoints.get('PJSIP', 'trk_b')).channel_ids).toEqual([channel.id]);
  await ari.channels.hangup(channel.id);
  await until(async () => (await ari.endpoints.get('PJSIP', 'trk_b')).channel_ids.length === 0, 'the channel gone from the endpoint');
});

it('publishes nothing when a qualify finds the status unchanged or the same objects are pushed again', async () => {
  await start();
  await pushTrunk('trk_c', 'sip.c.example');
  await until(() => trail('trk_c').includes('contact:Reachable'), 'trk_c reachable');
  await settle(50);
  const before = trail('trk_c').length;
  // Qualified again: still Reachable, with another round trip; Asterisk publishes no event for that.
  await peer('sip.c.example', { reachable: true, rtt_ms: 5 });
  await settle(100);
  // The dialer pushes again on every change and reconnect.
  await pushTrunk('trk_c', 'sip.c.example');
  await settle(100);
  expect(trail('trk_c').length).toBe(before);
});

it('a contact changed in the AOR: the old one Removed, the new one NonQualified, then qualified', async () => {
  await start({ ordering: 'orderly' });
  await pushTrunk('trk_m', 'old.example');
  await until(() => trail('trk_m').includes('contact:Reachable'), 'the old contact reachable');
  const seen = events.length;
  await pushTrunk('trk_m', 'new.example');
  await until(() => trail('trk_m', events.slice(seen)).length === 5, 'the new contact qualified');
  const changes = events.slice(seen).flatMap((e) => (e.type === 'ContactStatusChange' ? [[e.contact_info.uri, e.contact_info.contact_status]] : []));
  expect(trail('trk_m', events.slice(seen))).toEqual(['peer:Unreachable', 'contact:Removed', 'contact:NonQualified', 'peer:Reachable', 'contact:Reachable']);
  expect(changes).toEqual([
    ['sip:old.example:5060', 'Removed'],
    ['sip:new.example:5060', 'NonQualified'],
    ['sip:new.example:5060', 'Reachable'],
  ]);
});

it('an AOR without qualify counts as available: its endpoint is online without any OPTIONS', async () => {
  await start();
  await pushTrunk('trk_nq', 'sip.nq.invalid', '0');
  expect((await ari.endpoints.get('PJSIP', 'trk_nq')).state).toBe('online');
  await settle(50);
  expect(trail('trk_nq')).toEqual(['peer:Reachable']);
});

it('endpoint events reach only apps subscribed to everything', async () => {
  await start();
  const other = new AriClient({ url: sim.url, username: sim.username, password: sim.password, app: 'other', subscribeAll: false });
  const otherEvents: AriEvent[] = [];
  other.on('event', (e) => {
    otherEvents.push(e);
  });
  await other.connect();
  try {
    await pushTrunk('trk_s', 'sip.s.example');
    await until(() => trail('trk_s').includes('contact:Reachable'), 'trk_s reachable');
    await settle(50);
    expect(trail('trk_s', otherEvents)).toEqual([]);
  } finally {
    await other.close();
  }
});

it('answers 404 for an endpoint it does not have, a deleted one, and an unknown technology; the sandbox is always online', async () => {
  await start();
  await pushTrunk('trk_d', 'sip.d.example');
  expect((await ari.endpoints.get('pjsip', 'trk_d')).resource).toBe('trk_d');
  await ari.asterisk.deleteObject('res_pjsip', 'endpoint', 'trk_d');
  for (const [tech, resource] of [
    ['PJSIP', 'trk_d'],
    ['PJSIP', 'nope'],
    ['SIP', 'sandbox'],
  ] as const) {
    const err = (await ari.endpoints.get(tech, resource).catch((e: unknown) => e)) as AriError;
    expect(err).toBeInstanceOf(AriError);
    expect([err.status, err.asteriskMessage, err.isNotFound]).toEqual([404, 'Endpoint not found', true]);
  }
  const badTech = (await ari.endpoints.listByTech('IAX2').catch((e: unknown) => e)) as AriError;
  expect([badTech.status, badTech.asteriskMessage]).toEqual([404, 'No Endpoints found - invalid tech IAX2']);
  expect(await ari.endpoints.get('PJSIP', 'sandbox')).toMatchObject({ state: 'online' });
  expect((await ari.endpoints.list()).map((e) => e.resource)).toEqual(['sandbox']);
  expect((await peer('x.example', { reachable: 'yes' })).status).toBe(400);
});

it('reads the host of a contact URI', () => {
  expect(hostOf('sip:sip.Carrier.example:5080;transport=tcp')).toBe('sip.carrier.example');
  expect(hostOf('sip:acme@10.0.0.7')).toBe('10.0.0.7');
  expect(hostOf('sips:[2001:db8::1]:5061')).toBe('[2001:db8::1]');
});
