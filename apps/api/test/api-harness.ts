import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDatabase, type DataSource, SecretBox } from '@parley/db';
import { Bus, createLogger, deleteNamespaceStreams, testNamespace } from '@parley/service-kit';
import { Accounts } from '../src/accounts/accounts';
import { loadApiConfig, type ApiConfig } from '../src/config';
import { createApiApp } from '../src/server';

export interface TestAccount {
  accountId: string;
  apiKey: string;
  apiKeyId: string;
  sandboxTrunkId: string;
  webhookSecret: string;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** The api on a random port with its own database and NATS namespace, plus helpers to call it. */
export interface ApiHarness {
  url: string;
  app: NestFastifyApplication;
  config: ApiConfig;
  ds: DataSource;
  bus: Bus;
  namespace: string;
  createAccount(name?: string): Promise<TestAccount>;
  call<T = any>(method: string, path: string, opts?: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/**
 * `alongside`: another api process of the same deployment (its database, NATS namespace and recordings), as behind a
 * load balancer; closing this one leaves them to it.
 */
export async function startApi(env: Record<string, string> = {}, opts: { alongside?: ApiHarness } = {}): Promise<ApiHarness> {
  const other = opts.alongside;
  const db = other ? { url: other.config.DATABASE_URL, dataSource: other.ds, drop: async () => undefined } : await createTestDatabase('parley_api_test');
  const namespace = other?.namespace ?? testNamespace();
  const config = loadApiConfig({
    ...process.env,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.url,
    NATS_NAMESPACE: namespace,
    API_PORT: '0',
    API_RATE_LIMIT_PER_SECOND: '0',
    API_DB_POOL_SIZE: '5',
    RECORDINGS_DIR: other?.config.RECORDINGS_DIR ?? mkdtempSync(join(tmpdir(), 'parley-rec-')),
    ...env,
  });
  const app = await createApiApp(config);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const bus = new Bus({ url: config.NATS_URL, namespace, name: 'api-test', logger: createLogger('api-test', 'silent') });
  await bus.connect();
  const accounts = new Accounts(db.dataSource, {
    rateMilliCentsPerMinute: config.DEFAULT_RATE_MILLI_CENTS_PER_MINUTE,
    billingIncrementSeconds: config.DEFAULT_BILLING_INCREMENT_SECONDS,
    billingMinimumSeconds: config.DEFAULT_BILLING_MINIMUM_SECONDS,
    sandboxHost: '127.0.0.1',
  }, new SecretBox(config.PARLEY_SECRET_KEY, config.PARLEY_SECRET_KEY_PREVIOUS));
  return {
    url,
    app,
    config,
    ds: db.dataSource,
    bus,
    namespace,
    async createAccount(name = 'Test account') {
      const r = await accounts.create(name);
      return { accountId: r.account.id, apiKey: r.apiKey.key, apiKeyId: r.apiKey.id, sandboxTrunkId: r.sandboxTrunkId, webhookSecret: r.webhookSecret };
    },
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.key) headers.authorization = `Bearer ${opts.key}`;
      let body: string | undefined;
      if (opts.rawBody !== undefined) body = opts.rawBody;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await fetch(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (e.g. WAV or SSE)
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    async close() {
      await app.close();
      await bus.close();
      if (other) return;
      await deleteNamespaceStreams(config.NATS_URL, namespace);
      await db.drop();
    },
  };
}

/** A sandbox number and an outbound agent using it, ready to place calls. */
export async function outboundSetup(api: ApiHarness, acct: TestAccount, overrides: Record<string, unknown> = {}) {
  const number = await api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number: randomE164(), trunk_id: acct.sandboxTrunkId, label: 'main' } });
  if (number.status !== 201) throw new Error(`number: ${JSON.stringify(number.body)}`);
  const agent = await api.call('POST', '/v1/agents', {
    key: acct.apiKey,
    body: {
      name: 'Appointment reminders',
      type: 'outbound',
      persona: 'You are Ava, a friendly assistant at Dr. Chen\'s clinic.',
      instructions: 'Confirm the appointment of {{patient_name}} {{appointment_time}}.',
      returns: { confirmed: 'boolean', reschedule_to: 'string' },
      number_ids: [number.body.id],
      ...overrides,
    },
  });
  if (agent.status !== 201) throw new Error(`agent: ${JSON.stringify(agent.body)}`);
  return { number: number.body, agent: agent.body };
}

let counter = 0;
export function randomE164(): string {
  counter++;
  return `+1555${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}${counter % 10}`;
}
