import { launchPlatform, type Platform } from '@parley/launcher';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Account, isTerminal, startTestPlatform, type TestPlatform } from './platform-harness';

// A second simulator plays the real Asterisk (ARI_URL) that the customers' own trunks are pushed to.
let carrier: Platform;
let tp: TestPlatform;
const NUMBER = '+15550107000';

beforeAll(async () => {
  carrier = await launchPlatform({ databaseUrl: 'postgres://unused', natsUrl: 'nats://unused', ports: 'free', only: ['asterisk-sim'], env: { LOG_LEVEL: 'warn' } });
  tp = await startTestPlatform({ ARI_URL: `${carrier.simUrl}/ari`, ARI_USER: 'parley', ARI_PASSWORD: 'parley' });
});
afterAll(async () => {
  await tp?.stop();
  await carrier?.stop();
});

/** An account with its own trunk, the shared number on it, and an inbound agent answering it. */
async function customer(name: string) {
  const account = await tp.createAccount(name);
  const trunk = await tp.api(account, 'POST', '/v1/trunks', { name: 'carrier', host: `sip.${name.toLowerCase()}.example` });
  expect(trunk.status).toBe(201);
  const number = await tp.api(account, 'POST', '/v1/numbers', { number: NUMBER, trunk_id: trunk.body.id });
  expect(number.status, JSON.stringify(number.body)).toBe(201);
  const agent = await tp.api(account, 'POST', '/v1/agents', { name: `${name} desk`, type: 'inbound', instructions: 'Answer questions.', number_ids: [number.body.id] });
  expect(agent.status).toBe(201);
  return { account, trunkId: trunk.body.id as string, agentId: agent.body.id as string };
}

async function endpointPushed(trunkId: string): Promise<boolean> {
  const res = await fetch(`${carrier.simUrl}/ari/endpoints`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } });
  return ((await res.json()) as { resource: string }[]).some((e) => e.resource === trunkId);
}

async function inboundCallOf(account: Account, agentId: string): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const [call] = (await tp.api(account, 'GET', `/v1/calls?direction=inbound&agent_id=${agentId}`)).body.data;
    if (call) return call;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no inbound call for agent ${agentId}`);
}

it("two accounts hold the same number on their own trunks, and a call on each trunk reaches that account's agent", async () => {
  const a = await customer('Alpha');
  const b = await customer('Beta');
  for (const trunkId of [a.trunkId, b.trunkId]) {
    for (let i = 0; i < 150 && !(await endpointPushed(trunkId)); i++) await new Promise((r) => setTimeout(r, 200));
  }
  const callers = { [a.trunkId]: '+14155550101', [b.trunkId]: '+14155550202' };
  for (const trunkId of [b.trunkId, a.trunkId]) {
    const res = await fetch(`${carrier.simUrl}/sim/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: callers[trunkId], to: NUMBER, endpoint: trunkId, lines: [], hangup_after_ms: 3000 }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
  for (const c of [a, b]) {
    const call = await inboundCallOf(c.account, c.agentId);
    expect(call).toMatchObject({ direction: 'inbound', to_number: NUMBER, from_number: callers[c.trunkId], agent_id: c.agentId });
    const done = await tp.waitForCall(c.account, call.id, isTerminal, 60_000);
    expect(done.status).toBe('completed');
    expect(done.answered_at).not.toBeNull();
    expect((await tp.api(c.account, 'GET', '/v1/calls?direction=inbound')).body.data).toHaveLength(1);
  }
});
