import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DialerWorld } from './support/dialer-world';
import { TcpProxy } from './support/tcp-proxy';

let world: DialerWorld;
beforeAll(async () => {
  world = await DialerWorld.start();
});
afterEach(async () => {
  await world?.closeDialers();
});
afterAll(async () => {
  await world?.close();
});

const quiet = { lines: [], send_silence: false } as const;
/** Short heartbeats so that a dead dialer is noticed within a second or so. */
const FAST = { DIALER_HEARTBEAT_MS: '200', DIALER_DEAD_AFTER_MS: '1000', DIALER_WATCHDOG_INTERVAL_MS: '300' };

async function statusOf(callId: string): Promise<string> {
  return String((await world.callRow(callId)).status);
}

it('a dialer killed mid-call: its successor adopts the live calls, ends the ones whose channel is gone, nothing stays live', async () => {
  await world.scenario('+15554440001', { outcome: 'answer', answer_after_ms: 100, hangup_after_ms: 7000, ...quiet });
  await world.scenario('+15554440002', { outcome: 'no_answer' });
  await world.scenario('+15554440003', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const first = await world.startDialer(FAST);
  const talking = await world.dispatch({ to: '+15554440001' });
  const ringing = await world.dispatch({ to: '+15554440002', ringTimeoutSeconds: 5 });
  const hungUpMeanwhile = await world.dispatch({ to: '+15554440003' });
  await world.until(async () => (await statusOf(talking)) === 'in_progress' && (await statusOf(hungUpMeanwhile)) === 'in_progress' && (await statusOf(ringing)) === 'ringing', 'calls up');
  await world.until(() => world.media.attached.some((a) => a.call_id === talking), 'media attached');

  await first.crash();
  // While no dialer listens, the far end of one call hangs up.
  await fetch(`${world.sim.url}/sim/calls/${hungUpMeanwhile}/hangup`, { method: 'POST' });
  await world.until(async () => (await world.simCall(hungUpMeanwhile))?.state === 'ended', 'far end hung up');

  const second = await world.startDialer(FAST);
  const lost = await world.ended(hungUpMeanwhile);
  expect(lost.data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'system' });
  expect(lost.data.error_message).toContain('no longer exists');

  // The adopted calls end on their own, reported by the new dialer with the real causes.
  const talked = await world.ended(talking);
  expect(talked.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_by: 'caller' });
  const rang = await world.ended(ringing);
  expect(rang.data).toMatchObject({ status: 'no_answer', answered: false, hangup_cause_code: 19 });

  for (const id of [talking, ringing, hungUpMeanwhile]) expect(world.typesOf(id).filter((t) => t === 'ended')).toHaveLength(1);
  // The adopted call's media path was torn down by the new dialer.
  await world.until(() => world.media.released.some((r) => r.call_id === talking), 'media released by the successor');
  await world.until(async () => (await world.slots()).length === 0, 'slots freed');
  // The test's projection writes each event's row after the event is seen (world.ended resolves first): wait for it.
  const live = () => world.db.dataSource.query(`SELECT id, status FROM calls WHERE status IN ('initiated', 'ringing', 'in_progress')`);
  await world.until(async () => (await live()).length === 0, 'no call row left live');
  expect(await live()).toEqual([]);
  expect(second.dialer.liveCalls.size).toBe(0);
  await second.close();
});

it('a call adopted while ringing and answered afterwards gets media, with the conversation snapshot asked of the api (the dispatch that carried it died with the first dialer)', async () => {
  await world.scenario('+15554450001', { outcome: 'answer', answer_after_ms: 4000, hangup_after_ms: 4000, ...quiet });
  const first = await world.startDialer(FAST);
  const callId = await world.dispatch({ to: '+15554450001' });
  await world.until(async () => (await statusOf(callId)) === 'ringing', 'ringing');
  await first.crash();
  await world.startDialer(FAST);

  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_by: 'caller' });
  expect(world.api.snapshotRequests.filter((r) => r.call_id === callId)).toEqual([{ call_id: callId, account_id: world.accountId }]);
  expect(world.media.allocations.find((a) => a.callId === callId)).toMatchObject({ conversation: { account_id: world.accountId, agent_id: world.agentId, direction: 'outbound' } });
  expect(world.media.attached.find((a) => a.call_id === callId)).toBeTruthy();
});

it('a call that hangs up while its successor is adopting it ends with its real cause, not as lost by the system', async () => {
  await world.scenario('+15554440008', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const first = await world.startDialer(FAST);
  const callId = await world.dispatch({ to: '+15554440008' });
  await world.until(() => world.media.attached.some((a) => a.call_id === callId), 'media attached');
  await first.crash();

  // Hold the call's trunk slot: the successor's adoption lists the channel as alive, then waits on the slot.
  const blocker = world.db.dataSource.createQueryRunner();
  await blocker.connect();
  await blocker.startTransaction();
  try {
    await blocker.query(`SELECT 1 FROM dialer_trunk_slots WHERE call_id = $1 FOR UPDATE`, [callId]);
    const second = await world.startDialer(FAST);
    await world.until(async () => {
      const [{ n }] = await world.db.dataSource.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO dialer_trunk_slots%' AND query LIKE '%DO UPDATE%'`,
      );
      return n > 0;
    }, 'adoption waiting for the slot');
    // The caller hangs up in that gap; its ChannelDestroyed reaches the dialer before the call is tracked.
    await fetch(`${world.sim.url}/sim/calls/${callId}/hangup`, { method: 'POST' });
    const held = (second.dialer.liveCalls as unknown as { held: Map<string, Array<{ type: string }>> }).held;
    await world.until(() => (held.get(callId) ?? []).some((e) => e.type === 'ChannelDestroyed'), 'hang-up held for the adopted call');
    await blocker.rollbackTransaction();

    const ended = await world.ended(callId);
    expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_by: 'caller' });
    expect(world.typesOf(callId).filter((t) => t === 'ended')).toHaveLength(1);
    await world.until(async () => (await world.slots()).length === 0, 'slot freed');
    expect(second.dialer.liveCalls.size).toBe(0);
    await second.close();
  } finally {
    if (blocker.isTransactionActive) await blocker.rollbackTransaction();
    await blocker.release();
  }
});

it('graceful shutdown with a call up: the dialer waits, then leaves it to the next dialer, which adopts it at once', async () => {
  await world.scenario('+15554440004', { outcome: 'answer', answer_after_ms: 100, hangup_after_ms: 6000, ...quiet });
  const first = await world.startDialer({ ...FAST, SHUTDOWN_TIMEOUT_MS: '500', DIALER_DEAD_AFTER_MS: '60000' });
  const callId = await world.dispatch({ to: '+15554440004' });
  await world.until(async () => (await statusOf(callId)) === 'in_progress', 'answered');
  await first.close();
  expect(world.typesOf(callId)).not.toContain('ended');
  // The leaving dialer removed its heartbeat, so the next one does not wait for it to look dead.
  const next = await world.startDialer({ ...FAST, DIALER_DEAD_AFTER_MS: '60000' });
  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'completed', hangup_cause_code: 16, hangup_by: 'caller' });
  await next.close();
});

it('events WebSocket dropped mid-call: reconnects, ends the call that hung up meanwhile, keeps tracking the other', async () => {
  const proxy = await TcpProxy.start(Number(new URL(world.sim.url).port));
  try {
    await world.scenario('+15554440005', { outcome: 'answer', answer_after_ms: 100, hangup_after_ms: 5000, ...quiet });
    await world.scenario('+15554440006', { outcome: 'answer', answer_after_ms: 100, ...quiet });
    const dialer = await world.startDialer({ SIM_ARI_URL: `http://127.0.0.1:${proxy.port}/ari` });
    const staying = await world.dispatch({ to: '+15554440005' });
    const leaving = await world.dispatch({ to: '+15554440006' });
    await world.until(() => world.media.attached.some((a) => a.call_id === staying) && world.media.attached.some((a) => a.call_id === leaving), 'both calls bridged');

    proxy.cut();
    await world.until(() => !dialer.dialer.connections.sandbox.isConnected, 'dialer noticed the outage');
    await fetch(`${world.sim.url}/sim/calls/${leaving}/hangup`, { method: 'POST' });
    await world.until(async () => (await world.simCall(leaving))?.state === 'ended', 'far end hung up during the outage');
    expect(world.typesOf(leaving)).not.toContain('ended');
    proxy.restore();

    const lost = await world.ended(leaving);
    expect(lost.data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'system' });
    expect(lost.data.error_message).toContain('not listening');
    await world.until(() => world.media.released.some((r) => r.call_id === leaving), 'media of the lost call released');

    const ended = await world.ended(staying);
    expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_by: 'caller' });
    expect(world.typesOf(staying)).toEqual(['initiated', 'ringing', 'answered', 'ended']);
    await dialer.close();
  } finally {
    await proxy.close();
  }
});

it('Asterisk unreachable: dispatched calls stay queued (their message is retried) and go out once it is back', async () => {
  const proxy = await TcpProxy.start(Number(new URL(world.sim.url).port));
  try {
    await world.scenario('+15554440007', { outcome: 'busy', answer_after_ms: 50 });
    const dialer = await world.startDialer({ SIM_ARI_URL: `http://127.0.0.1:${proxy.port}/ari` });
    proxy.cut();
    await world.until(() => !dialer.dialer.connections.sandbox.isConnected, 'dialer noticed the outage');
    const callId = await world.dispatch({ to: '+15554440007' });
    await world.until(async () => {
      const info = await world.bus.manager.consumers.info(world.bus.subjects.dispatchStream, 'dialer');
      return info.num_redelivered > 0;
    }, 'dispatch message handed back for a retry');
    expect(world.typesOf(callId)).toEqual([]);
    expect((await world.callRow(callId)).status).toBe('queued');
    proxy.restore();
    const ended = await world.ended(callId);
    expect(ended.data).toMatchObject({ status: 'busy', hangup_cause_code: 17 });
    await dialer.close();
  } finally {
    await proxy.close();
  }
});
