import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationSnapshot, MediaAllocateReply, MediaAllocateRequest, MediaCancel, MediaLoad } from '@parley/common';
import { Bus } from '../bus';
import { createLogger } from '../logger';
import { Metrics } from '../metrics';
import { testNamespace } from '../testing/nats-namespace';
import { MediaLoads } from './media-loads';
import { MediaPlacement } from './media-placement';

// The placer's ways past a media process that does not take the call, against the real nats-server and stand-ins
// that answer (or not) on a media process's own subject. Two real media processes: apps/media/test/media-placement.test.ts.
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const logger = createLogger('placement-test', 'silent');
let bus: Bus;

beforeAll(async () => {
  bus = new Bus({ url: natsUrl, namespace: testNamespace(), name: 'placement-test', logger });
  await bus.connect();
});
afterAll(async () => {
  await bus.close();
});

const conversation: ConversationSnapshot = { account_id: 'acct_1', agent_id: randomUUID(), direction: 'outbound', prompt: 'p', context: {}, language: 'en', voice: null, initial_greeting: null, voicemail_action: 'hangup', voicemail_message: null, tools: [], llm: {}, max_duration_seconds: 60 };
const advert = (media_id: string, sessions: number): MediaLoad => ({ media_id, sessions, capacity: 10, cpu: 0, rtp_late_frames: 0, accepting: true, interval_ms: 60_000, at: new Date().toISOString() });

/** A media process that takes every call on its own subject. */
function taking(mediaId: string) {
  return bus.serve(bus.subjects.mediaProcess(mediaId, 'allocate'), MediaAllocateRequest, MediaAllocateReply, async () => ({ ok: true as const, host: '127.0.0.1', port: 40000, session_id: 'x' }));
}

async function counts(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return Object.fromEntries(values.map((v) => [Object.values(v.labels).join('/'), v.value]));
}

describe('MediaPlacement', () => {
  it('moves on from a process that does not answer in time, and tells it to let the call go', async () => {
    const loads = new MediaLoads();
    loads.heard(advert('hung', 0));
    loads.heard(advert('ok', 5));
    // The hung one receives the request and never answers.
    const hung = bus.connection.subscribe(bus.subjects.mediaProcess('hung', 'allocate'), { callback: () => undefined });
    const cancels: string[] = [];
    const cancelSub = bus.subscribe(bus.subjects.mediaProcess('hung', 'cancel'), MediaCancel, (c) => cancels.push(c.call_id));
    const ok = taking('ok');
    const metrics = new Metrics('placement-test');
    const placement = new MediaPlacement({ bus, logger, metrics, loads });
    const callId = randomUUID();
    expect(await placement.allocate({ call_id: callId, codec: 'g722', conversation }, 300)).toMatchObject({ ok: true, media_id: 'ok' });
    await bus.connection.flush();
    expect(cancels).toEqual([callId]);
    expect(await counts(metrics, 'parley_media_placement_refusals_total')).toEqual({ 'hung/timeout': 1 });
    for (const s of [hung, cancelSub, ok]) s.unsubscribe();
  });

  it('forgets at once a process nobody answers for (it stopped since its last advert), without waiting', async () => {
    const loads = new MediaLoads();
    loads.heard(advert('stopped', 0));
    loads.heard(advert('ok', 5));
    const ok = taking('ok');
    const metrics = new Metrics('placement-test');
    const placement = new MediaPlacement({ bus, logger, metrics, loads });
    expect(await placement.allocate({ call_id: randomUUID(), codec: 'g722', conversation }, 5000)).toMatchObject({ ok: true, media_id: 'ok' });
    expect(loads.candidates()).toEqual(['ok']);
    expect(await counts(metrics, 'parley_media_placement_refusals_total')).toEqual({ 'stopped/gone': 1 });
    ok.unsubscribe();
  });

  it('with no advert at all, asks the queue group as before placement by load', async () => {
    const group = bus.serve(bus.subjects.mediaAllocate, MediaAllocateRequest, MediaAllocateReply, async () => ({ ok: true as const, host: '127.0.0.1', port: 40002, session_id: 'y' }), 'media');
    const metrics = new Metrics('placement-test');
    const placement = new MediaPlacement({ bus, logger, metrics });
    expect(await placement.allocate({ call_id: randomUUID(), codec: 'g722', conversation }, 5000)).toMatchObject({ ok: true, port: 40002 });
    expect(await counts(metrics, 'parley_media_placement_fallbacks_total')).toEqual({ '': 1 });
    expect(await counts(metrics, 'parley_media_placement_allocations_total')).toEqual({ queue_group: 1 });
    group.unsubscribe();
    // Nobody at all: the call fails with the reason, it does not throw.
    const none = await placement.allocate({ call_id: randomUUID(), codec: 'g722', conversation }, 5000);
    expect(none.ok === false && none.error).toMatch(/^no media process answered/);
  });

  it('hears the adverts published on media.load', async () => {
    const placement = new MediaPlacement({ bus, logger });
    placement.start();
    bus.publish(bus.subjects.mediaLoad, MediaLoad, advert('m1', 1));
    bus.publish(bus.subjects.mediaLoad, MediaLoad, { ...advert('m2', 0), accepting: false });
    await bus.connection.flush();
    const end = Date.now() + 5000;
    while (placement.loads.candidates().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(placement.loads.candidates()).toEqual(['m1']);
    placement.stop();
  });
});
