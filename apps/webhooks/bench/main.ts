import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { Webhook } from 'standardwebhooks';
import { createTestDatabase, secretBoxFromEnv } from '@parley/db';
import { Bus, createLogger, deleteNamespaceStreams } from '@parley/service-kit';
import { loadWebhooksConfig } from '../config';
import { WebhooksModule } from '../webhooks.module';

/**
 * `pnpm --filter @parley/webhooks bench`: publishes BENCH_EVENTS call events to JetStream, with one account endpoint
 * subscribed, and measures how fast the service delivers them to a local receiver, end to end (JetStream -> outbox
 * -> signed HTTP POST -> settled row). Prints one JSON object. Uses a throwaway database and NATS namespace.
 */
async function main(): Promise<void> {
  const events = Number(process.env.BENCH_EVENTS ?? 20_000);
  const db = await createTestDatabase('parley_bench');
  const namespace = `bench${randomBytes(4).toString('hex')}`;
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const verifier = new Webhook(secret);
  const received = new Map<string, number>();
  let badSignatures = 0;
  let firstAt = 0;
  let lastAt = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = req.headers['webhook-id'] as string;
      // Verifying every signature would bench the receiver; every 50th is checked.
      if (received.size % 50 === 0) {
        try {
          verifier.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>);
        } catch {
          badSignatures++;
        }
      }
      received.set(id, (received.get(id) ?? 0) + 1);
      lastAt = performance.now();
      if (!firstAt) firstAt = lastAt;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  const env = { ...process.env, DATABASE_URL: db.url, NATS_NAMESPACE: namespace, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', OUTBOUND_ALLOW: '127.0.0.1' };
  const config = loadWebhooksConfig(env);
  const app = await NestFactory.createApplicationContext(WebhooksModule.forRoot(config, env), { logger: false });
  await app.init();

  const accountId = `acct_bench`;
  await db.dataSource.query(`INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ($1, 'bench', $2, 0, 1, 0)`, [accountId, secretBoxFromEnv(env).seal(secret)]);
  await db.dataSource.query(`INSERT INTO webhook_endpoints (id, account_id, url, events, enabled, secret) VALUES ('we_bench', $1, $2, '{call.transcript}', true, $3)`, [accountId, url, secretBoxFromEnv(env).seal(secret)]);

  const bus = new Bus({ url: config.NATS_URL, namespace, name: 'bench', logger: createLogger('bench', 'warn') });
  await bus.connect();
  await bus.ensureStreams();
  const t0 = performance.now();
  const callIds = Array.from({ length: Math.ceil(events / 100) }, () => randomUUID());
  for (let start = 0; start < events; start += 500) {
    const batch = [];
    for (let i = start; i < Math.min(events, start + 500); i++) {
      batch.push(bus.publishCallEvent('transcript', { call_id: callIds[Math.floor(i / 100)]!, account_id: accountId }, { segment: { index: i % 100, role: 'user', text: `segment ${i}`, start_ms: 0, end_ms: 1, interrupted: false } }));
    }
    await Promise.all(batch);
  }
  const published = performance.now();
  const deadline = Date.now() + 10 * 60_000;
  while (received.size < events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const allReceived = performance.now();
  // Settled = every row marked delivered (what survives a restart), not just received.
  let delivered = 0;
  while (Date.now() < deadline) {
    [{ delivered }] = await db.dataSource.query(`SELECT count(*)::int AS delivered FROM webhook_deliveries WHERE status = 'delivered'`);
    if (delivered >= received.size) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const settled = performance.now();
  const duplicates = [...received.values()].reduce((a, n) => a + n - 1, 0);

  await app.close();
  await bus.close();
  await deleteNamespaceStreams(config.NATS_URL, namespace);
  await new Promise<void>((r) => server.close(() => r()));
  await db.drop();

  const seconds = (settled - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'webhooks',
      events,
      received_unique: received.size,
      rows_delivered: delivered,
      lost: events - received.size,
      duplicates,
      bad_signatures: badSignatures,
      publish_seconds: +((published - t0) / 1000).toFixed(3),
      seconds: +seconds.toFixed(3),
      deliveries_per_second: Math.round(events / seconds),
      receive_window_per_second: Math.round(received.size / ((lastAt - firstAt) / 1000 || 1)),
      all_received_seconds: +((allReceived - t0) / 1000).toFixed(3),
      concurrency: config.WEBHOOK_CONCURRENCY,
      goal_per_second: 1000,
      ok: received.size === events && delivered === events && badSignatures === 0 && events / seconds >= 1000,
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
