import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CallEvent, CALL_STATUSES } from '@parley/common';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

let api: ApiHarness;
let acct: TestAccount;
let agent: any;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount();
  ({ agent } = await outboundSetup(api, acct));
});
afterAll(async () => api?.close());

async function newCall(): Promise<string> {
  const res = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } });
  return res.body.id;
}
const get = async (id: string) => (await api.call('GET', `/v1/calls/${id}`, { key: acct.apiKey })).body;
const base = (id: string, at?: Date) => ({ call_id: id, account_id: acct.accountId, at: (at ?? new Date()).toISOString() });
const ended = (status: 'completed' | 'no_answer' | 'busy' | 'failed' | 'canceled', answered: boolean, extra: Record<string, unknown> = {}) => ({
  status,
  answered,
  hangup_cause: 'Normal Clearing',
  hangup_cause_code: 16,
  hangup_by: 'caller' as const,
  error_code: null,
  error_message: null,
  ...extra,
});

describe('call lifecycle projection', () => {
  it('walks an answered call through every live status to completed with durations and billing', async () => {
    const id = await newCall();
    const t0 = Date.now();
    await api.bus.publishCallEvent('initiated', base(id, new Date(t0)), { channel_id: id, dialer_id: 'd1' });
    await expect.poll(async () => (await get(id)).status).toBe('initiated');
    await api.bus.publishCallEvent('ringing', base(id, new Date(t0 + 1000)), {});
    await expect.poll(async () => (await get(id)).status).toBe('ringing');
    await api.bus.publishCallEvent('answered', base(id, new Date(t0 + 3000)), {});
    await expect.poll(async () => (await get(id)).status).toBe('in_progress');
    await api.bus.publishCallEvent('ended', base(id, new Date(t0 + 3000 + 61_500)), ended('completed', true));
    await expect.poll(async () => (await get(id)).status).toBe('completed');
    const call = await get(id);
    expect(call).toMatchObject({
      started_at: new Date(t0 + 1000).toISOString(),
      answered_at: new Date(t0 + 3000).toISOString(),
      ended_at: new Date(t0 + 64_500).toISOString(),
      duration_seconds: 64, // 63.5 s rounds to 64
      billed_duration_seconds: 62, // 61.5 s connected, 1 s increment
      billing_amount_milli_cents: 1034, // ceil(62 * 1000 / 60)
      reservation_status: 'settled',
      hangup_cause: 'Normal Clearing',
    });
  });

  it('never moves a call back and ignores duplicate event ids', async () => {
    const id = await newCall();
    await api.bus.publishCallEvent('answered', base(id), {});
    await expect.poll(async () => (await get(id)).status).toBe('in_progress');
    // Late ringing after answer: status stays, started_at moves to the earlier ringing time.
    const ringAt = new Date(Date.now() - 2000);
    await api.bus.publishCallEvent('ringing', base(id, ringAt), {});
    await api.bus.publishCallEvent('initiated', base(id), { channel_id: id, dialer_id: 'd1' });
    await expect.poll(async () => (await get(id)).started_at).toBe(ringAt.toISOString());
    expect((await get(id)).status).toBe('in_progress');
    const endedId = randomUUID();
    await api.bus.publishCallEvent('ended', { ...base(id), id: endedId }, ended('completed', true));
    await expect.poll(async () => (await get(id)).status).toBe('completed');
    const first = await get(id);
    // The same event again (a redelivery) and a later contradicting one change nothing.
    await api.bus.publishRaw(api.bus.subjects.callEvent(id, 'ended'), JSON.stringify({ id: endedId, call_id: id, account_id: acct.accountId, seq: 9, at: new Date().toISOString(), type: 'ended', data: ended('failed', false) }), `${endedId}-again`);
    await api.bus.publishCallEvent('ended', base(id), ended('busy', false));
    await api.bus.publishCallEvent('answered', base(id), {});
    const marker = randomUUID();
    await api.bus.publishCallEvent('ringing', { ...base(id), id: marker }, {});
    await expect.poll(async () => (await api.ds.query('SELECT 1 FROM call_events WHERE id = $1', [marker])).length).toBe(1);
    const after = await get(id);
    expect(after.status).toBe('completed');
    expect(after.ended_at).toBe(first.ended_at);
    expect(after.billed_duration_seconds).toBe(first.billed_duration_seconds);
    const rows = await api.ds.query('SELECT count(*)::int AS n FROM call_events WHERE id = $1', [endedId]);
    expect(rows[0].n).toBe(1);
  });

  it('reaches every status of the enum', async () => {
    const reached = new Set<string>(['queued']);
    const mk = async (steps: (id: string) => Array<() => Promise<unknown>>, expected: string) => {
      const id = await newCall();
      for (const step of steps(id)) await step();
      await expect.poll(async () => (await get(id)).status).toBe(expected);
      reached.add(expected);
      return id;
    };
    await mk((id) => [() => api.bus.publishCallEvent('initiated', base(id), { channel_id: id, dialer_id: 'd' })], 'initiated');
    await mk((id) => [() => api.bus.publishCallEvent('ringing', base(id), {})], 'ringing');
    await mk((id) => [() => api.bus.publishCallEvent('answered', base(id), {})], 'in_progress');
    await mk((id) => [() => api.bus.publishCallEvent('answered', base(id), {}), () => api.bus.publishCallEvent('ended', base(id), ended('completed', true))], 'completed');
    await mk((id) => [() => api.bus.publishCallEvent('ringing', base(id), {}), () => api.bus.publishCallEvent('ended', base(id), ended('no_answer', false, { hangup_cause_code: 19 }))], 'no_answer');
    await mk((id) => [() => api.bus.publishCallEvent('ended', base(id), ended('busy', false, { hangup_cause_code: 17 }))], 'busy');
    await mk((id) => [() => api.bus.publishCallEvent('ended', base(id), ended('failed', false, { hangup_cause_code: 21, error_code: 'call_rejected' }))], 'failed');
    const canceled = await newCall();
    expect((await api.call('POST', `/v1/calls/${canceled}/end`, { key: acct.apiKey })).body.status).toBe('canceled');
    reached.add('canceled');
    expect([...reached].sort()).toEqual([...CALL_STATUSES].sort());
  });

  it('stores transcript segments, results and webhook status, and announces the final call once', async () => {
    const id = await newCall();
    const completed: CallEvent[] = [];
    const sub = api.bus.connection.subscribe(api.bus.subjects.callEvent(id, 'completed'), {
      callback: (_e, m) => completed.push(CallEvent.parse(JSON.parse(new TextDecoder().decode(m.data)))),
    });
    await api.bus.publishCallEvent('answered', base(id), {});
    await api.bus.publishCallEvent('transcript', base(id), { segment: { index: 0, role: 'agent', text: 'Hi Maria', start_ms: 0, end_ms: 900, interrupted: false } });
    await api.bus.publishCallEvent('transcript', base(id), { segment: { index: 1, role: 'user', text: 'Hello', start_ms: 1000, end_ms: 1500, interrupted: false } });
    await api.bus.publishCallEvent('ended', base(id), ended('completed', true));
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${id}/transcript`, { key: acct.apiKey })).body.segments.length).toBe(2);
    expect(completed).toHaveLength(0);
    await api.bus.publishCallEvent('result', base(id), { result_status: 'completed', result: { confirmed: true, reschedule_to: null }, result_error: null });
    await expect.poll(() => completed.length).toBe(1);
    expect(completed[0]!.data).toMatchObject({ call: { id, status: 'completed', result: { confirmed: true, reschedule_to: null }, result_status: 'completed' } });
    // A second extraction never overwrites the settled result, and no second announcement is made.
    await api.bus.publishCallEvent('result', base(id), { result_status: 'failed', result: null, result_error: 'late' });
    await api.bus.publishCallEvent('webhook', base(id), { webhook_status: 'delivered', webhook_error: null });
    await expect.poll(async () => (await get(id)).webhook_status).toBe('delivered');
    await api.bus.publishCallEvent('webhook', base(id), { webhook_status: 'failed', webhook_error: 'late' });
    const marker = randomUUID();
    await api.bus.publishCallEvent('ringing', { ...base(id), id: marker }, {});
    await expect.poll(async () => (await api.ds.query('SELECT 1 FROM call_events WHERE id = $1', [marker])).length).toBe(1);
    const final = await get(id);
    expect(final).toMatchObject({ result: { confirmed: true, reschedule_to: null }, result_status: 'completed', webhook_status: 'delivered' });
    expect(completed).toHaveLength(1);
    sub.unsubscribe();
  });
});
