import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { z } from 'zod';
import { CallEvent } from '@parley/common';
import { Bus, isJetStreamNotReady, type RunningConsumer } from './bus';
import { createLogger } from './logger';
import { deleteNamespaceStreams, testNamespace } from './testing/nats-namespace';

// The NATS bus every service talks through, against the real nats-server: validation on both sides of a request,
// JetStream dedup, redelivery of failed and unacked messages, and a close that lets in-flight work finish.
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const namespace = testNamespace();
const logger = createLogger('bus-test', 'silent');
const Ping = z.object({ n: z.number().int() });
const Pong = z.object({ ok: z.literal(true), doubled: z.number().int() });
const Job = z.object({ id: z.string(), fail_times: z.number().int().default(0) });

let bus: Bus;
let other: Bus;
let raw: NatsConnection;
let consumers: RunningConsumer[] = [];
const stream = `${namespace}_JOBS`;

const newBus = async (name: string) => {
  const b = new Bus({ url: natsUrl, namespace, name, logger });
  await b.connect();
  return b;
};
const until = async (what: string, cond: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const streamMessages = async (name: string) => (await bus.manager.streams.info(name)).state.messages;

beforeAll(async () => {
  bus = await newBus('bus-test-a');
  other = await newBus('bus-test-b');
  raw = await connect({ servers: natsUrl });
  await bus.ensureStream({ name: stream, subjects: [`${namespace}.jobs.*`], retention: RetentionPolicy.Limits, storage: StorageType.Memory, duplicate_window: 60_000_000_000 });
});
afterEach(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  consumers = [];
});
afterAll(async () => {
  await Promise.allSettled([bus.close(), other.close(), raw.close()]);
  await deleteNamespaceStreams(natsUrl, namespace);
});

describe('Bus request/reply', () => {
  it('validates the request and the reply on both sides', async () => {
    const subject = `${namespace}.rpc.double`;
    other.serve(subject, Ping, Pong, async (req) => ({ ok: true as const, doubled: req.n * 2 }));
    await other.connection.flush();
    expect(await bus.request(subject, Ping, { n: 21 }, Pong)).toEqual({ ok: true, doubled: 42 });
    // The caller refuses to send what its schema rejects, before anything goes on the wire.
    await expect(bus.request(subject, Ping, { n: 1.5 } as never, Pong)).rejects.toThrow();
  });

  it('answers an invalid request with an error reply instead of calling the handler', async () => {
    const subject = `${namespace}.rpc.strict`;
    let called = 0;
    other.serve(subject, Ping, Pong, async () => {
      called++;
      return { ok: true as const, doubled: 0 };
    });
    await other.connection.flush();
    const reply = await raw.request(subject, new TextEncoder().encode('{"n":"not a number"}'), { timeout: 2000 });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toEqual({ ok: false, error: 'invalid request' });
    expect(called).toBe(0);
  });

  it('replies with the error when the handler throws, and stays silent when it returns undefined', async () => {
    const failing = `${namespace}.rpc.failing`;
    const silent = `${namespace}.rpc.silent`;
    other.serve(failing, Ping, Pong, async () => {
      throw new Error('no such call');
    });
    other.serve(silent, Ping, Pong, async () => undefined);
    await other.connection.flush();
    const reply = await raw.request(failing, new TextEncoder().encode('{"n":1}'), { timeout: 2000 });
    expect(JSON.parse(new TextDecoder().decode(reply.data))).toEqual({ ok: false, error: 'no such call' });
    // A server that does not own the request lets the caller time out rather than answer for someone else.
    await expect(bus.request(silent, Ping, { n: 1 }, Pong, 300)).rejects.toThrow(/timeout|503|no responders/i);
  });
  it('close() lets a request handler that is running finish and send its reply, and takes no new request', async () => {
    const subject = `${namespace}.rpc.slow`;
    const closing = await newBus('bus-test-closing');
    let started = false;
    closing.serve(subject, Ping, Pong, async (req) => {
      started = true;
      await new Promise((r) => setTimeout(r, 300));
      return { ok: true as const, doubled: req.n * 2 };
    });
    await closing.connection.flush();
    const answered = bus.request(subject, Ping, { n: 4 }, Pong, 3000);
    await until('the handler to start', () => started);
    await closing.close();
    expect(await answered).toEqual({ ok: true, doubled: 8 });
    await expect(bus.request(subject, Ping, { n: 1 }, Pong, 300)).rejects.toThrow(/timeout|503|no responders/i);
  });
});

describe('Bus publish/subscribe', () => {
  it('refuses to publish what its schema rejects, and a subscriber skips an invalid message and goes on', async () => {
    const subject = `${namespace}.notes`;
    const got: number[] = [];
    other.subscribe(subject, Ping, (m) => void got.push(m.n));
    await other.connection.flush();
    expect(() => bus.publish(subject, Ping, { n: 'one' } as never)).toThrow();
    bus.publish(subject, Ping, { n: 1 });
    raw.publish(subject, new TextEncoder().encode('{"n":"two"}'));
    raw.publish(subject, new TextEncoder().encode('not json'));
    bus.publish(subject, Ping, { n: 3 });
    await until('the valid notes', () => got.length === 2);
    expect(got).toEqual([1, 3]);
  });
});

describe('Bus JetStream', () => {
  it('drops a republish with the same message id within the duplicate window', async () => {
    const subject = `${namespace}.jobs.dedup`;
    const before = await streamMessages(stream);
    const id = randomUUID();
    await bus.publishJs(subject, Job, { id, fail_times: 0 }, id);
    await bus.publishJs(subject, Job, { id, fail_times: 0 }, id);
    await other.publishJs(subject, Job, { id, fail_times: 0 }, id);
    expect(await streamMessages(stream)).toBe(before + 1);
    await bus.publishJs(subject, Job, { id: randomUUID(), fail_times: 0 }, randomUUID());
    expect(await streamMessages(stream)).toBe(before + 2);
  });

  it('stores a call event republished with the same id, and an outbox message relayed twice, once', async () => {
    await bus.ensureStreams();
    const callId = randomUUID();
    const base = { call_id: callId, account_id: randomUUID(), id: randomUUID() };
    const before = await streamMessages(bus.subjects.callEventsStream);
    await bus.publishCallEvent('queued', base, {});
    await other.publishCallEvent('queued', base, {});
    expect(await streamMessages(bus.subjects.callEventsStream)).toBe(before + 1);

    const subject = `${namespace}.jobs.outbox`;
    const json = JSON.stringify({ id: 'relayed', fail_times: 0 });
    const msgId = randomUUID();
    await bus.publishRaw(subject, json, msgId);
    await other.publishRaw(subject, json, msgId);
    const stored = await bus.manager.streams.getMessage(stream, { last_by_subj: subject });
    expect(stored.string()).toBe(json);
    expect(stored.header.get('Nats-Msg-Id')).toBe(msgId);
    expect((await bus.manager.streams.info(stream, { subjects_filter: subject })).state.subjects).toEqual({ [subject]: 1 });
  });

  it('numbers each call’s events in order, and the event validates as a CallEvent', async () => {
    await bus.ensureStreams();
    const callId = randomUUID();
    const a = await bus.publishCallEvent('queued', { call_id: callId, account_id: randomUUID() }, {});
    const b = await bus.publishCallEvent('ringing', { call_id: callId, account_id: a.account_id }, {});
    const c = await bus.publishCallEvent('queued', { call_id: randomUUID(), account_id: a.account_id }, {});
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 1]);
    const stored = await bus.manager.streams.getMessage(bus.subjects.callEventsStream, { last_by_subj: bus.subjects.callEvent(callId, 'ringing') });
    expect(CallEvent.parse(stored.json())).toMatchObject({ id: b.id, seq: 2, type: 'ringing' });
  });

  it('redelivers a message whose handler failed until it succeeds, and terminates one that does not validate', async () => {
    const subject = `${namespace}.jobs.retry`;
    const attempts = new Map<string, number>();
    const done: string[] = [];
    consumers.push(
      await bus.consumeDurable({
        stream,
        durable: `retry-${randomUUID().slice(0, 8)}`,
        filterSubjects: [subject],
        schema: Job,
        retryDelayMs: 50,
        handler: async (job) => {
          const n = (attempts.get(job.id) ?? 0) + 1;
          attempts.set(job.id, n);
          if (n <= job.fail_times) throw new Error(`attempt ${n} fails`);
          done.push(job.id);
        },
      }),
    );
    raw.publish(subject, new TextEncoder().encode('{"not":"a job"}'));
    await bus.publishJs(subject, Job, { id: 'flaky', fail_times: 2 }, randomUUID());
    await bus.publishJs(subject, Job, { id: 'fine', fail_times: 0 }, randomUUID());
    await until('both jobs handled', () => done.length === 2);
    expect(attempts.get('flaky')).toBe(3);
    expect(attempts.get('fine')).toBe(1);
    expect([...attempts.keys()].sort()).toEqual(['fine', 'flaky']);
  });

  it('close() lets an in-flight handler finish and acks it, so a successor does not get it again', async () => {
    const subject = `${namespace}.jobs.drain`;
    const durable = `drain-${randomUUID().slice(0, 8)}`;
    let release!: () => void;
    const started: string[] = [];
    const finished: string[] = [];
    const draining = await newBus('bus-test-draining');
    await draining.consumeDurable({
      stream,
      durable,
      filterSubjects: [subject],
      schema: Job,
      ackWaitMs: 2_000,
      handler: async (job) => {
        started.push(job.id);
        await new Promise<void>((r) => (release = r));
        finished.push(job.id);
      },
    });
    await bus.publishJs(subject, Job, { id: 'slow', fail_times: 0 }, randomUUID());
    await until('the handler started', () => started.length === 1);
    const closing = draining.close();
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toEqual(['slow']);

    // A successor on the same durable gets nothing: the message was acked before the connection closed.
    const seen: string[] = [];
    consumers.push(await bus.consumeDurable({ stream, durable, filterSubjects: [subject], schema: Job, ackWaitMs: 2_000, handler: async (j) => void seen.push(j.id) }));
    await bus.publishJs(subject, Job, { id: 'next', fail_times: 0 }, randomUUID());
    await until('the next job', () => seen.includes('next'));
    await new Promise((r) => setTimeout(r, 2_500)); // past ack_wait: an unacked 'slow' would be redelivered by now
    expect(seen).toEqual(['next']);
  });

  it('redelivers to a successor what a consumer that died without acking had taken', async () => {
    const subject = `${namespace}.jobs.crash`;
    const durable = `crash-${randomUUID().slice(0, 8)}`;
    const dying = await newBus('bus-test-dying');
    const started: string[] = [];
    await dying.consumeDurable({ stream, durable, filterSubjects: [subject], schema: Job, ackWaitMs: 1_000, handler: () => new Promise<void>(() => void started.push('taken')) });
    await bus.publishJs(subject, Job, { id: 'orphan', fail_times: 0 }, randomUUID());
    await until('the dying consumer took it', () => started.length === 1);
    await dying.connection.close(); // no drain, no ack: like a process killed mid-handler

    const seen: string[] = [];
    consumers.push(await bus.consumeDurable({ stream, durable, filterSubjects: [subject], schema: Job, ackWaitMs: 1_000, handler: async (j) => void seen.push(j.id) }));
    await until('redelivery to the successor', () => seen.includes('orphan'));
  });

  it('gives a message whose handler is still running past ack_wait to a handler again, up to maxDeliver times', async () => {
    const subject = `${namespace}.jobs.stuck`;
    const deliveries: number[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const consumer = await bus.consumeDurable({
      stream,
      durable: `stuck-${randomUUID().slice(0, 8)}`,
      filterSubjects: [subject],
      schema: Job,
      ackWaitMs: 300,
      maxDeliver: 2,
      handler: async (_job, m) => {
        deliveries.push(m.info.deliveryCount);
        await released;
      },
    });
    consumers.push(consumer);
    try {
      await bus.publishJs(subject, Job, { id: 'stuck', fail_times: 0 }, randomUUID());
      await until('the redelivery', () => deliveries.length === 2);
      await new Promise((r) => setTimeout(r, 900)); // three more ack_waits: maxDeliver stops it at two
      expect(deliveries).toEqual([1, 2]);
    } finally {
      release(); // stop() waits for the handlers
    }
  });

  it('terminates a message that does not validate: it is never delivered again', async () => {
    const subject = `${namespace}.jobs.invalid`;
    const durable = `invalid-${randomUUID().slice(0, 8)}`;
    const done: string[] = [];
    consumers.push(
      await bus.consumeDurable({ stream, durable, filterSubjects: [subject], schema: Job, ackWaitMs: 300, handler: async (j) => void done.push(j.id) }),
    );
    raw.publish(subject, new TextEncoder().encode('{"id":42}'));
    await bus.publishJs(subject, Job, { id: 'valid', fail_times: 0 }, randomUUID());
    await until('the valid job', () => done.length === 1);
    await new Promise((r) => setTimeout(r, 700)); // past ack_wait twice: a message left unacked or nak'ed would be back
    const info = await bus.manager.consumers.info(stream, durable);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.consumer_seq).toBe(2);
  });

  it('runs handlers concurrently, but never more at once than maxAckPending', async () => {
    const subject = `${namespace}.jobs.parallel`;
    let running = 0;
    let most = 0;
    const done: string[] = [];
    consumers.push(
      await bus.consumeDurable({
        stream,
        durable: `parallel-${randomUUID().slice(0, 8)}`,
        filterSubjects: [subject],
        schema: Job,
        maxAckPending: 2,
        handler: async (job) => {
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 100));
          running--;
          done.push(job.id);
        },
      }),
    );
    for (let i = 0; i < 6; i++) await bus.publishJs(subject, Job, { id: `j${i}`, fail_times: 0 }, randomUUID());
    await until('all six jobs', () => done.length === 6);
    expect(most).toBe(2);
  });

  it('ensureStream creates a stream once and applies a changed configuration to it', async () => {
    const name = `${namespace}_ENSURED`;
    const cfg = { name, subjects: [`${namespace}.ensured.*`], retention: RetentionPolicy.Limits, storage: StorageType.Memory, max_msgs: 10 };
    await Promise.all([bus.ensureStream(cfg), other.ensureStream(cfg)]);
    await bus.ensureStream(cfg);
    expect((await bus.manager.streams.info(name)).config.max_msgs).toBe(10);
    await other.ensureStream({ ...cfg, max_msgs: 20 });
    expect((await bus.manager.streams.info(name)).config.max_msgs).toBe(20);
  });

  it('refuses a consumer with several filter subjects (nats-server 2.9 hangs on them)', async () => {
    await expect(bus.consumeDurable({ stream, durable: 'multi', filterSubjects: ['a', 'b'], schema: Job, handler: async () => undefined })).rejects.toThrow(/exactly one filter subject/);
  });
});

describe('isJetStreamNotReady', () => {
  it('waits out what a cluster electing its leaders answers, not a configuration JetStream refuses', () => {
    expect(isJetStreamNotReady(Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' }))).toBe(true);
    expect(isJetStreamNotReady(Object.assign(new Error('503'), { code: '503' }))).toBe(true);
    expect(isJetStreamNotReady(new Error('JetStream system temporarily unavailable'))).toBe(true);
    expect(isJetStreamNotReady(new Error('no suitable peers for placement'))).toBe(true);
    expect(isJetStreamNotReady(new Error('insufficient resources'))).toBe(false);
    expect(isJetStreamNotReady(new Error('subjects overlap with an existing stream'))).toBe(false);
  });
});
