import type { AriEvent } from '@parley/ari-client';
import type { TrunkStatesRepository, TrunksRepository } from '@parley/db';
import { describe, expect, it, vi } from 'vitest';
import type { AsteriskConnection, AsteriskConnections } from '../telephony/asterisk-connections';
import { TrunkStates } from './trunk-states';

type Write = [method: string, ...args: unknown[]];

function fakeConnection(name: string, endpoints: Array<{ resource: string; state?: string }>, connected = true): AsteriskConnection {
  return {
    name,
    isSandbox: name === 'sandbox',
    isConnected: connected,
    client: { endpoints: { listByTech: async () => endpoints.map((e) => ({ technology: 'PJSIP', channel_ids: [], ...e })) } },
  } as unknown as AsteriskConnection;
}

function world(opts: { sandbox?: AsteriskConnection; asterisk?: AsteriskConnection | null; others?: AsteriskConnection[]; trunks?: Array<{ id: string; sandbox: boolean; asterisks?: string[] }> } = {}) {
  const writes: Write[] = [];
  const missing: string[] = [];
  const record = (method: string) => async (...args: unknown[]) => void writes.push([method, ...args]);
  const states = {
    recordChecks: record('checks'),
    recordEndpointState: record('endpoint'),
    recordContact: record('contact'),
    recordDisconnected: record('disconnected'),
  } as unknown as TrunkStatesRepository;
  const trunks = { watched: async () => (opts.trunks ?? []).map((t) => ({ asterisks: [], ...t })) } as unknown as TrunksRepository;
  const sandbox = opts.sandbox ?? fakeConnection('sandbox', [{ resource: 'sandbox', state: 'online' }]);
  const registered = [...(opts.asterisk ? [opts.asterisk] : []), ...(opts.others ?? [])];
  const connections = {
    sandbox,
    registered: () => registered,
    carriersOf: (t: { sandbox: boolean; asterisks: string[] }) => (t.sandbox ? [sandbox] : t.asterisks.length === 0 ? registered : registered.filter((c) => t.asterisks.includes(c.name))),
  } as unknown as AsteriskConnections;
  const trunkStates = new TrunkStates({ trunks, states, connections, intervalMs: 1000, logger: { info: vi.fn(), warn: vi.fn() } as never, onMissing: (id) => missing.push(id) });
  return { trunkStates, writes, missing, connections };
}

const event = (e: Record<string, unknown>) => ({ timestamp: '2026-12-04T10:00:00.000+0000', application: 'parley', asterisk_id: 'x', ...e }) as unknown as AriEvent;

describe('TrunkStates', () => {
  it("reads each trunk's endpoint from its Asterisk; a pushed trunk's missing endpoint is pushed again, the sandbox's never", async () => {
    const asterisk = fakeConnection('asterisk', [{ resource: 'trk_a', state: 'online' }, { resource: 'trk_b', state: 'offline' }, { resource: 'alice-phone', state: 'online' }]);
    const w = world({ asterisk, sandbox: fakeConnection('sandbox', []), trunks: [{ id: 'trk_s', sandbox: true }, { id: 'trk_a', sandbox: false }, { id: 'trk_b', sandbox: false }, { id: 'trk_c', sandbox: false }] });
    await w.trunkStates.check();
    expect(w.writes).toEqual([
      ['checks', 'sandbox', [{ trunkId: 'trk_s', endpointState: 'missing' }], 3000],
      ['checks', 'asterisk', [{ trunkId: 'trk_a', endpointState: 'online' }, { trunkId: 'trk_b', endpointState: 'offline' }, { trunkId: 'trk_c', endpointState: 'missing' }], 3000],
    ]);
    expect(w.missing).toEqual(['trk_c']);
  });

  it('reads each trunk on every Asterisk that carries it, and only there', async () => {
    const east = fakeConnection('east', [{ resource: 'trk_a', state: 'online' }, { resource: 'trk_b', state: 'online' }]);
    const west = fakeConnection('west', [{ resource: 'trk_a', state: 'offline' }]);
    const w = world({ others: [east, west], trunks: [{ id: 'trk_a', sandbox: false }, { id: 'trk_b', sandbox: false, asterisks: ['east'] }] });
    await w.trunkStates.check();
    expect(w.writes).toEqual([
      ['checks', 'east', [{ trunkId: 'trk_a', endpointState: 'online' }, { trunkId: 'trk_b', endpointState: 'online' }], 3000],
      ['checks', 'west', [{ trunkId: 'trk_a', endpointState: 'offline' }], 3000],
    ]);
    expect(w.missing).toEqual([]);
  });

  it('marks the trunks of an Asterisk it is not connected to, and reads nothing from it', async () => {
    const w = world({ asterisk: fakeConnection('asterisk', [], false), trunks: [{ id: 'trk_s', sandbox: true }, { id: 'trk_a', sandbox: false }] });
    await w.trunkStates.check();
    expect(w.writes).toEqual([['checks', 'sandbox', [{ trunkId: 'trk_s', endpointState: 'online' }], 3000], ['disconnected', 'asterisk', ['trk_a']]]);
    expect(w.missing).toEqual([]);
  });

  it("takes peer, endpoint and contact events of pushed trunks only; an unreachable contact's \"0\" round trip is none", async () => {
    const asterisk = fakeConnection('asterisk', []);
    const w = world({ asterisk });
    const endpoint = (resource: string, state = 'online') => ({ technology: 'PJSIP', resource, state, channel_ids: [] });
    // What a subscribe-all app gets when an endpoint goes offline: PeerStatusChange (EndpointStateChange goes only to
    // apps subscribed to that endpoint, and is taken too).
    w.trunkStates.onEvent(asterisk, event({ type: 'PeerStatusChange', endpoint: endpoint('trk_a', 'offline'), peer: { peer_status: 'Unreachable' } }));
    w.trunkStates.onEvent(asterisk, event({ type: 'ContactStatusChange', endpoint: endpoint('trk_a'), contact_info: { uri: 'sip:c.example:5060', contact_status: 'Unreachable', aor: 'trk_a', roundtrip_usec: '0' } }));
    w.trunkStates.onEvent(asterisk, event({ type: 'ContactStatusChange', endpoint: endpoint('trk_b'), contact_info: { uri: 'sip:d.example:5060', contact_status: 'Reachable', aor: 'trk_b', roundtrip_usec: '21345' } }));
    // Not ours: a phone registered to the customer's Asterisk, another technology, the simulator's shared endpoint.
    w.trunkStates.onEvent(asterisk, event({ type: 'EndpointStateChange', endpoint: endpoint('alice-phone') }));
    w.trunkStates.onEvent(asterisk, event({ type: 'EndpointStateChange', endpoint: { ...endpoint('trk_a'), technology: 'IAX2' } }));
    w.trunkStates.onEvent(w.connections.sandbox, event({ type: 'EndpointStateChange', endpoint: endpoint('sandbox') }));
    w.trunkStates.onEvent(asterisk, event({ type: 'EndpointStateChange', endpoint: endpoint('trk_b', 'online') }));
    // A peer status that is not a reachability (chan_pjsip sends only these two; other channel drivers more): nothing.
    w.trunkStates.onEvent(asterisk, event({ type: 'PeerStatusChange', endpoint: endpoint('trk_a'), peer: { peer_status: 'Registered' } }));
    await new Promise((r) => setImmediate(r));
    expect(w.writes).toEqual([
      ['endpoint', 'trk_a', 'asterisk', 'offline', 3000],
      ['contact', 'trk_a', 'asterisk', { status: 'unreachable', uri: 'sip:c.example:5060', roundtripUsec: null }],
      ['contact', 'trk_b', 'asterisk', { status: 'reachable', uri: 'sip:d.example:5060', roundtripUsec: 21345 }],
      ['endpoint', 'trk_b', 'asterisk', 'online', 3000],
    ]);
  });
});
