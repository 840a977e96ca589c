import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type Msg,
  type NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type Subscription,
} from 'nats';
import type { z } from 'zod';
import { CallEvent, type CallEventType, CallEventData, Subjects } from '@parley/common';
import type { Logger } from './logger';

export interface BusOptions {
  /** A NATS URL, or several (a cluster's) separated by commas. */
  url: string;
  /** Copies of each stream `ensureStreams` makes (a cluster's `num_replicas`); 1 by default. */
  streamReplicas?: number;
  namespace: string;
  name: string;
  logger: Logger;
}

export interface DurableConsumerOptions<T> {
  stream: string;
  durable: string;
  filterSubjects: string[];
  schema: z.ZodType<T>;
  handler: (msg: T, raw: JsMsg) => Promise<void>;
  /** How many messages may be in flight at once (handlers run concurrently up to this). */
  maxAckPending?: number;
  ackWaitMs?: number;
  maxDeliver?: number;
  /** Delay before a failed message is redelivered. */
  retryDelayMs?: number;
  deliverPolicy?: DeliverPolicy;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** NATS + JetStream with every message validated against its schema in @parley/common, on both sides. */
/** The longest `close` waits for request handlers still running (a stuck one must not hold a shutdown forever). */
const HANDLER_GRACE_MS = 10_000;
/**
 * How long each pull request of a durable consumer waits on the server (heartbeats every half of it). A pull parked on a
 * NATS node that died is noticed after two missed heartbeats, then re-issued on the node the client reconnected to: 10 s
 * at most instead of nats.js's default 30 s (measured on a 3-node cluster: the dispatch consumer was 44 s late once).
 */
const PULL_EXPIRES_MS = 10_000;

export class Bus {
  readonly subjects: Subjects;
  private nc!: NatsConnection;
  private jsClient!: JetStreamClient;
  private jsm!: JetStreamManager;
  private readonly consumers = new Set<RunningConsumer>();
  private readonly subscriptions = new Set<Subscription>();
  /** Request handlers (`serve`) still running; `close` waits for them. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly seqByCall = new Map<string, number>();

  constructor(private readonly opts: BusOptions) {
    this.subjects = new Subjects(opts.namespace);
  }

  async connect(): Promise<void> {
    const servers = this.opts.url.split(',').map((u) => u.trim()).filter(Boolean);
    this.nc = await connect({ servers, name: this.opts.name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    // No JetStream request here: on a cluster just formed, the meta leader may not be elected yet (ensureStreams waits).
    this.jsm = await this.nc.jetstreamManager({ checkAPI: false });
    this.jsClient = this.nc.jetstream();
    void (async () => {
      for await (const s of this.nc.status()) this.opts.logger.info({ nats: s.type, data: String(s.data) }, 'nats status');
    })().catch(() => undefined);
  }

  get connection(): NatsConnection {
    return this.nc;
  }
  get js(): JetStreamClient {
    return this.jsClient;
  }
  get manager(): JetStreamManager {
    return this.jsm;
  }
  get isConnected(): boolean {
    return !!this.nc && !this.nc.isClosed();
  }

  /**
   * Creates or updates the streams Parley uses, and returns once each has a leader. Idempotent; every service calls it at
   * start. JetStream that is not ready yet (a cluster whose meta leader or a stream's leader is still being elected: the
   * API times out or answers 503) is waited for up to `waitMs`, so services started with a fresh cluster start too.
   */
  async ensureStreams(waitMs = 60_000): Promise<void> {
    const until = Date.now() + waitMs;
    for (let attempt = 1; ; attempt++) {
      try {
        for (const cfg of this.streamConfigs()) {
          await this.ensureStream(cfg);
          await this.untilStreamLed(cfg.name);
        }
        return;
      } catch (err) {
        if (!isJetStreamNotReady(err) || Date.now() > until) throw err;
        this.opts.logger.warn({ attempt, reason: (err as Error).message }, 'JetStream not ready yet; trying again');
        await new Promise((r) => setTimeout(r, Math.min(2000, 250 * attempt)));
      }
    }
  }

  private streamConfigs(): (Partial<StreamConfig> & { name: string })[] {
    const replicas = this.opts.streamReplicas ?? 1;
    return [
      {
        name: this.subjects.dispatchStream,
        subjects: [this.subjects.dispatch],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: nanos(10 * 60_000),
        num_replicas: replicas,
      },
      {
        name: this.subjects.callEventsStream,
        subjects: [this.subjects.allCallEvents],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: nanos(14 * 24 * 3600_000),
        duplicate_window: nanos(10 * 60_000),
        num_replicas: replicas,
      },
    ];
  }

  /** A replicated stream answers `info` before its group has elected a leader; publishing then fails until it has. */
  private async untilStreamLed(name: string): Promise<void> {
    const info = await this.jsm.streams.info(name);
    if ((info.config.num_replicas ?? 1) > 1 && !info.cluster?.leader) throw new JetStreamNotReady(`stream ${name} has no leader yet`);
  }

  async ensureStream(cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
    try {
      await this.jsm.streams.info(cfg.name);
      await this.jsm.streams.update(cfg.name, cfg);
    } catch (err) {
      if (!/stream not found/i.test(String((err as Error).message))) throw err;
      try {
        await this.jsm.streams.add(cfg);
      } catch (addErr) {
        // Another service created it meanwhile.
        if (!/already in use|exists/i.test(String((addErr as Error).message))) throw addErr;
      }
    }
  }

  /** Publishes to JetStream and waits for the ack. `msgId` makes a republish a no-op within the duplicate window. */
  async publishJs<T>(subject: string, schema: z.ZodType<T>, payload: T, msgId: string): Promise<void> {
    const data = schema.parse(payload);
    await this.jsClient.publish(subject, enc.encode(JSON.stringify(data)), { msgID: msgId });
  }

  /** Builds and publishes a call event (validated), with a fresh id and the next per-call sequence of this producer. */
  async publishCallEvent<T extends CallEventType>(
    type: T,
    base: { call_id: string; account_id: string; at?: string; id?: string },
    data: z.input<(typeof CallEventData)[T]>,
  ): Promise<CallEvent> {
    const seq = (this.seqByCall.get(base.call_id) ?? 0) + 1;
    this.seqByCall.set(base.call_id, seq);
    if (this.seqByCall.size > 50_000) this.seqByCall.delete(this.seqByCall.keys().next().value!);
    const event = CallEvent.parse({ id: base.id ?? randomUUID(), call_id: base.call_id, account_id: base.account_id, seq, at: base.at ?? new Date().toISOString(), type, data });
    await this.jsClient.publish(this.subjects.callEvent(event.call_id, event.type), enc.encode(JSON.stringify(event)), { msgID: event.id });
    return event;
  }

  /** Publishes already-serialised JSON (outbox relay), keeping its message id. */
  async publishRaw(subject: string, json: string, msgId: string): Promise<void> {
    await this.jsClient.publish(subject, enc.encode(json), { msgID: msgId });
  }

  /** A durable pull consumer: handler success acks, failure naks with a delay, invalid payloads are terminated and logged. */
  async consumeDurable<T>(o: DurableConsumerOptions<T>): Promise<RunningConsumer> {
    // Several filter subjects on one consumer need nats-server 2.10; Debian 12 ships 2.9, where such a consumer hangs.
    if (o.filterSubjects.length !== 1) throw new Error(`consumeDurable(${o.durable}) takes exactly one filter subject (nats-server 2.9 compatibility); use one consumer per subject`);
    const config = {
      durable_name: o.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(o.ackWaitMs ?? 30_000),
      max_deliver: o.maxDeliver ?? -1,
      max_ack_pending: o.maxAckPending ?? 256,
      deliver_policy: o.deliverPolicy ?? DeliverPolicy.All,
      filter_subject: o.filterSubjects[0],
    };
    try {
      await this.jsm.consumers.info(o.stream, o.durable);
      await this.jsm.consumers.update(o.stream, o.durable, config);
    } catch (err) {
      if (!/consumer not found/i.test(String((err as Error).message))) throw err;
      await this.jsm.consumers.add(o.stream, config);
    }
    const consumer = await this.jsClient.consumers.get(o.stream, o.durable);
    const messages: ConsumerMessages = await consumer.consume({ max_messages: Math.min(o.maxAckPending ?? 256, 256), expires: PULL_EXPIRES_MS });
    const inFlight = new Set<Promise<void>>();
    const limit = o.maxAckPending ?? 256;
    const log = this.opts.logger;
    let stopped = false;
    const handleOne = async (m: JsMsg) => {
      let parsed: T;
      try {
        parsed = o.schema.parse(JSON.parse(dec.decode(m.data)));
      } catch (err) {
        log.error({ err, subject: m.subject, durable: o.durable }, 'invalid message terminated');
        m.term();
        return;
      }
      try {
        await o.handler(parsed, m);
        m.ack();
      } catch (err) {
        log.warn({ err, subject: m.subject, durable: o.durable, redelivery: m.info.redeliveryCount }, 'handler failed; will be redelivered');
        m.nak(o.retryDelayMs ?? 1000);
      }
    };
    const loop = (async () => {
      for await (const m of messages) {
        if (stopped) {
          m.nak();
          continue;
        }
        const p = handleOne(m).finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= limit) await Promise.race(inFlight);
      }
    })();
    const running: RunningConsumer = {
      stop: async () => {
        stopped = true;
        await messages.close().catch(() => undefined);
        await loop.catch(() => undefined);
        await Promise.allSettled([...inFlight]);
        this.consumers.delete(running);
      },
    };
    this.consumers.add(running);
    return running;
  }

  /** Core request/reply with validation on both sides. */
  async request<Req, Rep>(subject: string, reqSchema: z.ZodType<Req>, req: Req, repSchema: z.ZodType<Rep>, timeoutMs = 5000): Promise<Rep> {
    const msg = await this.nc.request(subject, enc.encode(JSON.stringify(reqSchema.parse(req))), { timeout: timeoutMs });
    return repSchema.parse(JSON.parse(dec.decode(msg.data)));
  }

  /**
   * Serves core requests. The handler returns the reply, or `undefined` to stay silent (e.g. a dialer that does not
   * own the call lets the owner answer).
   */
  serve<Req, Rep>(subject: string, reqSchema: z.ZodType<Req>, repSchema: z.ZodType<Rep>, handler: (req: Req, msg: Msg) => Promise<Rep | undefined>, queue?: string): Subscription {
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return;
        const handling = (async () => {
          let req: Req;
          try {
            req = reqSchema.parse(JSON.parse(dec.decode(msg.data)));
          } catch (e) {
            this.opts.logger.warn({ err: e, subject: msg.subject }, 'invalid request');
            if (msg.reply) msg.respond(enc.encode(JSON.stringify({ ok: false, error: 'invalid request' })));
            return;
          }
          try {
            const reply = await handler(req, msg);
            if (reply !== undefined && msg.reply) msg.respond(enc.encode(JSON.stringify(repSchema.parse(reply))));
          } catch (e) {
            this.opts.logger.error({ err: e, subject: msg.subject }, 'request handler failed');
            if (msg.reply) msg.respond(enc.encode(JSON.stringify({ ok: false, error: (e as Error).message })));
          }
        })();
        this.inFlight.add(handling);
        void handling.finally(() => this.inFlight.delete(handling));
      },
    });
    this.subscriptions.add(sub);
    return sub;
  }

  /** Core publish (fire and forget) with validation. */
  publish<T>(subject: string, schema: z.ZodType<T>, payload: T): void {
    this.nc.publish(subject, enc.encode(JSON.stringify(schema.parse(payload))));
  }

  subscribe<T>(subject: string, schema: z.ZodType<T>, handler: (msg: T) => void): Subscription {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          handler(schema.parse(JSON.parse(dec.decode(msg.data))));
        } catch (e) {
          this.opts.logger.warn({ err: e, subject: msg.subject }, 'invalid message ignored');
        }
      },
    });
    this.subscriptions.add(sub);
    return sub;
  }

  /**
   * Stops consumers and request subscriptions, lets the handlers already running finish and send their replies (a
   * media allocate or a hang-up command answered during a restart is not lost to a timeout), then flushes and closes.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    for (const s of this.subscriptions) s.unsubscribe();
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise((r) => (timer = setTimeout(r, HANDLER_GRACE_MS)));
      await Promise.race([Promise.allSettled([...this.inFlight]), cap]);
      clearTimeout(timer);
    }
    if (this.nc && !this.nc.isClosed()) {
      await this.nc.flush().catch(() => undefined);
      await this.nc.drain().catch(() => undefined);
    }
  }
}

class JetStreamNotReady extends Error {}

/** Errors JetStream answers while a cluster is still electing its leaders (not a wrong configuration). */
export function isJetStreamNotReady(err: unknown): boolean {
  if (err instanceof JetStreamNotReady) return true;
  const code = String((err as { code?: unknown })?.code ?? '');
  const message = String((err as Error)?.message ?? '');
  return code === 'TIMEOUT' || code === '503' || /timeout|temporarily unavailable|no responders|no suitable peers/i.test(message);
}
