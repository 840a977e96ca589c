import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DialerWorld } from './support/dialer-world';

let world: DialerWorld;
beforeAll(async () => {
  world = await DialerWorld.start();
  // Two dialers see the same StasisStart (same app on one Asterisk): exactly one may take the call.
  await world.startDialer();
  await world.startDialer();
  const ds = world.db.dataSource;
  await ds.query(`INSERT INTO phone_numbers (id, account_id, number, trunk_id) VALUES ('pn_answered', $1, '+15556660001', $2), ('pn_orphan', $1, '+15556660002', $2)`, [world.accountId, world.trunkId]);
  await ds.query(
    `INSERT INTO agents (id, account_id, name, type, language, voicemail_action, max_duration_seconds, ring_timeout_seconds, number_ids) VALUES ($1, $2, 'Reception', 'inbound', 'en', 'hangup', 300, 30, '{pn_answered}')`,
    [randomUUID(), world.accountId],
  );
});
afterAll(async () => {
  await world?.close();
});

async function callIn(to: string, scenario: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${world.sim.url}/sim/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: '+15557770000', to, app: 'parley', lines: [], send_silence: false, ...scenario }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { channel_id: string }).channel_id;
}

it('a call to a number with an inbound agent: the api creates the call, the dialer answers and bridges media, the caller hangs up', async () => {
  const channelId = await callIn('+15556660001', { hangup_after_ms: 800 });
  const request = await world.until(() => world.api.inboundRequests.find((r) => r.channel_id === channelId), 'inbound call create request');
  expect(request).toMatchObject({ to: '+15556660001', from: '+15557770000', trunk_id: world.trunkId });
  const initiated = await world.until(() => world.events.find((e) => e.type === 'initiated' && e.data.channel_id === channelId), 'initiated');
  const callId = initiated.call_id;
  const ended = await world.ended(callId);
  expect(world.typesOf(callId)).toEqual(['initiated', 'ringing', 'answered', 'ended']);
  expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_by: 'caller' });
  expect(world.media.attached.find((a) => a.call_id === callId)).toBeTruthy();
  // The snapshot came with the api's reply.
  expect(world.media.allocations.find((a) => a.callId === callId)).toMatchObject({ conversation: { direction: 'inbound', account_id: world.accountId } });
  expect(world.api.snapshotRequests).toEqual([]);
  expect(world.api.inboundRequests.filter((r) => r.channel_id === channelId)).toHaveLength(1);
  expect(world.events.filter((e) => e.type === 'initiated' && e.data.channel_id === channelId)).toHaveLength(1);
  await world.until(() => world.media.released.find((r) => r.call_id === callId), 'media released');
  expect(await world.simCall(channelId)).toMatchObject({ direction: 'inbound', hung_up_by: 'far_end' });
  expect((await world.callRow(callId)).direction).toBe('inbound');
});

it('a call to a number without an inbound agent is rejected (cause 21) and creates no call', async () => {
  const before = world.events.length;
  const channelId = await callIn('+15556660002');
  await world.until(async () => (await world.simCall(channelId))?.state === 'ended', 'rejected');
  expect(await world.simCall(channelId)).toMatchObject({ cause: 21, hung_up_by: 'agent' });
  expect(world.api.inboundRequests.find((r) => r.channel_id === channelId)).toMatchObject({ to: '+15556660002' });
  expect(world.events.slice(before)).toEqual([]);
});
