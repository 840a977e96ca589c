import { randomUUID } from 'node:crypto';
import { AriClient } from '@parley/ari-client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { insertCall } from './support/stand-ins';
import { DialerWorld } from './support/dialer-world';

let world: DialerWorld;
let ari: AriClient;
beforeAll(async () => {
  world = await DialerWorld.start();
  // Looks at the simulator like an operator would, under an app no dialer uses.
  ari = new AriClient({ url: world.sim.url, username: world.sim.username, password: world.sim.password, app: 'observer' });
  await ari.connect();
});
afterEach(async () => {
  await world?.closeDialers();
});
afterAll(async () => {
  await ari?.close();
  await world?.close();
});

const quiet = { lines: [], send_silence: false } as const;
const FAST = { DIALER_HEARTBEAT_MS: '200', DIALER_DEAD_AFTER_MS: '1000', DIALER_WATCHDOG_INTERVAL_MS: '300' };

async function ariObjects(): Promise<{ bridges: string[]; channels: string[] }> {
  const [bridges, channels] = await Promise.all([ari.bridges.list(), ari.channels.list()]);
  return { bridges: bridges.map((b) => b.id).sort(), channels: channels.map((c) => c.id).sort() };
}

async function leftoversRemoved(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^parley_dialer_leftovers_removed_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

it('the only dialer killed mid-call, the far end hanging up before a new dialer comes up: the call ends and the simulator lists no bridge or channel', async () => {
  await world.scenario('+15554450003', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const first = await world.startDialer(FAST);
  const callId = await world.dispatch({ to: '+15554450003' });
  await world.until(() => world.media.attached.some((a) => a.call_id === callId), 'media attached');
  await first.crash();
  await fetch(`${world.sim.url}/sim/calls/${callId}/hangup`, { method: 'POST' });
  await world.until(async () => (await world.simCall(callId))?.state === 'ended', 'far end hung up');

  const next = await world.startDialer(FAST);
  expect((await world.ended(callId)).data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'system', error_code: null });
  await world.until(async () => {
    const left = await ariObjects();
    return left.bridges.length === 0 && left.channels.length === 0;
  }, 'nothing left in Asterisk');
  expect(world.typesOf(callId).filter((t) => t === 'ended')).toHaveLength(1);
  await next.close();
});

it('a dialer killed mid-call whose far end hangs up meanwhile: the call ends and nothing of it stays in Asterisk, while a live dialer\'s call keeps its bridge', async () => {
  await world.scenario('+15554450001', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  await world.scenario('+15554450002', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  // The survivor takes one call, then stops taking dispatches.
  const survivor = await world.startDialer(FAST);
  const kept = await world.dispatch({ to: '+15554450002' });
  await world.until(() => world.media.attached.some((a) => a.call_id === kept), 'the survivor bridged its call');
  await (survivor.dialer as unknown as { consumer: { stop(): Promise<void> } }).consumer.stop();
  const doomed = await world.startDialer(FAST);
  const lost = await world.dispatch({ to: '+15554450001' });
  await world.until(() => world.media.attached.some((a) => a.call_id === lost), 'the doomed dialer bridged its call');
  await doomed.crash();

  await fetch(`${world.sim.url}/sim/calls/${lost}/hangup`, { method: 'POST' });
  await world.until(async () => (await world.simCall(lost))?.state === 'ended', 'far end hung up');
  // What Asterisk keeps of the lost call: its bridge and ExternalMedia channel.
  expect(await ariObjects()).toEqual({ bridges: [`bridge-${kept}`, `bridge-${lost}`].sort(), channels: [kept, `media-${kept}`, `media-${lost}`].sort() });

  const next = await world.startDialer(FAST);
  const ended = await world.ended(lost);
  expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'system' });
  // The bridge and the channel go one after the other: wait for both (a listing between them sees only the first).
  const keptOnly = { bridges: [`bridge-${kept}`], channels: [kept, `media-${kept}`].sort() };
  await world.until(async () => JSON.stringify(await ariObjects()) === JSON.stringify(keptOnly), 'the lost call\'s bridge and channel removed');
  // Whichever live dialer took the orphan over (the survivor or the new one) removed its two objects (counted once
  // each removal's answer is back, a moment after the simulator lists it gone).
  await world.until(async () => (await leftoversRemoved(next.url)) + (await leftoversRemoved(survivor.url)) >= 2, 'two removals counted');
  expect((await leftoversRemoved(next.url)) + (await leftoversRemoved(survivor.url))).toBe(2);
  expect(await ariObjects()).toEqual(keptOnly);

  await fetch(`${world.sim.url}/sim/calls/${kept}/hangup`, { method: 'POST' });
  expect((await world.ended(kept)).data).toMatchObject({ status: 'completed', hangup_cause_code: 16 });
  await world.until(async () => {
    const left = await ariObjects();
    return left.bridges.length === 0 && left.channels.length === 0;
  }, 'nothing left in Asterisk');
  await next.close();
  await survivor.close();
});

it('the periodic sweep removes bridges and ExternalMedia channels of calls that are over, and nothing of live or unknown calls', async () => {
  const over = randomUUID();
  const live = randomUUID();
  const foreign = randomUUID();
  const base = { accountId: world.accountId, agentId: world.agentId, trunkId: world.trunkId, direction: 'outbound' as const, to: '+15554450009', from: '+15550000000', maxDurationSeconds: 600, ringTimeoutSeconds: 30, createdAt: new Date() };
  await insertCall(world.db.dataSource, { ...base, id: over, status: 'completed' });
  await insertCall(world.db.dataSource, { ...base, id: live, status: 'queued' });
  const dialer = await world.startDialer(FAST);
  for (const id of [over, live, foreign]) {
    await ari.bridges.create({ type: 'mixing', bridgeId: `bridge-${id}` });
    await ari.channels.externalMedia({ app: 'observer', external_host: '127.0.0.1:9', format: 'g722', channelId: `media-${id}` });
  }
  await ari.bridges.create({ type: 'mixing', bridgeId: 'someone-elses' });

  await world.until(async () => {
    const left = await ariObjects();
    return left.bridges.length === 3 && left.channels.length === 2;
  }, 'the ended call\'s objects swept');
  await world.until(async () => (await leftoversRemoved(dialer.url)) >= 2, 'two removals counted');
  expect(await ariObjects()).toEqual({
    bridges: [`bridge-${foreign}`, `bridge-${live}`, 'someone-elses'].sort(),
    channels: [`media-${foreign}`, `media-${live}`].sort(),
  });
  expect(await leftoversRemoved(dialer.url)).toBe(2);
  for (const id of [live, foreign]) {
    await ari.bridges.destroy(`bridge-${id}`);
    await ari.channels.hangup(`media-${id}`);
  }
  await ari.bridges.destroy('someone-elses');
  await dialer.close();
});
