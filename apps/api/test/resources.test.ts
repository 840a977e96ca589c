import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsterisksRepository, SecretBox, TrunkStatesRepository } from '@parley/db';
import { type ApiHarness, randomE164, startApi, type TestAccount } from './api-harness';

let api: ApiHarness;
let acct: TestAccount;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount();
});
afterAll(async () => api?.close());

describe('/v1/trunks', () => {
  it('lists the built-in sandbox trunk, which cannot be changed or deleted', async () => {
    const list = await api.call('GET', '/v1/trunks', { key: acct.apiKey });
    expect(list.body.data).toEqual([expect.objectContaining({ id: acct.sandboxTrunkId, name: 'sandbox', sandbox: true })]);
    expect((await api.call('PATCH', `/v1/trunks/${acct.sandboxTrunkId}`, { key: acct.apiKey, body: { port: 1 } })).body.error.code).toBe('sandbox_trunk_read_only');
    expect((await api.call('DELETE', `/v1/trunks/${acct.sandboxTrunkId}`, { key: acct.apiKey })).status).toBe(400);
  });

  it('creates, reads, updates and deletes a trunk; the password is write-only and encrypted at rest', async () => {
    const created = await api.call('POST', '/v1/trunks', {
      key: acct.apiKey,
      body: { name: 'Carrier A', host: 'sip.carrier.example', port: 5061, transport: 'tls', username: 'acme', password: 's3cret!', from_domain: 'acme.example', codecs: ['g722', 'ulaw'], max_concurrent_calls: 30, calls_per_second: 2 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^trk_/), object: 'trunk', name: 'Carrier A', port: 5061, transport: 'tls', has_password: true, codecs: ['g722', 'ulaw'], sandbox: false });
    expect(created.body).not.toHaveProperty('password');
    const raw = await api.ds.query('SELECT password_encrypted FROM trunks WHERE id = $1', [created.body.id]);
    expect(raw[0].password_encrypted).not.toContain('s3cret');
    expect(new SecretBox(api.config.PARLEY_SECRET_KEY).open(raw[0].password_encrypted)).toBe('s3cret!');
    const dup = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'Carrier A', host: 'x.example' } });
    expect(dup.status).toBe(409);
    const patched = await api.call('PATCH', `/v1/trunks/${created.body.id}`, { key: acct.apiKey, body: { password: null, max_concurrent_calls: 5 } });
    expect(patched.body).toMatchObject({ has_password: false, max_concurrent_calls: 5, host: 'sip.carrier.example' });
    expect((await api.call('GET', `/v1/trunks/${created.body.id}`, { key: acct.apiKey })).body.max_concurrent_calls).toBe(5);
    const del = await api.call('DELETE', `/v1/trunks/${created.body.id}`, { key: acct.apiKey });
    expect(del.body).toEqual({ id: created.body.id, object: 'trunk', deleted: true });
    expect((await api.call('GET', `/v1/trunks/${created.body.id}`, { key: acct.apiKey })).status).toBe(404);
  });

  it('validates trunk fields', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ host: 'x.example' }, 'name'],
      [{ name: 'sandbox', host: 'x.example' }, 'name'],
      [{ name: 'n', host: 'bad host!' }, 'host'],
      [{ name: 'n', host: 'x.example', transport: 'sctp' }, 'transport'],
      [{ name: 'n', host: 'x.example', port: 70000 }, 'port'],
      [{ name: 'n', host: 'x.example', codecs: ['opus'] }, 'codecs.0'],
      [{ name: 'n', host: 'x.example', max_concurrent_calls: 0 }, 'max_concurrent_calls'],
      [{ name: 'n', host: 'x.example', register: true }, 'register'],
    ];
    for (const [body, param] of cases) {
      const res = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.param, JSON.stringify(body)).toBe(param);
    }
  });

  it("shows each trunk's state as the dialers reported it: provisioning against the trunk's version, reachability while watched", async () => {
    const states = new TrunkStatesRepository(api.ds);
    const sandbox = (await api.call('GET', `/v1/trunks/${acct.sandboxTrunkId}`, { key: acct.apiKey })).body;
    expect(sandbox.status).toMatchObject({ provisioning: 'built_in', reachability: 'unknown', registration: 'off', checked_at: null, asterisk_connected: null });

    const created = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'Watched', host: 'sip.watched.example', username: 'u', password: 'p', register: true } });
    expect(created.body.status).toEqual({
      provisioning: 'pending', provisioning_error: null, reachability: 'unknown', endpoint_state: null, contact_status: null, roundtrip_ms: null,
      registration: 'not_reported', asterisk_connected: null, changed_at: null, checked_at: null, asterisks: [],
    });
    const id = created.body.id as string;
    const version = new Date(created.body.updated_at as string);
    await states.recordProvisioning(id, { asterisk: 'asterisk', outcome: 'pushed', version });
    await states.recordChecks('asterisk', [{ trunkId: id, endpointState: 'online' }], 60_000);
    await states.recordContact(id, 'asterisk', { status: 'reachable', uri: 'sip:sip.watched.example:5060', roundtripUsec: 23_456 });
    const up = (await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body;
    expect(up.status).toMatchObject({ provisioning: 'pushed', reachability: 'reachable', endpoint_state: 'online', contact_status: 'reachable', roundtrip_ms: 23.5, asterisk_connected: true });
    expect(Date.parse(up.status.checked_at)).not.toBeNaN();
    const listed = (await api.call('GET', '/v1/trunks', { key: acct.apiKey })).body.data.find((t: { id: string }) => t.id === id);
    expect(listed.status).toEqual(up.status);

    // A change not pushed yet is pending; the contact's round trip is not shown for an endpoint gone offline.
    const patched = await api.call('PATCH', `/v1/trunks/${id}`, { key: acct.apiKey, body: { port: 5070 } });
    expect(patched.body.status.provisioning).toBe('pending');
    await states.recordEndpointState(id, 'asterisk', 'offline', 60_000);
    await states.recordContact(id, 'asterisk', { status: 'unreachable', uri: 'sip:sip.watched.example:5070', roundtripUsec: null });
    expect((await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body.status).toMatchObject({ reachability: 'unreachable', roundtrip_ms: null, provisioning: 'pending' });
    // A replaced contact not qualified yet: offline, but not known to be unreachable.
    await states.recordContact(id, 'asterisk', { status: 'nonqualified', uri: 'sip:sip.watched.example:5070', roundtripUsec: null });
    expect((await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body.status).toMatchObject({ reachability: 'unknown', endpoint_state: 'offline' });
    await states.recordProvisioning(id, { asterisk: 'asterisk', outcome: 'failed', error: 'Asterisk answered 400: bad transport', version: new Date(patched.body.updated_at as string) });
    expect((await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body.status).toMatchObject({ provisioning: 'failed', provisioning_error: 'Asterisk answered 400: bad transport' });

    // Nobody re-read it in time (no dialer, or none connected): unknown, whatever it last was.
    await states.recordChecks('asterisk', [{ trunkId: id, endpointState: 'online' }], -1000);
    expect((await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body.status).toMatchObject({ reachability: 'unknown', endpoint_state: 'online' });
    await states.recordChecks('asterisk', [{ trunkId: id, endpointState: 'online' }], 60_000);
    await states.recordDisconnected('asterisk', [id]);
    expect((await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body.status).toMatchObject({ reachability: 'unknown', asterisk_connected: false });
  });

  it('says which Asterisks may carry a trunk: registered names (or `default`, ARI_URL\'s), 400 for others', async () => {
    const registry = new AsterisksRepository(api.ds);
    for (const name of ['east-1', 'west-1']) {
      await registry.create({ id: `ast_${name}`, name, ariUrl: `http://${name}.example:8088/ari`, ariUsername: 'parley', ariPasswordEncrypted: 'sealed', site: null, labels: [], capacity: 100 });
    }
    const everywhere = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'Everywhere', host: 'e.example' } });
    expect(everywhere.body.asterisks).toEqual([]);
    const east = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'East', host: 'e.example', asterisks: ['east-1'] } });
    expect(east.status).toBe(201);
    expect(east.body.asterisks).toEqual(['east-1']);
    const unknown = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'Nowhere', host: 'e.example', asterisks: ['east-1', 'north-9'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'asterisks', message: expect.stringContaining("'north-9'") });
    const twice = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'Twice', host: 'e.example', asterisks: ['east-1', 'east-1'] } });
    expect(twice.status).toBe(400);
    const moved = await api.call('PATCH', `/v1/trunks/${east.body.id}`, { key: acct.apiKey, body: { asterisks: ['west-1', 'default'] } });
    expect(moved.body.asterisks).toEqual(['west-1', 'default']);
    const refused = await api.call('PATCH', `/v1/trunks/${east.body.id}`, { key: acct.apiKey, body: { asterisks: ['gone'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.param).toBe('asterisks');
    expect((await api.call('GET', `/v1/trunks/${east.body.id}`, { key: acct.apiKey })).body.asterisks).toEqual(['west-1', 'default']);
  });

  it("sums a trunk's state over its Asterisks: reachable if reachable on any, pending until pushed to every one, each listed", async () => {
    const states = new TrunkStatesRepository(api.ds);
    const created = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'Two sites', host: 'two.example' } });
    const id = created.body.id as string;
    const version = new Date(created.body.updated_at as string);
    await states.recordProvisioning(id, { asterisk: 'east-1', outcome: 'pushed', version });
    await states.recordChecks('east-1', [{ trunkId: id, endpointState: 'offline' }], 60_000);
    await states.recordContact(id, 'east-1', { status: 'unreachable', uri: 'sip:two.example:5060', roundtripUsec: null });
    await states.recordProvisioning(id, { asterisk: 'west-1', outcome: 'pushed', version: new Date(version.getTime() - 1000) });
    await states.recordChecks('west-1', [{ trunkId: id, endpointState: 'online' }], 60_000);
    const status = (await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body.status;
    expect(status).toMatchObject({ reachability: 'reachable', endpoint_state: 'online', provisioning: 'pending', asterisk_connected: true });
    expect(status.asterisks).toEqual([
      expect.objectContaining({ asterisk: 'east-1', provisioning: 'pushed', reachability: 'unreachable', endpoint_state: 'offline', asterisk_connected: true }),
      expect.objectContaining({ asterisk: 'west-1', provisioning: 'pending', reachability: 'reachable', endpoint_state: 'online', asterisk_connected: true }),
    ]);
    await states.recordProvisioning(id, { asterisk: 'west-1', outcome: 'pushed', version });
    await states.recordDisconnected('west-1', [id]);
    expect((await api.call('GET', `/v1/trunks/${id}`, { key: acct.apiKey })).body.status).toMatchObject({ provisioning: 'pushed', reachability: 'unreachable', endpoint_state: 'offline', asterisk_connected: true });
  });

  it('refuses to delete a trunk that still has numbers', async () => {
    const t = await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name: 'Busy trunk', host: 'b.example' } });
    await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: t.body.id } });
    const res = await api.call('DELETE', `/v1/trunks/${t.body.id}`, { key: acct.apiKey });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('resource_in_use');
  });
});

describe('/v1/numbers', () => {
  it('creates, lists, updates and deletes numbers with pn_ ids', async () => {
    const n = randomE164();
    const created = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: n, trunk_id: acct.sandboxTrunkId, label: 'Support' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^pn_/), object: 'phone_number', number: n, trunk_id: acct.sandboxTrunkId, label: 'Support', agent_ids: [] });
    expect((await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: n, trunk_id: acct.sandboxTrunkId } })).body.error.code).toBe('number_taken');
    expect((await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: '555-1234', trunk_id: acct.sandboxTrunkId } })).body.error.param).toBe('number');
    expect((await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: 'trk_nope' } })).status).toBe(404);
    const patched = await api.call('PATCH', `/v1/numbers/${created.body.id}`, { key: acct.apiKey, body: { label: null } });
    expect(patched.body.label).toBeNull();
    const page = await api.call('GET', '/v1/numbers?limit=100', { key: acct.apiKey });
    expect(page.body.data.map((x: any) => x.id)).toContain(created.body.id);
    expect((await api.call('DELETE', `/v1/numbers/${created.body.id}`, { key: acct.apiKey })).body.deleted).toBe(true);
  });

  it("lists a number's calls and refuses to delete a number an agent uses", async () => {
    const num = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const agent = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Out', type: 'outbound', number_ids: [num.body.id] } });
    expect((await api.call('GET', `/v1/numbers/${num.body.id}`, { key: acct.apiKey })).body.agent_ids).toEqual([agent.body.id]);
    const call = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.body.id, to: randomE164() } });
    const calls = await api.call('GET', `/v1/numbers/${num.body.id}/calls`, { key: acct.apiKey });
    expect(calls.body.data.map((c: any) => c.id)).toEqual([call.body.id]);
    const del = await api.call('DELETE', `/v1/numbers/${num.body.id}`, { key: acct.apiKey });
    expect(del.status).toBe(409);
  });
});

describe('cursors that cannot exist', () => {
  it('answers 400 on starting_after with NUL in a text cursor, or a ledger id past the bigint range', async () => {
    for (const path of ['/v1/trunks?starting_after=trk_%00', '/v1/credit_ledger?starting_after=99999999999999999999']) {
      const res = await api.call('GET', path, { key: acct.apiKey });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param: 'starting_after' });
    }
  });
});

describe('/v1/agents', () => {
  it('answers 404 not_found to an update of an id that is not a UUID', async () => {
    const res = await api.call('PATCH', '/v1/agents/not-a-uuid', { key: acct.apiKey, body: { name: 'X' } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: 'not_found_error', code: 'resource_not_found', param: 'id' });
  });

  it('creates an agent with defaults and every documented field', async () => {
    const num = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const res = await api.call('POST', '/v1/agents', {
      key: acct.apiKey,
      body: {
        name: 'Reminders',
        type: 'outbound',
        persona: 'Ava',
        instructions: 'Confirm.',
        voice: 'en-us',
        returns: { type: 'object', properties: { confirmed: { type: 'boolean' } } },
        tools: [{ type: 'end_call' }, { type: 'http', name: 'lookup', description: 'Find a slot', url: 'https://example.com/slots', parameters: { type: 'object', properties: { day: { type: 'string' } } } }],
        voicemail_action: 'leave_message',
        voicemail_message: 'Please call us back.',
        initial_greeting: 'Hi {{name}}!',
        webhook_url: 'https://example.com/hook',
        number_ids: [num.body.id],
        max_duration_seconds: 300,
        llm: { temperature: 0.2 },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: 'agent',
      language: 'en',
      primary_number_id: num.body.id,
      ring_timeout_seconds: 30,
      tools: [{ type: 'end_call' }, expect.objectContaining({ name: 'lookup', method: 'POST', timeout_ms: 5000 })],
    });
    const upd = await api.call('PATCH', `/v1/agents/${res.body.id}`, { key: acct.apiKey, body: { instructions: 'New.', language: 'es' } });
    expect(upd.body).toMatchObject({ instructions: 'New.', language: 'es', persona: 'Ava' });
    expect((await api.call('PATCH', `/v1/agents/${res.body.id}`, { key: acct.apiKey, body: { type: 'inbound' } })).body.error).toMatchObject({ code: 'parameter_unknown', param: 'type' });
    expect((await api.call('DELETE', `/v1/agents/${res.body.id}`, { key: acct.apiKey })).body.deleted).toBe(true);
  });

  it('validates numbers, primary number, returns, voicemail and tools', async () => {
    const a = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const b = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const cases: Array<[Record<string, unknown>, string, number?]> = [
      [{ name: 'x', type: 'outbound' }, 'number_ids'],
      [{ name: 'x', type: 'outbound', number_ids: ['pn_nope'] }, 'number_ids'],
      [{ name: 'x', type: 'outbound', number_ids: [a.body.id], primary_number_id: b.body.id }, 'primary_number_id'],
      [{ name: 'x', type: 'outbound', number_ids: [a.body.id], returns: { confirmed: 'bool' } }, 'returns'],
      [{ name: 'x', type: 'outbound', number_ids: [a.body.id], voicemail_action: 'leave_message' }, 'voicemail_message'],
      [{ name: 'x', type: 'outbound', number_ids: [a.body.id], tools: [{ type: 'end_call' }, { type: 'end_call' }] }, 'tools'],
      [{ name: 'x', type: 'outbound', number_ids: [a.body.id], tools: [{ type: 'http', name: 'bad name', description: 'd', url: 'https://e.x' }] }, 'tools.0.name'],
      [{ name: 'x', type: 'outbound', number_ids: [a.body.id], webhook_url: 'ftp://e.x' }, 'webhook_url'],
      [{ name: 'x', type: 'robot' }, 'type'],
      [{ name: 'x', type: 'outbound', number_ids: [a.body.id], language: 'english' }, 'language'],
    ];
    for (const [body, param] of cases) {
      const res = await api.call('POST', '/v1/agents', { key: acct.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.param, JSON.stringify(body)).toBe(param);
    }
    // One inbound agent per number.
    const first = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Desk', type: 'inbound', number_ids: [a.body.id] } });
    expect(first.status).toBe(201);
    const second = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Desk 2', type: 'inbound', number_ids: [a.body.id] } });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'number_taken', param: 'number_ids' });
    // Detaching the primary number moves the primary to the remaining one.
    const out = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Out', type: 'outbound', number_ids: [a.body.id, b.body.id] } });
    const moved = await api.call('PATCH', `/v1/agents/${out.body.id}`, { key: acct.apiKey, body: { number_ids: [b.body.id] } });
    expect(moved.body.primary_number_id).toBe(b.body.id);
  });

  it('paginates agents', async () => {
    const fresh = await api.createAccount('Paging');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.call('POST', '/v1/agents', { key: fresh.apiKey, body: { name: `In ${i}`, type: 'inbound' } })).body.id);
    const p1 = await api.call('GET', '/v1/agents?limit=2', { key: fresh.apiKey });
    expect(p1.body).toMatchObject({ object: 'list', has_more: true });
    const p2 = await api.call('GET', `/v1/agents?limit=2&starting_after=${p1.body.data[1].id}`, { key: fresh.apiKey });
    expect([...p1.body.data, ...p2.body.data].map((a: any) => a.id).sort()).toEqual([...ids].sort());
    expect(p2.body.has_more).toBe(false);
  });
});
