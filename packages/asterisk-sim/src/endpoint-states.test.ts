import { AriClient, AriError, type AriEvent } from '@parley/ari-client';
import { afterEach, expect, it } from 'vitest';
import { startAsteriskSim, type AsteriskSim, type AsteriskSimOptions } from './server';
import { settle } from './testing/harness';
import { hostOf } from './ari/endpoint-states';

let sim: AsteriskSim;
let ari: AriClient;
let events: AriEvent[];

/** A simulator and a client subscribed to everything, as the dialer connects (endpoint events go only to such apps). */
async function start(options: AsteriskSimOptions = {}): Promise<void> {
  sim = await startAsteriskSim({ port: 0, qualifyTimeoutMs: 100, ...options });
  ari = new AriClient({ url: sim.url, username: sim.username, password: sim.password, app: 'dialer', subscribeAll: true });
  events = [];
  ari.on('event', (e) => events.push(e));
  await ari.connect();
}
afterEach(async () => {
  await ari?.close();
  await sim?.close();
});

async function until<T>(read: () => T | undefined | null | false, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = read();
    if (v) return v;
    await settle(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The endpoint-related events of one endpoint, as `type:state` / `contact:status` strings. */
function trail(endpoint: string): string[] {
  return events.flatMap((e) => {
    if (e.type === 'EndpointStateChange' && e.endpoint.resource === endpoint) return [`endpoint:${e.endpoint.state}`];
    if (e.type === 'PeerStatusChange' && e.endpoint.resource === endpoint) return [`peer:${e.peer.peer_status}`];
    if (e.type === 'ContactStatusChange' && e.endpoint.resource === endpoint) return [`contact:${e.contact_info.contact_status}`];
    return [];
  });
}

async function pushTrunk(id: string, host: string, qualifyFrequency = '60'): Promise<void> {
  await ari.asterisk.putObject('res_pjsip', 'aor', id, { contact: `sip:${host}:5060`, qualify_frequency: qualifyFrequency });
  await ari.asterisk.putObject('res_pjsip', 'endpoint', id, { aors: id, context: 'from-trunk' });
}

async function peer(host: string, body: object | null): Promise<Response> {
  return fetch(`${sim.url}/sim/peers/${encodeURIComponent(host)}`, body ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method: 'DELETE' });
}

it('a pushed endpoint goes offline, then online when its contact answers the first qualify, with its round trip', async () => {
  await start({ ordering: 'orderly' });
  await pushTrunk('trk_a', 'sip.carrier.example');
  const contact = await until(() => events.find((e) => e.type === 'ContactStatusChange'), 'the qualify result');
  expect(contact).toMatchObject({ endpoint: { technology: 'PJSIP', resource: 'trk_a', state: 'online' }, contact_info: { uri: 'sip:sip.carrier.example:5060', contact_status: 'Reachable', aor: 'trk_a', roundtrip_usec: '20000' } });
  expect(trail('trk_a')).toEqual(['peer:Unreachable', 'endpoint:offline', 'peer:Reachable', 'endpoint:online', 'contact:Reachable']);
  expect(await ari.endpoints.get('PJSIP', 'trk_a')).toEqual({ technology: 'PJSIP', resource: 'trk_a', state: 'online', channel_ids: [] });
  expect((await ari.endpoints.listByTech('PJSIP')).map((e) => [e.resource, e.state])).toEqual([['sandbox', 'online'], ['trk_a', 'online']]);
});

it('a host that does not resolve is unreachable at once; a silent peer after the qualify timeout; both come back', async () => {
  await start();
  await pushTrunk('trk_dns', 'sip.nowhere.invalid');
  await until(() => trail('trk_dns').includes('contact:Unreachable'), 'the unresolvable contact unreachable');
  const unreachable = events.find((e) => e.type === 'ContactStatusChange' && e.endpoint.resource === 'trk_dns');
  expect(unreachable).toMatchObject({ contact_info: { roundtrip_usec: '0' } });
  expect((await ari.endpoints.get('PJSIP', 'trk_dns')).state).toBe('offline');

  await pushTrunk('trk_b', 'sip.b.example');
  await until(() => trail('trk_b').includes('contact:Reachable'), 'trk_b reachable');
  expect((await peer('SIP.B.example', { reachable: false })).status).toBe(200);
  await until(() => trail('trk_b').includes('contact:Unreachable'), 'trk_b unreachable');
  expect((await ari.endpoints.get('PJSIP', 'trk_b')).state).toBe('offline');
  expect((await peer('sip.b.example', null)).status).toBe(204);
  await until(() => trail('trk_b').filter((t) => t === 'contact:Reachable').length === 2, 'trk_b reachable again');
  expect(trail('trk_b').filter((t) => t.startsWith('endpoint:'))).toEqual(['endpoint:offline', 'endpoint:online', 'endpoint:offline', 'endpoint:online']);
});

it('publishes nothing when a qualify finds the status unchanged', async () => {
  await start();
  await pushTrunk('trk_c', 'sip.c.example');
  await until(() => trail('trk_c').includes('contact:Reachable'), 'trk_c reachable');
  await settle(50);
  const before = trail('trk_c').length;
  // Re-qualified: still reachable, with another round trip; Asterisk publishes no event for that.
  await peer('sip.c.example', { reachable: true, rtt_ms: 5 });
  await settle(100);
  // The same objects pushed again (the dialer re-pushes on every change and reconnect): nothing either.
  await pushTrunk('trk_c', 'sip.c.example');
  await settle(100);
  expect(trail('trk_c').length).toBe(before);
});

it('an AOR without qualify counts as available: its endpoint is online without any OPTIONS', async () => {
  await start();
  await pushTrunk('trk_nq', 'sip.nq.example', '0');
  expect((await ari.endpoints.get('PJSIP', 'trk_nq')).state).toBe('online');
  expect(trail('trk_nq')).toEqual(['peer:Reachable', 'endpoint:online']);
});

it('answers 404 for an endpoint it does not have, a deleted one, and an unknown technology; the sandbox is always online', async () => {
  await start();
  await pushTrunk('trk_d', 'sip.d.example');
  await ari.asterisk.deleteObject('res_pjsip', 'endpoint', 'trk_d');
  for (const [tech, resource] of [['PJSIP', 'trk_d'], ['PJSIP', 'nope'], ['SIP', 'sandbox']] as const) {
    const err = (await ari.endpoints.get(tech, resource).catch((e: unknown) => e)) as AriError;
    expect(err).toBeInstanceOf(AriError);
    expect([err.status, err.asteriskMessage]).toEqual([404, 'Endpoint not found']);
  }
  const badTech = (await ari.endpoints.listByTech('IAX2').catch((e: unknown) => e)) as AriError;
  expect([badTech.status, badTech.asteriskMessage]).toEqual([404, 'No Endpoints found - invalid tech']);
  expect(await ari.endpoints.get('PJSIP', 'sandbox')).toMatchObject({ state: 'online' });
  expect((await peer('x.example', { reachable: 'yes' })).status).toBe(400);
});

it('under the adversarial ordering, the contact event comes before the endpoint events in some runs and after in others', async () => {
  const orders = new Set<string>();
  for (let seed = 1; seed <= 12 && orders.size < 2; seed++) {
    await start({ seed });
    await pushTrunk('trk_o', 'sip.o.example');
    await until(() => trail('trk_o').includes('contact:Reachable') && trail('trk_o').includes('endpoint:online'), 'reachable');
    const t = trail('trk_o');
    orders.add(t.indexOf('contact:Reachable') < t.indexOf('endpoint:online') ? 'contact first' : 'endpoint first');
    await ari.close();
    await sim.close();
  }
  expect([...orders].sort()).toEqual(['contact first', 'endpoint first']);
});

it('reads the host of a contact URI', () => {
  expect(hostOf('sip:sip.Carrier.example:5080;transport=tcp')).toBe('sip.carrier.example');
  expect(hostOf('sip:acme@10.0.0.7')).toBe('10.0.0.7');
  expect(hostOf('sips:[2001:db8::1]:5061')).toBe('[2001:db8::1]');
});
