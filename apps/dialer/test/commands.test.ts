import { randomUUID } from 'node:crypto';
import type { CallEventType } from '@parley/common';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DialerWorld } from './support/dialer-world';

let world: DialerWorld;
beforeAll(async () => {
  world = await DialerWorld.start();
  await world.startDialer({ DIALER_WATCHDOG_INTERVAL_MS: '300' });
});
afterAll(async () => {
  await world?.close();
});

const quiet = { lines: [], send_silence: false } as const;

it('hang-up command while ringing: canceled, by the api (the 16 on ChannelDestroyed does not make it completed)', async () => {
  await world.scenario('+15552220001', { outcome: 'no_answer' });
  const callId = await world.dispatch({ to: '+15552220001' });
  await world.waitForEvent(callId, 'ringing');
  const reply = await world.command({ command: 'hangup', call_id: callId, reason: 'api' });
  expect(reply).toMatchObject({ ok: true, status: 'ringing' });
  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'canceled', answered: false, hangup_by: 'api', hangup_cause_code: 16, error_code: null });
  expect(world.typesOf(callId)).toEqual(['initiated', 'ringing', 'ended']);
});

it('hang-up command after answer: completed, by the agent, media torn down', async () => {
  await world.scenario('+15552220002', { outcome: 'answer', answer_after_ms: 200, ...quiet });
  const callId = await world.dispatch({ to: '+15552220002' });
  await world.until(() => world.media.attached.find((a) => a.call_id === callId), 'media attached');
  const reply = await world.command({ command: 'hangup', call_id: callId, reason: 'agent' });
  expect(reply).toMatchObject({ ok: true, status: 'in_progress' });
  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'agent', hangup_cause_code: 16 });
  expect(await world.simCall(callId)).toMatchObject({ hung_up_by: 'agent' });
  await world.until(() => world.media.released.find((r) => r.call_id === callId), 'media released');
});

it('DTMF and blind transfer reach the channel; the transferred call ends completed', async () => {
  await world.scenario('+15552220003', { outcome: 'answer', answer_after_ms: 200, ...quiet });
  const callId = await world.dispatch({ to: '+15552220003' });
  await world.waitForEvent(callId, 'answered');
  expect(await world.command({ command: 'dtmf', call_id: callId, digits: '12#' })).toMatchObject({ ok: true });
  await world.until(async () => (await world.simCall(callId))?.dtmf_heard === '12#', 'far end heard the digits');
  expect(await world.command({ command: 'transfer', call_id: callId, destination: '+15559990000' })).toMatchObject({ ok: true });
  expect(await world.simCall(callId)).toMatchObject({ redirected_to: 'PJSIP/+15559990000@sandbox' });
  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'agent' });
});

/** The call ended canceled by the api, and Asterisk never saw it. */
async function endedCanceledWithoutRinging(callId: string): Promise<void> {
  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'canceled', answered: false, hangup_by: 'api' });
  expect(world.typesOf(callId)).toEqual(['ended']);
  expect(await world.simCall(callId)).toBeNull();
}

/**
 * Two calls on a new sandbox trunk with these limits: the first one dialed and `firstAt`, the second one held back
 * by the limits until `heldBack` says it is where the test wants it.
 */
async function secondCallHeldBack(number: string, limits: { maxConcurrentCalls: number; callsPerSecond: number }, firstAt: CallEventType, heldBack: (callId: string) => Promise<boolean> | boolean) {
  const trunkId = await world.createTrunk({ name: `limits-${number}`, sandbox: true, ...limits });
  await world.scenario(number, { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const first = await world.dispatch({ to: number, trunkId });
  await world.waitForEvent(first, firstAt);
  const second = await world.dispatch({ to: number, trunkId });
  await world.until(() => heldBack(second), 'second call held back');
  expect(world.dialers[0]!.dialer.queue.has(second)).toBe(true);
  return { first, second };
}

it('hang-up command for a call still queued behind the trunk limit: canceled without ever ringing', async () => {
  const { first, second } = await secondCallHeldBack('+15552220006', { maxConcurrentCalls: 1, callsPerSecond: 10 }, 'answered', (id) => world.dialers[0]!.dialer.queue.has(id));
  expect(await world.command({ command: 'hangup', call_id: second, reason: 'api' })).toMatchObject({ ok: true, status: 'canceled' });
  await endedCanceledWithoutRinging(second);
  await world.command({ command: 'hangup', call_id: first, reason: 'api' });
  await world.ended(first);
});

it('a hang-up command that comes before the dispatch message: the call ends canceled when its message arrives, never ringing', async () => {
  await world.scenario('+15552220007', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const callId = randomUUID();
  // As the api sends it for a queued call it cancels: fire and forget. The row stays queued, so only the command tells.
  world.bus.connection.publish(world.bus.subjects.dialerCommand(callId), JSON.stringify({ command: 'hangup', call_id: callId, reason: 'api' }));
  await world.bus.connection.flush();
  await world.dispatch({ id: callId, to: '+15552220007' });
  await endedCanceledWithoutRinging(callId);
});

it('a hang-up command while the call waits for its paced start (slot granted, not dialed yet): canceled without ever ringing', async () => {
  // At 0.5 calls per second the second call's start is two seconds after the first's.
  const { first, second } = await secondCallHeldBack('+15552220008', { maxConcurrentCalls: 5, callsPerSecond: 0.5 }, 'initiated', async (id) =>
    (await world.slots()).some((s) => s.call_id === id && s.state === 'active'),
  );
  expect(await world.command({ command: 'hangup', call_id: second, reason: 'api' })).toMatchObject({ ok: true, status: 'canceled' });
  await endedCanceledWithoutRinging(second);
  await world.until(async () => !(await world.slots()).some((s) => s.call_id === second), 'its slot freed');
  await world.command({ command: 'hangup', call_id: first, reason: 'api' });
  await world.ended(first);
});

it('commands for calls this dialer does not own get no reply (another dialer answers)', async () => {
  await expect(world.command({ command: 'hangup', call_id: '6f1c1d43-94d5-4d0c-9d47-5d8d2b0c1a11', reason: 'api' }, 1000)).rejects.toThrow();
});

it('media unavailable on answer: hung up, failed with media_unavailable', async () => {
  await world.scenario('+15552220004', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  world.media.available = false;
  try {
    const callId = await world.dispatch({ to: '+15552220004' });
    const ended = await world.ended(callId);
    expect(ended.data).toMatchObject({ status: 'failed', answered: true, hangup_by: 'system', error_code: 'media_unavailable' });
    expect(ended.data.error_message).toContain('no capacity');
    expect(await world.simCall(callId)).toMatchObject({ hung_up_by: 'agent' });
  } finally {
    world.media.available = true;
  }
});

it('max duration: the watchdog hangs up an answered call past the agent limit', async () => {
  await world.scenario('+15552220005', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const callId = await world.dispatch({ to: '+15552220005', maxDurationSeconds: 1 });
  const ended = await world.ended(callId);
  expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_by: 'system', error_code: 'max_duration_exceeded' });
});
