import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchMessage } from '@parley/common';
import { SecretBox } from '@parley/db';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

// Issue 18: an agent's conversation mode, what a call in webhook mode sends media, and the call's event timeline.
let api: ApiHarness;
let acct: TestAccount;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount('Webhook mode');
});
afterAll(async () => api?.close());

async function dispatchOf(callId: string): Promise<DispatchMessage> {
  const m = await api.bus.manager.streams.getMessage(api.bus.subjects.dispatchStream, { last_by_subj: api.bus.subjects.dispatch }).catch(() => null);
  const message = m ? DispatchMessage.parse(m.json()) : null;
  if (message?.call_id !== callId) throw new Error(`no dispatch message for ${callId}`);
  return message;
}

describe('agent conversation mode', () => {
  it('defaults to hosted; webhook mode takes a URL and a timeout (8000 ms by default), and PATCH switches it', async () => {
    const { agent } = await outboundSetup(api, acct);
    expect(agent.conversation).toEqual({ mode: 'hosted' });
    const patched = await api.call('PATCH', `/v1/agents/${agent.id}`, { key: acct.apiKey, body: { conversation: { mode: 'webhook', url: 'https://brain.example.com/turn' } } });
    expect(patched.status).toBe(200);
    expect(patched.body.conversation).toEqual({ mode: 'webhook', url: 'https://brain.example.com/turn', timeout_ms: 8000 });
    expect((await api.call('GET', `/v1/agents/${agent.id}`, { key: acct.apiKey })).body.conversation).toEqual(patched.body.conversation);
    const back = await api.call('PATCH', `/v1/agents/${agent.id}`, { key: acct.apiKey, body: { conversation: { mode: 'hosted' } } });
    expect(back.body.conversation).toEqual({ mode: 'hosted' });
  });

  it('refuses a bad mode, URL or timeout with the error shape and writes nothing', async () => {
    const { agent } = await outboundSetup(api, acct);
    for (const [conversation, param] of [
      [{ mode: 'brain' }, 'conversation.mode'],
      [{ mode: 'webhook' }, 'conversation.url'],
      [{ mode: 'webhook', url: 'ftp://brain.example.com' }, 'conversation.url'],
      [{ mode: 'webhook', url: 'https://brain.example.com', timeout_ms: 50 }, 'conversation.timeout_ms'],
      [{ mode: 'hosted', url: 'https://brain.example.com' }, 'conversation.url'],
    ] as const) {
      const res = await api.call('PATCH', `/v1/agents/${agent.id}`, { key: acct.apiKey, body: { conversation } });
      expect(res.status, JSON.stringify(conversation)).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
    }
    expect((await api.call('GET', `/v1/agents/${agent.id}`, { key: acct.apiKey })).body.conversation).toEqual({ mode: 'hosted' });
  });

  it("sends media the endpoint and the account's webhook secret (sealed), the numbers and the metadata with a webhook-mode call", async () => {
    const { agent, number } = await outboundSetup(api, acct, { conversation: { mode: 'webhook', url: 'https://brain.example.com/turn', timeout_ms: 3000 } });
    const to = randomE164();
    const created = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to, metadata: { crm: 'c-9' } } });
    expect(created.status).toBe(201);
    const snapshot = (await dispatchOf(created.body.id)).conversation!;
    expect(snapshot).toMatchObject({ conversation: { mode: 'webhook', url: 'https://brain.example.com/turn', timeout_ms: 3000 }, from_number: number.number, to_number: to, metadata: { crm: 'c-9' } });
    expect(snapshot.conversation!.secret).not.toContain('whsec_');
    expect(new SecretBox(api.config.PARLEY_SECRET_KEY).open(snapshot.conversation!.secret)).toBe(acct.webhookSecret);

    const hosted = await outboundSetup(api, acct);
    const plain = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: hosted.agent.id, to: randomE164() } });
    expect((await dispatchOf(plain.body.id)).conversation!.conversation).toBeUndefined();
  });
});

describe('GET /v1/calls/:id/events', () => {
  it("lists the call's recorded events oldest first, without transcript segments, and only in its account", async () => {
    const { agent } = await outboundSetup(api, acct);
    const call = (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body;
    const b = { call_id: call.id, account_id: acct.accountId };
    await api.bus.publishCallEvent('answered', b, {});
    await api.bus.publishCallEvent('transcript', b, { segment: { index: 0, role: 'agent', text: 'Hello.', start_ms: 0, end_ms: 500, interrupted: false } });
    await api.bus.publishCallEvent('agent_error', b, { source: 'conversation_webhook', turn_id: `${call.id}:2`, message: 'no answer within 3000 ms' });
    await api.bus.publishCallEvent('ended', b, { status: 'completed', answered: true, hangup_cause: 'Normal Clearing', hangup_cause_code: 16, hangup_by: 'caller', error_code: null, error_message: null });
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${call.id}/events`, { key: acct.apiKey })).body.data?.map((e: any) => e.type), { timeout: 10_000 }).toEqual(['answered', 'agent_error', 'ended']);
    const timeline = (await api.call('GET', `/v1/calls/${call.id}/events`, { key: acct.apiKey })).body;
    expect(timeline).toMatchObject({ object: 'list', call_id: call.id });
    expect(timeline.data[1]).toMatchObject({ type: 'agent_error', data: { source: 'conversation_webhook', turn_id: `${call.id}:2`, message: 'no answer within 3000 ms' }, at: expect.any(String) });

    const other = await api.createAccount('Other');
    expect((await api.call('GET', `/v1/calls/${call.id}/events`, { key: other.apiKey })).status).toBe(404);
    expect((await api.call('GET', '/v1/calls/not-a-call/events', { key: acct.apiKey })).status).toBe(404);
  });
});
