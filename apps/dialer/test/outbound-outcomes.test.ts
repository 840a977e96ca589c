import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrunksChangedMessage } from '@parley/common';
import { TrunkStatesRepository } from '@parley/db';
import { DialerWorld } from './support/dialer-world';

let world: DialerWorld;
beforeAll(async () => {
  world = await DialerWorld.start();
  await world.startDialer();
});
afterAll(async () => {
  await world?.close();
});

// Far ends say nothing and send no RTP: these tests are about call control.
const quiet = { lines: [], send_silence: false } as const;

describe('outbound calls against the simulator', () => {
  it('answered call: initiated, ringing, answered, media bridged, far end hangs up -> completed with cause 16', async () => {
    await world.scenario('+15551110001', { outcome: 'answer', answer_after_ms: 300, hangup_after_ms: 800, ...quiet });
    const callId = await world.dispatch({ to: '+15551110001' });
    const ended = await world.ended(callId);
    expect(world.typesOf(callId)).toEqual(['initiated', 'ringing', 'answered', 'ended']);
    const [initiated, ringing, answered] = world.eventsOf(callId);
    expect(initiated!.type === 'initiated' && initiated!.data).toMatchObject({ channel_id: callId, dialer_id: world.dialers[0]!.config.DIALER_ID });
    // Timestamps come from the ARI events and move forward.
    expect(Date.parse(ringing!.at)).toBeGreaterThanOrEqual(Date.parse(initiated!.at));
    expect(Date.parse(answered!.at)).toBeGreaterThan(Date.parse(ringing!.at));
    expect(Date.parse(ended.at)).toBeGreaterThan(Date.parse(answered!.at));
    expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16, hangup_cause: 'Normal Clearing', hangup_by: 'caller', error_code: null });

    // The call reached the simulator as dialed, and media was allocated, attached and released.
    const sim = await world.simCall(callId);
    expect(sim).toMatchObject({ to: '+15551110001', from: '+15550000000', endpoint: 'sandbox', hung_up_by: 'far_end' });
    // Media got the conversation snapshot the dispatch carried; the api was not asked for it.
    expect(world.media.allocations.find((a) => a.callId === callId)).toMatchObject({ codec: 'g722', conversation: { account_id: world.accountId, agent_id: world.agentId, direction: 'outbound' } });
    expect(world.api.snapshotRequests.find((r) => r.call_id === callId)).toBeUndefined();
    expect(world.media.attached.find((a) => a.call_id === callId)).toMatchObject({ external_channel_id: `media-${callId}` });
    await world.until(() => world.media.released.find((r) => r.call_id === callId), 'media release');
    // The bridge and the ExternalMedia channel are gone, and the trunk slot is free.
    await world.until(async () => (await world.slots()).length === 0, 'slot released');
    const res = await fetch(`${world.sim.ariUrl}/bridges/bridge-${callId}`, { headers: { authorization: `Basic ${Buffer.from('parley:parley').toString('base64')}` } });
    expect(res.status).toBe(404);
  });

  it('a dispatch queued by an older api, without the conversation snapshot: the dialer asks the api for it before allocating media', async () => {
    await world.scenario('+15551110011', { outcome: 'answer', answer_after_ms: 100, hangup_after_ms: 500, ...quiet });
    const callId = await world.dispatch({ to: '+15551110011', conversation: null });
    const ended = await world.ended(callId);
    expect(ended.data).toMatchObject({ status: 'completed', answered: true, hangup_cause_code: 16 });
    expect(world.api.snapshotRequests.filter((r) => r.call_id === callId)).toEqual([{ call_id: callId, account_id: world.accountId }]);
    expect(world.media.allocations.find((a) => a.callId === callId)).toMatchObject({ conversation: { account_id: world.accountId, agent_id: world.agentId, direction: 'outbound' } });
  });

  it('busy: ended busy with cause 17, never answered', async () => {
    await world.scenario('+15551110002', { outcome: 'busy', answer_after_ms: 100 });
    const callId = await world.dispatch({ to: '+15551110002' });
    const ended = await world.ended(callId);
    expect(world.typesOf(callId)).not.toContain('answered');
    expect(ended.data).toMatchObject({ status: 'busy', answered: false, hangup_cause_code: 17, hangup_by: 'caller', error_code: null });
  });

  it('no answer: rings until the ring timeout, ended no_answer (started, never answered)', async () => {
    await world.scenario('+15551110003', { outcome: 'no_answer' });
    const callId = await world.dispatch({ to: '+15551110003', ringTimeoutSeconds: 1 });
    const ended = await world.ended(callId);
    expect(world.typesOf(callId)).toEqual(['initiated', 'ringing', 'ended']);
    expect(ended.data).toMatchObject({ status: 'no_answer', answered: false, hangup_cause_code: 19 });
    const row = await world.until(async () => {
      const r = await world.callRow(callId);
      return r.status === 'no_answer' && r;
    }, 'row projected');
    expect(row.started_at).not.toBeNull();
    expect(row.answered_at).toBeNull();
  });

  it.each([
    ['reject', '+15551110004', 21, 'call_rejected'],
    ['unallocated', '+15551110005', 1, 'number_unallocated'],
    ['congestion', '+15551110006', 34, 'no_circuit_available'],
  ] as const)('%s (%s): failed with cause %i and error code %s', async (outcome, number, cause, errorCode) => {
    await world.scenario(number, { outcome, answer_after_ms: 100 });
    const callId = await world.dispatch({ to: number });
    const ended = await world.ended(callId);
    expect(ended.data).toMatchObject({ status: 'failed', answered: false, hangup_cause_code: cause, error_code: errorCode });
    expect(ended.data.error_message).toContain(`cause ${cause}`);
  });

  it('a trunk that does not exist: failed with trunk_not_found, nothing dialed', async () => {
    const callId = await world.dispatch({ to: '+15551110007', trunkId: 'trk_missing' });
    const ended = await world.ended(callId);
    expect(ended.data).toMatchObject({ status: 'failed', error_code: 'trunk_not_found' });
    expect(await world.simCall(callId)).toBeNull();
  });

  it('a customer trunk while no Asterisk is registered nor ARI_URL set: failed with no_asterisk_available', async () => {
    const trunkId = await world.createTrunk({ name: 'carrier' });
    const callId = await world.dispatch({ to: '+15551110008', trunkId });
    const ended = await world.ended(callId);
    expect(ended.data).toMatchObject({ status: 'failed', error_code: 'no_asterisk_available' });
    expect(ended.data.error_message).toContain('ARI_URL');
    // The trunk's state says why, once the api announces it.
    world.bus.publish(world.bus.subjects.trunksChanged, TrunksChangedMessage, { account_id: world.accountId, trunk_id: trunkId });
    const states = new TrunkStatesRepository(world.db.dataSource);
    await world.until(async () => (await states.ofTrunks([trunkId])).get(trunkId)?.[0]?.provisioning === 'no_asterisk', 'the trunk recorded as having no Asterisk');
  });

  it('a call the api canceled before any dialer heard its hang-up command is skipped when its message comes, not dialed', async () => {
    await world.scenario('+15551110009', { outcome: 'answer', answer_after_ms: 100, hangup_after_ms: 100, ...quiet });
    const callId = await world.dispatch({ to: '+15551110009', status: 'canceled' });
    // Consumed and dropped: a later call on the same dialer goes through, this one never reached the simulator.
    await world.scenario('+15551110010', { outcome: 'busy', answer_after_ms: 50 });
    const next = await world.dispatch({ to: '+15551110010' });
    await world.ended(next);
    expect(await world.simCall(callId)).toBeNull();
    expect(world.typesOf(callId)).toEqual([]);
  });

  it('a call the api cancels while it is queued (the row, then the hang-up command) does not ring on', async () => {
    await world.scenario('+15551110011', { outcome: 'no_answer' });
    const callId = await world.dispatch({ to: '+15551110011' });
    // Races the dialer on purpose, as the api does it: whichever step the call has reached, it ends canceled.
    await world.db.dataSource.query(`UPDATE calls SET status = 'canceled' WHERE id = $1 AND status = 'queued'`, [callId]);
    world.bus.connection.publish(world.bus.subjects.dialerCommand(callId), JSON.stringify({ command: 'hangup', call_id: callId, reason: 'api' }));
    await world.scenario('+15551110012', { outcome: 'busy', answer_after_ms: 50 });
    const next = await world.dispatch({ to: '+15551110012' });
    await world.ended(next);
    const sim = await world.simCall(callId);
    if (sim) {
      // Dialed before the command came: hung up at once, canceled by the api.
      await world.until(async () => (await world.simCall(callId))?.ended_at, 'the canceled call hung up');
      expect((await world.ended(callId)).data).toMatchObject({ status: 'canceled', answered: false, hangup_by: 'api' });
    } else {
      // Dropped (its row already said canceled) or canceled by the command before its turn: it never rang.
      expect(world.typesOf(callId).filter((t) => t !== 'ended')).toEqual([]);
    }
  });
});
