import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundCallCreateReply, InboundCallCreateRequest } from '@parley/common';
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
    expect(await ask(lonely.body.number)).toMatchObject({ ok: false, error: expect.stringContaining('no inbound agent') });
    expect(await ask('+19999999999')).toMatchObject({ ok: false });
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
