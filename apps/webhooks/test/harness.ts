import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Call, CallEvent, type CallEventData, type CallEventType } from '@parley/common';
import { createTestDatabase, secretBoxFromEnv } from '@parley/db';
import { Bus, createLogger, deleteNamespaceStreams, testNamespace } from '@parley/service-kit';
import type { z } from 'zod';
import { loadWebhooksConfig } from '../src/config';
import { WebhooksModule } from '../src/webhooks.module';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A local HTTP receiver; `respond` decides each answer (default 200). */
export async function startReceiver(respond: (r: Received, res: ServerResponse) => void = (_r, res) => res.end('ok')) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r = { path: req.url ?? '/', headers: req.headers, body, json: JSON.parse(body || '{}') };
      received.push(r);
      receiver.respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    respond,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}

export const WHSEC = `whsec_${Buffer.from('parley-test-account-secret-0123456789').toString('base64')}`;

export async function startHarness(env: Record<string, string> = {}) {
  const db = await createTestDatabase('parley_webhooks_test');
  const namespace = testNamespace();
  const fullEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    NATS_NAMESPACE: namespace,
    LOG_LEVEL: 'silent',
    WEBHOOK_RETRY_SCHEDULE_MS: '50,50',
    WEBHOOK_TIMEOUT_MS: '500',
    WEBHOOK_LEASE_MS: '3000',
    WEBHOOK_POLL_INTERVAL_MS: '20',
    WEBHOOK_ENDPOINT_CACHE_MS: '0',
    // The receivers run on this machine; loopback is refused unless allowed.
    OUTBOUND_ALLOW: '127.0.0.1',
    ...env,
  };
  const bus = new Bus({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', namespace, name: 'webhooks-test', logger: createLogger('test', 'silent') });
  await bus.connect();
  await bus.ensureStreams();
  const webhookEvents: Array<CallEvent & { type: 'webhook' }> = [];
  bus.subscribe(bus.subjects.callEventsOfType('webhook'), CallEvent, (e) => {
    if (e.type === 'webhook') webhookEvents.push(e);
  });
  let app: INestApplicationContext | null = null;
  const accountId = `acct_${randomBytes(4).toString('hex')}`;
  // Signing secrets are stored sealed, as the api stores them.
  const box = secretBoxFromEnv(fullEnv);
  await db.dataSource.query(
    `INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ($1, 'test', $2, 0, 1, 0)`,
    [accountId, box.seal(WHSEC)],
  );
  const h = {
    db,
    bus,
    env: fullEnv,
    namespace,
    accountId,
    webhookEvents,
    box,
    /** The running service (after start). */
    get app(): INestApplicationContext | null {
      return app;
    },
    async start() {
      app = await NestFactory.createApplicationContext(WebhooksModule.forRoot(loadWebhooksConfig(fullEnv), fullEnv), { logger: false });
      await app.init();
    },
    async stop() {
      await app?.close();
      app = null;
    },
    async close() {
      await h.stop();
      await bus.close();
      await deleteNamespaceStreams(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', namespace);
      await db.drop();
    },
    async createEndpoint(url: string, events: string[]): Promise<{ id: string; secret: string }> {
      const id = `we_${randomBytes(8).toString('hex')}`;
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      await db.dataSource.query(`INSERT INTO webhook_endpoints (id, account_id, url, events, enabled, secret) VALUES ($1, $2, $3, $4, true, $5)`, [id, accountId, url, events, box.seal(secret)]);
      return { id, secret };
    },
    publish<T extends CallEventType>(type: T, callId: string, data: z.input<(typeof CallEventData)[T]>) {
      return bus.publishCallEvent(type, { call_id: callId, account_id: accountId }, data);
    },
    deliveries(): Promise<Array<{ id: string; status: string; attempts: number; last_error: string | null; last_status_code: number | null; endpoint_id: string | null; event_type: string }>> {
      return db.dataSource.query(`SELECT id, status, attempts, last_error, last_status_code, endpoint_id, event_type FROM webhook_deliveries ORDER BY created_at, id`);
    },
    attempts(deliveryId: string): Promise<Array<{ attempt: number; status_code: number | null; error: string | null; latency_ms: number }>> {
      return db.dataSource.query(`SELECT attempt, status_code, error, latency_ms FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`, [deliveryId]);
    },
    /** Resolves when the fan-out consumer has nothing left and no delivery is pending. */
    async settled() {
      await until(async () => {
        const info = await bus.manager.consumers.info(bus.subjects.callEventsStream, 'webhooks').catch(() => null);
        if (!info || info.num_pending !== 0 || info.num_ack_pending !== 0) return false;
        const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`);
        return n === 0;
      });
    },
  };
  return h;
}

export async function until(check: () => boolean | Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A finished call as the api's `completed` event carries it. */
export function callObject(callId: string, webhookUrl: string | null): Call {
  const at = new Date().toISOString();
  return {
    id: callId, object: 'call', agent_id: randomUUID(), to_number: '+15550002000', from_number: '+15550001000', status: 'completed', direction: 'outbound', channel: 'phone',
    persona: null, instructions: 'Confirm.', prompt: 'Confirm.', context: {}, returns: { confirmed: 'boolean' }, result: { confirmed: true }, result_status: 'completed',
    result_error: null, language: 'en', webhook_url: webhookUrl, webhook_status: 'pending', webhook_error: null, created_at: at, started_at: at, answered_at: at,
    ended_at: at, duration_seconds: 1, billed_duration_seconds: 1, billing_amount_milli_cents: 0, reservation_status: 'settled', error_code: null, error_message: null,
    hangup_cause: 'normal_clearing', answered_by: 'human', latency: null, recording_url: null, metadata: {}, campaign_id: null, updated_at: at,
  };
}

export const newCallId = () => randomUUID();
