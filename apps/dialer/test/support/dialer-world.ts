import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { startAsteriskSim, type AsteriskSim, type AsteriskSimOptions, type ScenarioInput } from '@parley/asterisk-sim';
import { CallEvent, type CallEventType, type CallStatus, type ConversationSnapshot, DialerCommand, DialerCommandReply, DispatchMessage } from '@parley/common';
import { createTestDatabase, type DataSource } from '@parley/db';
import { Bus, createLogger, DATA_SOURCE } from '@parley/service-kit';
import type { z } from 'zod';
import { AppModule, DialerLifecycle, LEASE_DATA_SOURCE } from '../../src/app.module';
import { type DialerConfig, loadDialerConfig } from '../../src/config';
import type { Dialer } from '../../src/dialer';
import { ApiStandIn, insertCall, MediaStandIn, testConversation } from './stand-ins';

export interface RunningDialer {
  app: NestFastifyApplication;
  dialer: Dialer;
  config: DialerConfig;
  url: string;
  /** Graceful shutdown (SIGTERM path). */
  close(): Promise<void>;
  /** Dies without any cleanup: NATS, ARI and Postgres connections cut, nothing published, nothing released. */
  crash(): Promise<void>;
}

export interface DispatchInput {
  /** The call's id; a new one by default. */
  id?: string;
  /** The row's status when the message is published (`queued`, as the api writes it, by default). */
  status?: CallStatus;
  to: string;
  from?: string;
  trunkId?: string;
  ringTimeoutSeconds?: number;
  maxDurationSeconds?: number;
  createdAt?: Date;
  /** null: a message queued by an api older than the snapshot in DispatchMessage. */
  conversation?: ConversationSnapshot | null;
}

const LOG_LEVEL = process.env.DIALER_TEST_LOG_LEVEL ?? 'silent';

/**
 * Everything a dialer test needs around the dialer: its own database and NATS namespace (test files run in
 * parallel), an Asterisk simulator, stand-ins for media and the api, one account with a sandbox trunk and an agent,
 * and every call event read back from JetStream.
 */
export class DialerWorld {
  readonly events: CallEvent[] = [];
  readonly dialers: RunningDialer[] = [];
  accountId = `acct_${randomBytes(6).toString('hex')}`;
  agentId = randomUUID();
  trunkId = '';

  private constructor(
    readonly db: { url: string; dataSource: DataSource; drop(): Promise<void> },
    readonly namespace: string,
    readonly sim: AsteriskSim,
    readonly bus: Bus,
    readonly media: MediaStandIn,
    readonly api: ApiStandIn,
  ) {}

  static async start(opts: { sim?: AsteriskSimOptions; trunk?: { maxConcurrentCalls?: number; callsPerSecond?: number } } = {}): Promise<DialerWorld> {
    const dbg = (m: string) => process.env.DIALER_TEST_DEBUG && console.log(m);
    const db = await createTestDatabase('parley_dialer_test');
    dbg('db');
    const namespace = `t${randomBytes(5).toString('hex')}`;
    const sim = await startAsteriskSim({ port: 0, ...opts.sim });
    dbg('sim');
    const bus = new Bus({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', namespace, name: 'dialer-test', logger: createLogger('dialer-test', 'silent') });
    await bus.connect();
    await bus.ensureStreams();
    dbg('bus');
    const media = new MediaStandIn(bus);
    media.start();
    const api = new ApiStandIn(bus, db.dataSource);
    api.start();
    const world = new DialerWorld(db, namespace, sim, bus, media, api);
    await world.seed(opts.trunk ?? {});
    dbg('seed');
    await world.readEvents();
    dbg('events');
    return world;
  }

  private async seed(trunk: { maxConcurrentCalls?: number; callsPerSecond?: number }): Promise<void> {
    const ds = this.db.dataSource;
    await ds.query(
      `INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ($1, 'Test', 'whsec_x', 1000, 1, 0)`,
      [this.accountId],
    );
    this.trunkId = await this.createTrunk({ name: 'sandbox', sandbox: true, ...trunk });
    await ds.query(
      `INSERT INTO agents (id, account_id, name, type, language, voicemail_action, max_duration_seconds, ring_timeout_seconds) VALUES ($1, $2, 'Outbound', 'outbound', 'en', 'hangup', 600, 30)`,
      [this.agentId, this.accountId],
    );
  }

  async createTrunk(t: { name: string; sandbox?: boolean; host?: string; port?: number; transport?: string; username?: string | null; passwordEncrypted?: string | null; register?: boolean; maxConcurrentCalls?: number; callsPerSecond?: number; codecs?: string[] }): Promise<string> {
    const id = `trk_${randomBytes(8).toString('hex')}`;
    await this.db.dataSource.query(
      `INSERT INTO trunks (id, account_id, name, sandbox, host, port, transport, username, password_encrypted, codecs, max_concurrent_calls, calls_per_second, register)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [id, this.accountId, t.name, t.sandbox ?? false, t.host ?? 'sip.example.net', t.port ?? 5060, t.transport ?? 'udp', t.username ?? null, t.passwordEncrypted ?? null, t.codecs ?? ['g722', 'ulaw'], t.maxConcurrentCalls ?? 100, t.callsPerSecond ?? 100, t.register ?? false],
    );
    return id;
  }

  private async readEvents(): Promise<void> {
    const consumer = await this.bus.js.consumers.get(this.bus.subjects.callEventsStream, { filterSubjects: this.bus.subjects.allCallEvents });
    const messages = await consumer.consume();
    void (async () => {
      for await (const m of messages) {
        const event = CallEvent.parse(m.json());
        this.events.push(event);
        await this.api.project(event);
      }
    })().catch(() => undefined);
  }

  async startDialer(env: Record<string, string> = {}): Promise<RunningDialer> {
    const config = loadDialerConfig({
      DATABASE_URL: this.db.url,
      NATS_NAMESPACE: this.namespace,
      SIM_ARI_URL: this.sim.ariUrl,
      LOG_LEVEL,
      DIALER_ID: `dialer-${randomBytes(3).toString('hex')}`,
      MEDIA_REQUEST_TIMEOUT_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '3000',
      ...env,
    });
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    const dialer = app.get(DialerLifecycle).dialer;
    const address = app.getHttpServer().address() as { port: number };
    const running: RunningDialer = {
      app,
      dialer,
      config,
      url: `http://127.0.0.1:${address.port}`,
      close: async () => {
        this.dialers.splice(this.dialers.indexOf(running), 1);
        await app.close();
      },
      crash: async () => {
        this.dialers.splice(this.dialers.indexOf(running), 1);
        // A dead process does nothing more, but this one's code keeps running: cut its ARI REST first, or work still
        // in flight (a media attach that fails once NATS is gone) hangs the call up behind its successor's back.
        for (const conn of dialer.connections.all()) conn.client.http.request = () => Promise.reject(new Error('dialer crashed'));
        await app.get(Bus).connection.close();
        await dialer.connections.close();
        await (app.get(DATA_SOURCE) as DataSource).destroy();
        await (app.get(LEASE_DATA_SOURCE) as DataSource).destroy();
        await new Promise((r) => app.getHttpServer().close(r));
      },
    };
    this.dialers.push(running);
    await this.until(() => dialer.connections.sandbox.isConnected, 'dialer connected to the simulator');
    return running;
  }

  async scenario(number: string, scenario: ScenarioInput): Promise<void> {
    const res = await fetch(`${this.sim.url}/sim/scenarios/${encodeURIComponent(number)}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scenario) });
    if (!res.ok) throw new Error(`scenario rejected: ${res.status} ${await res.text()}`);
  }

  /** Creates the call row (as the api does) and publishes its dispatch message. */
  async dispatch(input: DispatchInput): Promise<string> {
    const callId = input.id ?? randomUUID();
    const createdAt = input.createdAt ?? new Date();
    const msg: DispatchMessage = {
      call_id: callId,
      account_id: this.accountId,
      trunk_id: input.trunkId ?? this.trunkId,
      to: input.to,
      from: input.from ?? '+15550000000',
      ring_timeout_seconds: input.ringTimeoutSeconds ?? 30,
      max_duration_seconds: input.maxDurationSeconds ?? 600,
      created_at: createdAt.toISOString(),
      ...(input.conversation === null ? {} : { conversation: input.conversation ?? testConversation(this.accountId, this.agentId, 'outbound') }),
    };
    await insertCall(this.db.dataSource, {
      id: callId,
      accountId: this.accountId,
      agentId: this.agentId,
      trunkId: msg.trunk_id,
      direction: 'outbound',
      status: input.status ?? 'queued',
      to: msg.to,
      from: msg.from,
      maxDurationSeconds: msg.max_duration_seconds,
      ringTimeoutSeconds: msg.ring_timeout_seconds,
      createdAt,
    });
    await this.bus.publishJs(this.bus.subjects.dispatch, DispatchMessage, msg, callId);
    return callId;
  }

  command(cmd: z.input<typeof DialerCommand>, timeoutMs = 5000): Promise<DialerCommandReply> {
    return this.bus.request(this.bus.subjects.dialerCommand(cmd.call_id), DialerCommand, cmd as DialerCommand, DialerCommandReply, timeoutMs);
  }

  eventsOf(callId: string): CallEvent[] {
    return this.events.filter((e) => e.call_id === callId);
  }

  typesOf(callId: string): CallEventType[] {
    return this.eventsOf(callId).map((e) => e.type);
  }

  async waitForEvent<T extends CallEventType>(callId: string, type: T, timeoutMs = 20_000): Promise<Extract<CallEvent, { type: T }>> {
    return this.until(() => this.events.find((e): e is Extract<CallEvent, { type: T }> => e.call_id === callId && e.type === type), `${type} of call ${callId}`, timeoutMs);
  }

  ended(callId: string): Promise<Extract<CallEvent, { type: 'ended' }>> {
    return this.waitForEvent(callId, 'ended', 40_000);
  }

  /** The simulator's record of the call whose channel has this id. */
  async simCall(channelId: string): Promise<Record<string, unknown> | null> {
    const res = await fetch(`${this.sim.url}/sim/calls/${encodeURIComponent(channelId)}`);
    return res.ok ? ((await res.json()) as Record<string, unknown>) : null;
  }

  async simCalls(): Promise<Record<string, unknown>[]> {
    return (await (await fetch(`${this.sim.url}/sim/calls`)).json()) as Record<string, unknown>[];
  }

  async callRow(callId: string): Promise<Record<string, unknown>> {
    const [row] = (await this.db.dataSource.query(`SELECT * FROM calls WHERE id = $1`, [callId])) as Record<string, unknown>[];
    return row!;
  }

  async slots(): Promise<{ call_id: string; state: string; dialer_id: string }[]> {
    return this.db.dataSource.query(`SELECT call_id, state, dialer_id FROM dialer_trunk_slots`);
  }

  /** Polls until `probe` returns something truthy; the timeout only stops a test that would otherwise hang. */
  async until<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops every dialer still running (a failed test's, which would otherwise take the next test's calls). */
  async closeDialers(): Promise<void> {
    for (const d of [...this.dialers]) await d.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.closeDialers();
    this.media.close();
    this.api.close();
    for (const stream of [this.bus.subjects.dispatchStream, this.bus.subjects.callEventsStream]) await this.bus.manager.streams.delete(stream).catch(() => undefined);
    await this.bus.close();
    await this.sim.close();
    await this.db.drop();
  }
}
