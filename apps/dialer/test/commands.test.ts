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

it('hang-up command for a call still queued behind the trunk limit: canceled without ever ringing', async () => {
  const trunkId = await world.createTrunk({ name: 'one-line', sandbox: true, maxConcurrentCalls: 1, callsPerSecond: 10 });
  await world.scenario('+15552220006', { outcome: 'answer', answer_after_ms: 100, ...quiet });
  const busyLine = await world.dispatch({ to: '+15552220006', trunkId });
  await world.waitForEvent(busyLine, 'answered');
  const waiting = await world.dispatch({ to: '+15552220006', trunkId });
  await world.until(() => world.dialers[0]!.dialer.queue.has(waiting), 'second call queued');
  expect(await world.command({ command: 'hangup', call_id: waiting, reason: 'api' })).toMatchObject({ ok: true, status: 'canceled' });
  const ended = await world.ended(waiting);
  expect(ended.data).toMatchObject({ status: 'canceled', answered: false, hangup_by: 'api' });
  expect(world.typesOf(waiting)).toEqual(['ended']);
  expect(await world.simCall(waiting)).toBeNull();
  await world.command({ command: 'hangup', call_id: busyLine, reason: 'api' });
  await world.ended(busyLine);
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
