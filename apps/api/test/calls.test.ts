import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchMessage } from '@parley/common';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

const CALL_KEYS = [
  'id', 'agent_id', 'to_number', 'from_number', 'status', 'direction', 'persona', 'instructions', 'prompt', 'context', 'returns', 'result', 'result_status',
  'result_error', 'language', 'webhook_url', 'webhook_status', 'webhook_error', 'created_at', 'started_at', 'answered_at', 'ended_at', 'duration_seconds',
  'billed_duration_seconds', 'billing_amount_milli_cents', 'reservation_status', 'error_code', 'error_message', 'hangup_cause', 'metadata', 'campaign_id', 'updated_at',
];

let api: ApiHarness;
let acct: TestAccount;
let agent: any;
let number: any;

beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount();
  ({ agent, number } = await outboundSetup(api, acct));
});
afterAll(async () => api?.close());

async function dispatched(): Promise<DispatchMessage[]> {
  const jsm = api.bus.manager;
  const info = await jsm.streams.info(api.bus.subjects.dispatchStream);
  const out: DispatchMessage[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(api.bus.subjects.dispatchStream, { seq }).catch(() => null);
    if (m) out.push(DispatchMessage.parse(m.json()));
  }
  return out;
}

describe('POST /v1/calls', () => {
  it('creates a queued call with every field of the call object, snapshots the agent, and dispatches it', async () => {
    const to = randomE164();
    const res = await api.call('POST', '/v1/calls', {
      key: acct.apiKey,
      body: { agent_id: agent.id, to, context: { patient_name: 'Maria Lopez', appointment_time: 'tomorrow at 2pm' }, metadata: { crm_id: 'c-1' } },
    });
    expect(res.status).toBe(201);
    for (const k of CALL_KEYS) expect(res.body, `key ${k}`).toHaveProperty(k);
    expect(res.body).toMatchObject({
      agent_id: agent.id,
      to_number: to,
      from_number: number.number,
      status: 'queued',
      direction: 'outbound',
      persona: agent.persona,
      instructions: agent.instructions,
      returns: { confirmed: 'boolean', reschedule_to: 'string' },
      result: null,
      result_status: 'pending',
      language: 'en',
      context: { patient_name: 'Maria Lopez', appointment_time: 'tomorrow at 2pm' },
      metadata: { crm_id: 'c-1' },
      started_at: null,
      answered_at: null,
      ended_at: null,
      reservation_status: 'reserved',
      error_code: null,
      hangup_cause: null,
    });
    expect(res.body.prompt).toBe(`${agent.persona}\n\nConfirm the appointment of Maria Lopez tomorrow at 2pm.`);
    // The context is not pasted into instructions.
    expect(res.body.instructions).not.toContain('Maria');
    const messages = await dispatched();
    const msg = messages.find((m) => m.call_id === res.body.id);
    expect(msg).toMatchObject({ to, from: number.number, trunk_id: acct.sandboxTrunkId, account_id: acct.accountId, ring_timeout_seconds: 30 });
    // It carries what media needs of the call (the dialer hands it over with media.allocate).
    expect(msg!.conversation).toEqual({
      account_id: acct.accountId,
      agent_id: agent.id,
      direction: 'outbound',
      prompt: res.body.prompt,
      context: { patient_name: 'Maria Lopez', appointment_time: 'tomorrow at 2pm' },
      language: 'en',
      voice: agent.voice,
      initial_greeting: agent.initial_greeting,
      voicemail_action: agent.voicemail_action,
      voicemail_message: agent.voicemail_message,
      tools: agent.tools,
      llm: agent.llm,
      max_duration_seconds: agent.max_duration_seconds,
      from_number: number.number,
      to_number: to,
      metadata: { crm_id: 'c-1' },
    });
    // Published and acknowledged: the outbox empties (deletes are batched).
    await expect.poll(async () => (await api.ds.query('SELECT count(*)::int AS n FROM outbox_messages'))[0].n, { timeout: 5000 }).toBe(0);
  });

  it('replaces the agent instructions with per-call instructions (never merged)', async () => {
    const res = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164(), instructions: 'Only say hello.' } });
    expect(res.status).toBe(201);
    expect(res.body.instructions).toBe('Only say hello.');
    expect(res.body.prompt).toBe(`${agent.persona}\n\nOnly say hello.`);
  });

  it.each(['persona', 'voice', 'language', 'returns', 'tools', 'voicemail_action'])('refuses %s per call, naming it in param', async (field) => {
    const before = (await api.ds.query('SELECT count(*)::int AS n FROM calls'))[0].n;
    const res = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164(), [field]: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_not_allowed_per_call', param: field });
    expect((await api.ds.query('SELECT count(*)::int AS n FROM calls'))[0].n).toBe(before);
  });

  it('refuses unknown fields and bad values with the error shape', async () => {
    const unknown = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164(), priority: 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'parameter_unknown', param: 'priority' });
    const badTo = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: '0612345678' } });
    expect(badTo.status).toBe(400);
    expect(badTo.body.error).toMatchObject({ code: 'parameter_invalid', param: 'to' });
    const missing = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { to: randomE164() } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'parameter_missing', param: 'agent_id' });
    const badCtx = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164(), context: 'nope' } });
    expect(badCtx.body.error).toMatchObject({ param: 'context' });
    const notJson = await api.call('POST', '/v1/calls', { key: acct.apiKey, rawBody: '{"agent_id":' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_json');
    const array = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: [1] });
    expect(array.status).toBe(400);
  });

  it('404s an agent of another account and 400s an inbound agent', async () => {
    const other = await api.createAccount('Other');
    const otherSetup = await outboundSetup(api, other);
    const res = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: otherSetup.agent.id, to: randomE164() } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: 'not_found_error', param: 'agent_id' });
    const inbound = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Front desk', type: 'inbound' } });
    const res2 = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: inbound.body.id, to: randomE164() } });
    expect(res2.status).toBe(400);
    expect(res2.body.error).toMatchObject({ code: 'agent_not_outbound', param: 'agent_id' });
  });

  it('uses from_number only when it is attached to the agent', async () => {
    const second = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const detached = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const a = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Two numbers', type: 'outbound', number_ids: [number.id, second.body.id] } });
    expect(a.status).toBe(201);
    expect(a.body.primary_number_id).toBe(number.id);
    const ok = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: a.body.id, to: randomE164(), from_number: second.body.number } });
    expect(ok.status).toBe(201);
    expect(ok.body.from_number).toBe(second.body.number);
    const bad = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: a.body.id, to: randomE164(), from_number: detached.body.number } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ param: 'from_number' });
  });

  it('honours Idempotency-Key: same body -> same call, different body -> 409', async () => {
    const body = { agent_id: agent.id, to: randomE164(), metadata: { a: 1, b: 2 } };
    const first = await api.call('POST', '/v1/calls', { key: acct.apiKey, body, headers: { 'idempotency-key': 'order-42' } });
    expect(first.status).toBe(201);
    // Same body with keys in another order.
    const again = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { metadata: { b: 2, a: 1 }, to: body.to, agent_id: agent.id }, headers: { 'idempotency-key': 'order-42' } });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const conflict = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { ...body, to: randomE164() }, headers: { 'idempotency-key': 'order-42' } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_key_reused');
    // Concurrent duplicates create one call.
    const key = 'race-1';
    const body2 = { agent_id: agent.id, to: randomE164() };
    const all = await Promise.all(Array.from({ length: 8 }, () => api.call('POST', '/v1/calls', { key: acct.apiKey, body: body2, headers: { 'idempotency-key': key } })));
    expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
    const rows = await api.ds.query('SELECT count(*)::int AS n FROM calls WHERE to_number = $1', [body2.to]);
    expect(rows[0].n).toBe(1);
  });

  it('rejects a body over the size limit with 413', async () => {
    const res = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164(), context: { blob: 'x'.repeat(300 * 1024) } } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('body_too_large');
  });
});

describe('GET /v1/calls', () => {
  it('lists with cursor pagination and filters, scoped to the account', async () => {
    const to = randomE164();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to } })).body.id);
    const page1 = await api.call('GET', `/v1/calls?to_number=${encodeURIComponent(to)}&limit=2`, { key: acct.apiKey });
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((c: any) => c.id)).toEqual([ids[4], ids[3]]);
    expect(page1.body.has_more).toBe(true);
    const page2 = await api.call('GET', `/v1/calls?to_number=${encodeURIComponent(to)}&limit=2&starting_after=${ids[3]}`, { key: acct.apiKey });
    expect(page2.body.data.map((c: any) => c.id)).toEqual([ids[2], ids[1]]);
    const page3 = await api.call('GET', `/v1/calls?to_number=${encodeURIComponent(to)}&limit=2&starting_after=${ids[1]}`, { key: acct.apiKey });
    expect(page3.body.data.map((c: any) => c.id)).toEqual([ids[0]]);
    expect(page3.body.has_more).toBe(false);
    const byStatus = await api.call('GET', `/v1/calls?status=completed&to_number=${encodeURIComponent(to)}`, { key: acct.apiKey });
    expect(byStatus.body.data).toEqual([]);
    const byAgent = await api.call('GET', `/v1/calls?agent_id=${agent.id}&direction=outbound&limit=100`, { key: acct.apiKey });
    expect(byAgent.body.data.length).toBeGreaterThanOrEqual(5);
    const future = await api.call('GET', `/v1/calls?created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { key: acct.apiKey });
    expect(future.body.data).toEqual([]);
    const bad = await api.call('GET', '/v1/calls?status=nope', { key: acct.apiKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('status');
    const other = await api.createAccount('Other 2');
    const otherList = await api.call('GET', '/v1/calls', { key: other.apiKey });
    expect(otherList.body.data).toEqual([]);
    expect((await api.call('GET', `/v1/calls/${ids[0]}`, { key: other.apiKey })).status).toBe(404);
    expect((await api.call('GET', `/v1/calls/${ids[0]}`, { key: acct.apiKey })).body.id).toBe(ids[0]);
    expect((await api.call('GET', '/v1/calls/not-a-uuid', { key: acct.apiKey })).status).toBe(404);
  });
});

describe('POST /v1/calls/:id/end', () => {
  it('cancels a queued call at once, then 409s', async () => {
    const c = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } });
    const ended = await api.call('POST', `/v1/calls/${c.body.id}/end`, { key: acct.apiKey });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'canceled', reservation_status: 'released', billed_duration_seconds: 0, billing_amount_milli_cents: 0 });
    expect(ended.body.ended_at).not.toBeNull();
    const again = await api.call('POST', `/v1/calls/${c.body.id}/end`, { key: acct.apiKey });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('call_already_ended');
  });

  it('asks the owning dialer to hang up a live call', async () => {
    const c = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } });
    const id = c.body.id;
    await api.bus.publishCallEvent('initiated', { call_id: id, account_id: acct.accountId }, { channel_id: id, dialer_id: 'd1' });
    await api.bus.publishCallEvent('ringing', { call_id: id, account_id: acct.accountId }, {});
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body.status).toBe('ringing');
    // A stand-in dialer that owns the call: replies ok and reports the hang-up as canceled.
    const sub = api.bus.connection.subscribe(api.bus.subjects.dialerCommand(id), {
      callback: (_err, msg) => {
        const cmd = JSON.parse(new TextDecoder().decode(msg.data));
        expect(cmd).toMatchObject({ command: 'hangup', call_id: id });
        msg.respond(new TextEncoder().encode(JSON.stringify({ ok: true })));
        void api.bus.publishCallEvent('ended', { call_id: id, account_id: acct.accountId }, { status: 'canceled', answered: false, hangup_cause: 'Normal Clearing', hangup_cause_code: 16, hangup_by: 'api', error_code: null, error_message: null });
      },
    });
    const ended = await api.call('POST', `/v1/calls/${id}/end`, { key: acct.apiKey });
    sub.unsubscribe();
    expect(ended.status).toBe(200);
    expect(ended.body.status).toBe('canceled');
    expect(ended.body.hangup_cause).toBe('Normal Clearing');
  });

  it('a live call whose dialer just died: the end command waits for the dialer that adopts it, and is not lost', async () => {
    const c = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } });
    const id = c.body.id;
    await api.bus.publishCallEvent('initiated', { call_id: id, account_id: acct.accountId }, { channel_id: id, dialer_id: 'gone' });
    await api.bus.publishCallEvent('answered', { call_id: id, account_id: acct.accountId }, {});
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body.status).toBe('in_progress');
    const commands: unknown[] = [];
    // A dialer that holds no call yet hears the command and stays silent; the adopting one answers from then on.
    let tried: () => void;
    const firstTry = new Promise<void>((r) => (tried = r));
    const bystander = api.bus.connection.subscribe(api.bus.subjects.dialerCommand(id), { callback: () => tried() });
    const ending = api.call('POST', `/v1/calls/${id}/end`, { key: acct.apiKey });
    await firstTry;
    bystander.unsubscribe();
    const adopter = api.bus.connection.subscribe(api.bus.subjects.dialerCommand(id), {
      callback: (_err, msg) => {
        commands.push(JSON.parse(new TextDecoder().decode(msg.data)));
        msg.respond(new TextEncoder().encode(JSON.stringify({ ok: true, status: 'in_progress' })));
        void api.bus.publishCallEvent('ended', { call_id: id, account_id: acct.accountId }, { status: 'completed', answered: true, hangup_cause: 'Normal Clearing', hangup_cause_code: 16, hangup_by: 'api', error_code: null, error_message: null });
      },
    });
    const ended = await ending;
    adopter.unsubscribe();
    expect(commands).toEqual([{ command: 'hangup', call_id: id, reason: 'api' }]);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'completed', error_code: null, hangup_cause: 'Normal Clearing' });
  });
});

describe('POST /v1/calls/{id}/end with no dialer taking the call over', () => {
  let quick: ApiHarness;
  let qacct: TestAccount;
  let qagent: any;
  beforeAll(async () => {
    quick = await startApi({ API_DIALER_ADOPTION_WAIT_MS: '300', API_DIALER_COMMAND_TIMEOUT_MS: '100' });
    qacct = await quick.createAccount();
    ({ agent: qagent } = await outboundSetup(quick, qacct));
  });
  afterAll(async () => quick?.close());

  it('answers 503 call_owner_unavailable and leaves the call live (its channel may be up), instead of ending it here', async () => {
    const c = await quick.call('POST', '/v1/calls', { key: qacct.apiKey, body: { agent_id: qagent.id, to: randomE164() } });
    const id = c.body.id;
    await quick.bus.publishCallEvent('initiated', { call_id: id, account_id: qacct.accountId }, { channel_id: id, dialer_id: 'gone' });
    await quick.bus.publishCallEvent('answered', { call_id: id, account_id: qacct.accountId }, {});
    await expect.poll(async () => (await quick.call('GET', `/v1/calls/${id}`, { key: qacct.apiKey })).body.status).toBe('in_progress');
    const res = await quick.call('POST', `/v1/calls/${id}/end`, { key: qacct.apiKey });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { type: 'api_error', code: 'call_owner_unavailable', message: expect.stringContaining('not ended'), param: 'id' } });
    expect((await quick.call('GET', `/v1/calls/${id}`, { key: qacct.apiKey })).body).toMatchObject({ status: 'in_progress', ended_at: null });
  });

  it('documents call_owner_unavailable on the end route', async () => {
    const doc = (await quick.call('GET', '/v1/openapi.json')).body;
    expect(doc.paths['/v1/calls/{id}/end'].post.responses['503'].description).toContain('call_owner_unavailable');
  });
});

describe('the cached call context', () => {
  it('follows agent changes at once, whether made through this api or by another process', async () => {
    const { agent: a } = await outboundSetup(api, acct, { instructions: 'First version.' });
    const place = async () => (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: a.id, to: randomE164() } })).body;
    expect((await place()).instructions).toBe('First version.');
    await api.call('PATCH', `/v1/agents/${a.id}`, { key: acct.apiKey, body: { instructions: 'Second version.' } });
    expect((await place()).instructions).toBe('Second version.');
    // Another process (another api, psql) changes the row: the trigger's NOTIFY evicts the entry here.
    await api.ds.query(`UPDATE agents SET instructions = 'Third version.' WHERE id = $1`, [a.id]);
    await expect.poll(async () => (await place()).instructions, { timeout: 2000, interval: 20 }).toBe('Third version.');
    await api.ds.query(`DELETE FROM agents WHERE id = $1`, [a.id]);
    await expect.poll(async () => (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: a.id, to: randomE164() } })).status, { timeout: 2000, interval: 20 }).toBe(404);
  });
});
