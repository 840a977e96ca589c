import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ConversationSnapshot, MediaAck, MediaAllocateReply, MediaAllocateRequest, MediaCancel, type MediaLoad, MediaReleaseRequest } from '@parley/common';
import { Bus, createLogger, MediaLoads, MediaPlacement, Metrics } from '@parley/service-kit';
import { MediaModule } from '../src/app.module';
import { MediaSessions } from '../src/sessions/media-sessions';
import { MediaHarness } from './harness';

// Issue 23: calls placed on media processes by the load they advertise, through the MediaPlacement the dialer (phone
// calls) and the api (web calls) use, against two real media processes of capacity 2 on one NATS namespace.

const INTERVAL_MS = 100;
let h: MediaHarness;
let second: INestApplicationContext;
let a: MediaSessions;
let b: MediaSessions;
const placers: MediaPlacement[] = [];

beforeAll(async () => {
  const env = { MEDIA_MAX_SESSIONS: '2', MEDIA_LOAD_INTERVAL_MS: String(INTERVAL_MS) };
  h = await MediaHarness.start({ script: { rules: [{ name: 'any', when: {}, reply: { text: 'Hello.' } }] }, env: { ...env, MEDIA_ID: 'media-a' } });
  const { first } = h.config.MEDIA_RTP_PORTS;
  second = await NestFactory.createApplicationContext(MediaModule.forRoot({ ...h.config, MEDIA_ID: 'media-b', MEDIA_RTP_PORTS: { first: first + 4000, last: first + 4019 } }), { logger: false, abortOnError: false });
  await second.init();
  a = h.app.get(MediaSessions);
  b = second.get(MediaSessions);
});
afterAll(async () => {
  for (const p of placers) p.stop();
  await second?.close().catch(() => undefined);
  await h?.close();
});

function placer(opts: { listen?: boolean; loads?: MediaLoads } = {}): { placement: MediaPlacement; metrics: Metrics } {
  const metrics = new Metrics('test-placer');
  const placement = new MediaPlacement({ bus: h.bus, logger: createLogger('test-placer', 'silent'), metrics, loads: opts.loads });
  if (opts.listen !== false) placement.start();
  placers.push(placement);
  return { placement, metrics };
}

/** A counter's values by label set, e.g. { 'media-a/refused': 1 }. */
async function counts(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return Object.fromEntries(values.map((v) => [Object.values(v.labels).join('/'), v.value]));
}

function conversation(): ConversationSnapshot {
  return { account_id: 'acct_placement', agent_id: randomUUID(), direction: 'outbound', prompt: 'test', context: {}, language: 'en', voice: null, initial_greeting: null, voicemail_action: 'hangup', voicemail_message: null, tools: [], llm: {}, max_duration_seconds: 600 };
}

const allocate = (placement: MediaPlacement) => placement.allocate({ call_id: randomUUID(), codec: 'g722', conversation: conversation() }, 2000);

async function releaseAll(callIds: string[]): Promise<void> {
  for (const callId of callIds) await h.bus.request(h.bus.subjects.mediaSession(callId, 'release'), MediaReleaseRequest, { call_id: callId, reason: 'api' }, MediaAck, 5000);
  await vi.waitFor(() => expect(a.active + b.active).toBe(0), { timeout: 10_000 });
}

const callIdOf = (reply: MediaAllocateReply) => (reply.ok ? reply.session_id : '');

describe('media placement by load (two media processes, capacity 2 each)', () => {
  it('spreads calls by load: 4 calls at once take 2 on each, with no refusal; a 5th is refused by both', async () => {
    const { placement, metrics } = placer();
    await vi.waitFor(() => expect(placement.loads.candidates().sort()).toEqual(['media-a', 'media-b']), { timeout: 10_000 });
    const replies = await Promise.all([1, 2, 3, 4].map(() => allocate(placement)));
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(replies.map((r) => (r.ok ? r.media_id : null)).sort()).toEqual(['media-a', 'media-a', 'media-b', 'media-b']);
    expect([a.active, b.active]).toEqual([2, 2]);
    expect(await counts(metrics, 'parley_media_placement_allocations_total')).toEqual({ 'media-a': 2, 'media-b': 2 });
    expect(await counts(metrics, 'parley_media_placement_refusals_total')).toEqual({});

    // Everything is full: both are asked (the adverts could be behind), both refuse, and the call fails.
    const fifth = await allocate(placement);
    expect(fifth.ok).toBe(false);
    expect(!fifth.ok && fifth.error).toMatch(/^every media process refused the call \(media-[ab]: media service is full \(2 sessions\); media-[ab]: media service is full \(2 sessions\)\)$/);
    expect(await counts(metrics, 'parley_media_placement_refusals_total')).toEqual({ 'media-a/refused': 1, 'media-b/refused': 1 });
    expect(await counts(metrics, 'parley_media_placement_failures_total')).toEqual({ '': 1 });
    expect([a.active, b.active]).toEqual([2, 2]);
    await releaseAll(replies.map(callIdOf));
  });

  it('a full process refuses and the next one takes the call (the placer saw it empty: its advert was behind)', async () => {
    // media-a is filled by another placer (the test's own requests, as a second dialer would).
    const held = await Promise.all([1, 2].map(() => h.bus.request(h.bus.subjects.mediaProcess('media-a', 'allocate'), MediaAllocateRequest, { call_id: randomUUID(), codec: 'g722', conversation: conversation() }, MediaAllocateReply, 5000)));
    expect(a.active).toBe(2);
    // This placer's view is from before that: media-a empty, media-b busier.
    const loads = new MediaLoads();
    const stale = (media_id: string, sessions: number): MediaLoad => ({ media_id, sessions, capacity: 2, cpu: 0, rtp_late_frames: 0, accepting: true, interval_ms: 60_000, at: new Date().toISOString() });
    loads.heard(stale('media-a', 0));
    loads.heard(stale('media-b', 1));
    const { placement, metrics } = placer({ listen: false, loads });
    const reply = await allocate(placement);
    expect(reply).toMatchObject({ ok: true, media_id: 'media-b' });
    expect([a.active, b.active]).toEqual([2, 1]);
    expect(await counts(metrics, 'parley_media_placement_refusals_total')).toEqual({ 'media-a/refused': 1 });
    await releaseAll([...held.map(callIdOf), callIdOf(reply)]);
  });

  it('skips a process that stops advertising, though it would take the call, and asks it again once it advertises', async () => {
    const { placement, metrics } = placer();
    await vi.waitFor(() => expect(placement.loads.candidates().sort()).toEqual(['media-a', 'media-b']), { timeout: 10_000 });
    // media-b's adverts stop reaching anyone (a hung or cut-off process looks the same); it still answers requests.
    const busB = second.get(Bus);
    const publish = busB.publish.bind(busB);
    busB.publish = ((subject: string, schema: never, payload: never) => (subject === busB.subjects.mediaLoad ? undefined : publish(subject, schema, payload))) as typeof busB.publish;
    try {
      await vi.waitFor(() => expect(placement.loads.candidates()).toEqual(['media-a']), { timeout: 10_000 });
      const replies = [await allocate(placement), await allocate(placement)];
      expect(replies.map((r) => r.ok && r.media_id)).toEqual(['media-a', 'media-a']);
      // media-a is full and media-b, forgotten, is not asked: the call fails though media-b has room.
      expect((await allocate(placement)).ok).toBe(false);
      expect(b.active).toBe(0);
      expect(await counts(metrics, 'parley_media_placement_refusals_total')).toEqual({ 'media-a/refused': 1 });
      await releaseAll(replies.map(callIdOf));
    } finally {
      busB.publish = publish;
    }
    await vi.waitFor(() => expect(placement.loads.candidates()).toContain('media-b'), { timeout: 10_000 });
    const reply = await allocate(placement);
    expect(reply.ok).toBe(true);
    await releaseAll([callIdOf(reply)]);
  });

  it('lets go of a call its placer gave up on (cancel after a timeout), whether it was still opening or already open', async () => {
    const s = h.bus.subjects;
    const calls: string[] = [randomUUID(), randomUUID()];
    // One cancel follows its allocate at once (it arrives while the session opens), the other after the reply.
    const first = h.bus.request(s.mediaProcess('media-a', 'allocate'), MediaAllocateRequest, { call_id: calls[0]!, codec: 'g722', conversation: conversation() }, MediaAllocateReply, 5000);
    h.bus.publish(s.mediaProcess('media-a', 'cancel'), MediaCancel, { call_id: calls[0]! });
    const opened = await h.bus.request(s.mediaProcess('media-a', 'allocate'), MediaAllocateRequest, { call_id: calls[1]!, codec: 'g722', conversation: conversation() }, MediaAllocateReply, 5000);
    expect(opened.ok).toBe(true);
    h.bus.publish(s.mediaProcess('media-a', 'cancel'), MediaCancel, { call_id: calls[1]! });
    expect(await first).toMatchObject({ ok: false, error: 'withdrawn: the call went to another media process' });
    await vi.waitFor(() => expect(a.active).toBe(0), { timeout: 10_000 });
    // Nothing was published about either call: it lives on elsewhere.
    expect(h.events.filter((e) => calls.includes(e.call_id))).toEqual([]);
  });
});
