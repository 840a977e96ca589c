import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationSnapshotReply, ConversationSnapshotRequest, InboundCallCreateReply, InboundCallCreateRequest } from '@parley/common';
import { SecretBox } from '@parley/db';
import { type ApiHarness, randomE164, startApi } from './api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

describe('inbound call rows (requested by the dialer over NATS)', () => {
  it("creates an inbound call for the number's inbound agent, and refuses numbers without one", async () => {
    const acct = await api.createAccount();
    const num = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const lonely = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const agent = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Front desk', type: 'inbound', instructions: 'Answer questions.', number_ids: [num.body.id] } });
    const ask = (to: string) => api.bus.request(api.bus.subjects.inboundCallCreate, InboundCallCreateRequest, { to, from: '+14155550123', trunk_id: acct.sandboxTrunkId, channel_id: 'ch-1' }, InboundCallCreateReply);
    const reply = await ask(num.body.number);
    expect(reply).toMatchObject({ ok: true, account_id: acct.accountId, agent_id: agent.body.id });
    if (!reply.ok) throw new Error('unreachable');
    const call = await api.call('GET', `/v1/calls/${reply.call_id}`, { key: acct.apiKey });
    expect(call.body).toMatchObject({ direction: 'inbound', status: 'queued', to_number: num.body.number, from_number: '+14155550123', instructions: 'Answer questions.', agent_id: agent.body.id });
    expect((await api.call('GET', `/v1/calls?direction=inbound`, { key: acct.apiKey })).body.data).toHaveLength(1);
    // The reply carries what media needs of the call, so media reads no database.
    expect(reply.conversation).toEqual({
      account_id: acct.accountId,
      agent_id: agent.body.id,
      direction: 'inbound',
      prompt: 'Answer questions.',
      context: {},
      language: 'en',
      voice: agent.body.voice,
      initial_greeting: agent.body.initial_greeting,
      voicemail_action: agent.body.voicemail_action,
      voicemail_message: agent.body.voicemail_message,
      tools: [],
      llm: {},
      max_duration_seconds: agent.body.max_duration_seconds,
      from_number: '+14155550123',
      to_number: num.body.number,
      metadata: {},
    });
    expect(await ask(lonely.body.number)).toMatchObject({ ok: false, error: expect.stringContaining('no inbound agent') });
    expect(await ask('+19999999999')).toMatchObject({ ok: false });
  });

  it('gives a dialer the conversation snapshot of a call it holds without one, tool header values sealed, only in the call\'s account', async () => {
    const acct = await api.createAccount();
    const other = await api.createAccount();
    const num = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId } });
    const tool = { type: 'http', name: 'crm', description: 'Look up the caller', url: 'https://crm.example.com/lookup', headers: { Authorization: 'Bearer s3cret' } };
    const agent = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'Desk', type: 'inbound', instructions: 'Answer.', initial_greeting: 'Hello!', tools: [tool], number_ids: [num.body.id] } });
    expect(agent.status).toBe(201);
    const created = await api.bus.request(api.bus.subjects.inboundCallCreate, InboundCallCreateRequest, { to: num.body.number, from: '+14155550123', trunk_id: acct.sandboxTrunkId, channel_id: 'ch-s' }, InboundCallCreateReply);
    if (!created.ok) throw new Error(created.error);
    const snapshot = (accountId: string) => api.bus.request(api.bus.subjects.conversationSnapshot, ConversationSnapshotRequest, { call_id: created.call_id, account_id: accountId }, ConversationSnapshotReply);
    const reply = await snapshot(acct.accountId);
    expect(reply).toEqual({ ok: true, conversation: created.conversation });
    if (!reply.ok) throw new Error('unreachable');
    expect(reply.conversation).toMatchObject({ initial_greeting: 'Hello!', prompt: 'Answer.' });
    const [sent] = reply.conversation.tools as Array<{ headers: Record<string, string> }>;
    expect(sent!.headers.Authorization).not.toContain('s3cret');
    expect(new SecretBox(api.config.PARLEY_SECRET_KEY).open(sent!.headers.Authorization!)).toBe('Bearer s3cret');
    expect(await snapshot(other.accountId)).toMatchObject({ ok: false });
  });

  it("two accounts with the same number on their own trunks: a call on each trunk gets that account's agent, and a trunk without the number gets none", async () => {
    const number = randomE164();
    const a = await api.createAccount('A');
    const b = await api.createAccount('B');
    const agentOf = async (acct: typeof a, name: string) => {
      const n = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number, trunk_id: acct.sandboxTrunkId } });
      expect(n.status).toBe(201);
      return (await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name, type: 'inbound', instructions: 'Answer.', number_ids: [n.body.id] } })).body.id as string;
    };
    const agentA = await agentOf(a, 'Desk A');
    const agentB = await agentOf(b, 'Desk B');
    const c = await api.createAccount('C');
    const ask = (trunkId: string, channelId: string) =>
      api.bus.request(api.bus.subjects.inboundCallCreate, InboundCallCreateRequest, { to: number, from: '+14155550123', trunk_id: trunkId, channel_id: channelId }, InboundCallCreateReply);
    expect(await ask(b.sandboxTrunkId, 'ch-b')).toMatchObject({ ok: true, account_id: b.accountId, agent_id: agentB });
    expect(await ask(a.sandboxTrunkId, 'ch-a')).toMatchObject({ ok: true, account_id: a.accountId, agent_id: agentA });
    expect(await ask(c.sandboxTrunkId, 'ch-c')).toMatchObject({ ok: false, error: expect.stringContaining(c.sandboxTrunkId) });
    for (const [acct, agent] of [[a, agentA], [b, agentB]] as const) {
      const calls = (await api.call('GET', '/v1/calls?direction=inbound', { key: acct.apiKey })).body.data;
      expect(calls.map((x: any) => [x.agent_id, x.to_number])).toEqual([[agent, number]]);
    }
  });
});
