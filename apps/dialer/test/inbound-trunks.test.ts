import { randomBytes, randomUUID } from 'node:crypto';
import { startAsteriskSim, type AsteriskSim } from '@parley/asterisk-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialerWorld } from './support/dialer-world';

// A number is unique per trunk only, so an inbound call is routed by the trunk it came in on. A second simulator plays
// the real Asterisk (ARI_URL), where customer trunks are pushed as endpoints named after the trunk id; it also has a
// hand-written endpoint `pbx` that is no Parley trunk.
let world: DialerWorld;
let asterisk: AsteriskSim;
const SHARED = '+15556670001';
const ON_ONE_CUSTOMER_TRUNK = '+15556670002';
const ON_ONE_SANDBOX_TRUNK = '+15556670003';
const trunks: Record<'a' | 'b' | 'sandboxB', string> = { a: '', b: '', sandboxB: '' };
const accounts = { a: '', b: '' };

async function addAccount(): Promise<string> {
  const id = `acct_${randomBytes(6).toString('hex')}`;
  await world.db.dataSource.query(
    `INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ($1, 'Other', 'whsec_y', 1000, 1, 0)`,
    [id],
  );
  return id;
}

async function addTrunk(accountId: string, sandbox: boolean): Promise<string> {
  const id = `trk_${randomBytes(8).toString('hex')}`;
  await world.db.dataSource.query(
    `INSERT INTO trunks (id, account_id, name, sandbox, host, port, transport, codecs, max_concurrent_calls, calls_per_second) VALUES ($1, $2, $3, $4, 'sip.example.net', 5060, 'udp', '{g722,ulaw}', 10, 10)`,
    [id, accountId, sandbox ? 'sandbox' : `carrier-${id}`, sandbox],
  );
  return id;
}

/** The number on the trunk, answered by an inbound agent of the trunk's account. */
async function answerOn(accountId: string, trunkId: string, number: string): Promise<void> {
  const numberId = `pn_${randomBytes(6).toString('hex')}`;
  await world.db.dataSource.query(`INSERT INTO phone_numbers (id, account_id, number, trunk_id) VALUES ($1, $2, $3, $4)`, [numberId, accountId, number, trunkId]);
  await world.db.dataSource.query(
    `INSERT INTO agents (id, account_id, name, type, language, voicemail_action, max_duration_seconds, ring_timeout_seconds, number_ids) VALUES ($1, $2, 'Desk', 'inbound', 'en', 'hangup', 300, 30, $3)`,
    [randomUUID(), accountId, [numberId]],
  );
}

beforeAll(async () => {
  world = await DialerWorld.start();
  asterisk = await startAsteriskSim({ port: 0, endpoints: ['pbx'] });
  accounts.a = world.accountId;
  accounts.b = await addAccount();
  trunks.a = await addTrunk(accounts.a, false);
  trunks.b = await addTrunk(accounts.b, false);
  trunks.sandboxB = await addTrunk(accounts.b, true);
  await answerOn(accounts.a, trunks.a, SHARED);
  await answerOn(accounts.b, trunks.b, SHARED);
  await answerOn(accounts.a, world.trunkId, SHARED);
  await answerOn(accounts.b, trunks.sandboxB, SHARED);
  await answerOn(accounts.b, trunks.b, ON_ONE_CUSTOMER_TRUNK);
  await answerOn(accounts.a, world.trunkId, ON_ONE_CUSTOMER_TRUNK);
  await answerOn(accounts.b, trunks.sandboxB, ON_ONE_SANDBOX_TRUNK);
  await answerOn(accounts.a, trunks.a, ON_ONE_SANDBOX_TRUNK);
  await world.startDialer({ ARI_URL: asterisk.ariUrl, ARI_USER: 'parley', ARI_PASSWORD: 'parley' });
  // Customer trunks are pushed to Asterisk at start; a call can come in on them once they exist there.
  await world.until(() => asterisk.core.endpoints.exists(trunks.a) && asterisk.core.endpoints.exists(trunks.b), 'trunks pushed to Asterisk');
});
afterAll(async () => {
  await world?.close();
  await asterisk?.close();
});

/** Places a call and returns its caller number, unique per call (the two simulators' channel ids may repeat). */
async function callIn(sim: { url: string }, to: string, endpoint?: string): Promise<{ from: string; channelId: string }> {
  const from = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const res = await fetch(`${sim.url}/sim/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, to, endpoint, app: 'parley', lines: [], send_silence: false, hangup_after_ms: 500 }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return { from, channelId: ((await res.json()) as { channel_id: string }).channel_id };
}

/** The trunk the dialer asked the api about, and the account whose call the api stand-in created (the number's on that trunk). */
async function routedTo(call: { from: string }): Promise<{ trunk_id: string; account_id: string }> {
  const request = await world.until(() => world.api.inboundRequests.find((r) => r.from === call.from), 'inbound call create request');
  const row = await world.until(
    async () => ((await world.db.dataSource.query(`SELECT id, account_id FROM calls WHERE from_number = $1`, [call.from])) as { id: string; account_id: string }[])[0],
    'inbound call row',
  );
  await world.ended(row.id);
  return { trunk_id: request.trunk_id, account_id: row.account_id };
}

/** The Asterisk an inbound call's row names (written once its `initiated` event is projected). */
function asteriskOf(call: { from: string }): Promise<string> {
  return world.until(async () => ((await world.db.dataSource.query(`SELECT asterisk FROM calls WHERE from_number = $1`, [call.from])) as { asterisk: string | null }[])[0]?.asterisk, 'the call row naming its Asterisk');
}

async function rejectedWithoutAsking(sim: { url: string }, call: { from: string; channelId: string }): Promise<void> {
  const simCall = () => fetch(`${sim.url}/sim/calls/${encodeURIComponent(call.channelId)}`).then((r) => r.json() as Promise<Record<string, unknown>>);
  await world.until(async () => (await simCall()).state === 'ended', 'rejected');
  expect(await simCall()).toMatchObject({ from: call.from, cause: 21, hung_up_by: 'agent' });
  expect(world.api.inboundRequests.find((r) => r.from === call.from)).toBeUndefined();
}

describe('on the real Asterisk, the channel names the trunk', () => {
  it("two accounts with the same number on their own trunks: a call on each trunk reaches that account's agent", async () => {
    const onB = await callIn(asterisk, SHARED, trunks.b);
    const onA = await callIn(asterisk, SHARED, trunks.a);
    expect(await routedTo(onB)).toEqual({ trunk_id: trunks.b, account_id: accounts.b });
    expect(await routedTo(onA)).toEqual({ trunk_id: trunks.a, account_id: accounts.a });
    // Each call records the Asterisk it came in on (ARI_URL's, named `default`).
    expect(await asteriskOf(onA)).toBe('default');
    expect(await asteriskOf(onB)).toBe('default');
  });

  it('on an endpoint that is no Parley trunk, the one customer trunk holding the number takes it; a number on several is rejected', async () => {
    expect(await routedTo(await callIn(asterisk, ON_ONE_CUSTOMER_TRUNK, 'pbx'))).toEqual({ trunk_id: trunks.b, account_id: accounts.b });
    await rejectedWithoutAsking(asterisk, await callIn(asterisk, SHARED, 'pbx'));
  });
});

describe("on the simulator's shared sandbox endpoint, the number decides among sandbox trunks", () => {
  it('the one sandbox trunk holding the number takes it, even when a customer trunk holds it too', async () => {
    const call = await callIn(world.sim, ON_ONE_SANDBOX_TRUNK);
    expect(await routedTo(call)).toEqual({ trunk_id: trunks.sandboxB, account_id: accounts.b });
    expect(await asteriskOf(call)).toBe('sandbox');
  });

  it('a number on the sandbox trunks of two accounts is rejected rather than guessed', async () => {
    await rejectedWithoutAsking(world.sim, await callIn(world.sim, SHARED));
  });
});
