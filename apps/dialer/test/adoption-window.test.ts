import { AriClient } from '@parley/ari-client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DialerWorld } from './support/dialer-world';

let world: DialerWorld;
let ari: AriClient;
beforeAll(async () => {
  world = await DialerWorld.start();
  ari = new AriClient({ url: world.sim.url, username: world.sim.username, password: world.sim.password, app: 'observer' });
});
afterEach(async () => {
  await world?.closeDialers();
});
afterAll(async () => {
  await world?.close();
});

const quiet = { lines: [], send_silence: false } as const;
/**
 * Short leases, and no watchdog tick during the test: whatever adopts a dead dialer's calls here is the orphan check
 * that runs at every heartbeat.
 */
const LEASE = { DIALER_HEARTBEAT_MS: '200', DIALER_DEAD_AFTER_MS: '1000', DIALER_WATCHDOG_INTERVAL_MS: '600000' };

it('a dead dialer\'s live call is adopted by a running dialer at its next heartbeat after the lease ran out, not at a watchdog tick', async () => {
  await world.scenario('+15554460001', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const survivor = await world.startDialer(LEASE);
  await (survivor.dialer as unknown as { consumer: { stop(): Promise<void> } }).consumer.stop();
  const doomed = await world.startDialer(LEASE);
  const callId = await world.dispatch({ to: '+15554460001' });
  await world.until(() => world.media.attached.some((a) => a.call_id === callId), 'media attached');
  await doomed.crash();

  const adopted = await world.until(() => survivor.dialer.liveCalls.get(callId), 'the survivor adopted the call');
  expect(adopted.machine.answered).toBe(true);
  expect((await world.slots()).find((s) => s.call_id === callId)?.dialer_id).toBe(survivor.config.DIALER_ID);

  await fetch(`${world.sim.url}/sim/calls/${callId}/hangup`, { method: 'POST' });
  expect((await world.ended(callId)).data).toMatchObject({ status: 'completed', hangup_cause_code: 16, hangup_by: 'caller' });
  await survivor.close();
});

it('an end command sent while no dialer holds the call is answered once the call is adopted, and hangs it up', async () => {
  await world.scenario('+15554460002', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const survivor = await world.startDialer(LEASE);
  await (survivor.dialer as unknown as { consumer: { stop(): Promise<void> } }).consumer.stop();
  const doomed = await world.startDialer(LEASE);
  const callId = await world.dispatch({ to: '+15554460002' });
  await world.until(() => world.media.attached.some((a) => a.call_id === callId), 'media attached');
  await doomed.crash();

  // What the api does: ask, and ask again while nobody answers for the call.
  let unanswered = 0;
  const reply = await world.until(async () => {
    const r = await world.command({ command: 'hangup', call_id: callId, reason: 'api' }, 200).catch(() => null);
    if (!r) unanswered++;
    return r;
  }, 'a dialer answering for the call');
  expect(unanswered).toBeGreaterThan(0);
  expect(reply).toMatchObject({ ok: true });
  expect((await world.ended(callId)).data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'api' });
  await world.until(async () => {
    const [bridges, channels] = await Promise.all([ari.bridges.list(), ari.channels.list()]);
    return bridges.length === 0 && channels.length === 0;
  }, 'nothing left in Asterisk');
  await survivor.close();
});

it('a newer process with the same DIALER_ID owns the calls at once; the old one loses its lease at its next renewal and stops acting', async () => {
  await world.scenario('+15554460003', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const old = await world.startDialer({ ...LEASE, DIALER_ID: 'dialer-twin' });
  const callId = await world.dispatch({ to: '+15554460003' });
  await world.until(() => world.media.attached.some((a) => a.call_id === callId), 'media attached');
  await (old.dialer as unknown as { consumer: { stop(): Promise<void> } }).consumer.stop();

  const next = await world.startDialer({ ...LEASE, DIALER_ID: 'dialer-twin' });
  await world.until(() => next.dialer.liveCalls.get(callId), 'the new process took its call over');
  await world.until(async () => (await fetch(`${old.url}/readyz`)).status === 503, 'the old process reports itself not ready');
  expect(old.dialer.connections.sandbox.isConnected).toBe(false);

  const reply = await world.command({ command: 'hangup', call_id: callId, reason: 'api' });
  expect(reply).toMatchObject({ ok: true });
  expect((await world.ended(callId)).data).toMatchObject({ status: 'completed', hangup_by: 'api' });
  await world.until(async () => (await world.slots()).length === 0, 'slot freed');
  expect(world.typesOf(callId).filter((t) => t === 'ended')).toHaveLength(1);
  await next.close();
  await old.close();
});
