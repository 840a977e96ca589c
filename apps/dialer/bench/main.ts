import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { CallEvent, type ConversationSnapshot, DialerCommand, DialerCommandReply, DispatchMessage, MediaAck, MediaAllocateReply, MediaAllocateRequest, MediaAttachRequest, MediaReleaseRequest } from '@parley/common';
import { createTestDatabase } from '@parley/db';
import { Bus, createLogger, Metrics } from '@parley/service-kit';
import { AppModule, DialerLifecycle } from '../app.module';
import { loadDialerConfig } from '../config';

/**
 * `pnpm --filter @parley/dialer bench`: one dialer process against the Asterisk simulator (its own process).
 * - originations per second: CALLS calls dispatched at once on one sandbox trunk (cps 1000), timed from the first
 *   dispatch until Asterisk accepted the last originate (`initiated` published for every call);
 * - concurrently tracked calls: every call is answered and bridged to a (stand-in) media endpoint and stays up;
 *   the peak number of calls the dialer tracks at once. Then all are hung up by command and must all end.
 * Prints one JSON object.
 */
const CALLS = Number(process.env.BENCH_CALLS ?? 1200);
const GOAL = { originations_per_second: 100, concurrent_calls_tracked: 1000 };
const NUMBER = '+15550199000';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(probe: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`bench gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startSimulator(port: number): Promise<ChildProcess> {
  const main = join(dirname(require.resolve('@parley/asterisk-sim')), 'main.js');
  const child = spawn(process.execPath, [main], { env: { ...process.env, SIM_PORT: String(port), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/sim/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('simulator did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const db = await createTestDatabase('parley_bench');
  const simPort = await freePort();
  const sim = await startSimulator(simPort);
  const namespace = `bench${randomBytes(4).toString('hex')}`;
  const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const bus = new Bus({ url: natsUrl, namespace, name: 'dialer-bench', logger: createLogger('dialer-bench', 'warn') });
  await bus.connect();
  await bus.ensureStreams();

  // Stand-in media service: one UDP socket that every ExternalMedia channel sends to.
  const rtp = createSocket('udp4');
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
  const rtpPort = rtp.address().port;
  let attached = 0;
  bus.serve(bus.subjects.mediaAllocate, MediaAllocateRequest, MediaAllocateReply, async () => ({ ok: true as const, host: '127.0.0.1', port: rtpPort, session_id: randomUUID() }));
  bus.serve(bus.subjects.allMediaSessionCommands, MediaAttachRequest.or(MediaReleaseRequest), MediaAck, async (req) => {
    if ('external_channel_id' in req) attached++;
    return { ok: true };
  });

  const ds = db.dataSource;
  const accountId = `acct_bench${randomBytes(4).toString('hex')}`;
  const trunkId = `trk_bench${randomBytes(4).toString('hex')}`;
  await ds.query(`INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ($1, 'Bench', 'x', 0, 1, 0)`, [accountId]);
  await ds.query(
    `INSERT INTO trunks (id, account_id, name, sandbox, host, port, transport, codecs, max_concurrent_calls, calls_per_second) VALUES ($1, $2, 'sandbox', true, 'sim', 5060, 'udp', '{g722}', 10000, 1000)`,
    [trunkId, accountId],
  );
  const agentId = randomUUID();
  await fetch(`http://127.0.0.1:${simPort}/sim/scenarios/${encodeURIComponent(NUMBER)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome: 'answer', ring_after_ms: 50, answer_after_ms: 500, lines: [], send_silence: false }),
  });

  const initiated = new Set<string>();
  const answered = new Set<string>();
  const ended = new Set<string>();
  bus.subscribe(bus.subjects.allCallEvents, CallEvent, (e) => {
    if (e.type === 'initiated') initiated.add(e.call_id);
    if (e.type === 'answered') answered.add(e.call_id);
    if (e.type === 'ended') ended.add(e.call_id);
  });

  const config = loadDialerConfig({
    ...process.env,
    DATABASE_URL: db.url,
    NATS_URL: natsUrl,
    NATS_NAMESPACE: namespace,
    SIM_ARI_URL: `http://127.0.0.1:${simPort}/ari`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    DIALER_ID: 'bench-dialer',
    DIALER_WATCHDOG_INTERVAL_MS: '60000',
    MEDIA_REQUEST_TIMEOUT_MS: '10000',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), new FastifyAdapter(), { logger: false });
  await app.init();
  const dialer = app.get(DialerLifecycle).dialer;
  await until(() => dialer.connections.sandbox.isConnected, 'dialer connected', 15_000);

  const now = Date.now();
  const calls = Array.from({ length: CALLS }, (_, i) => ({ id: randomUUID(), createdAt: new Date(now + i) }));
  for (let i = 0; i < calls.length; i += 500) {
    const chunk = calls.slice(i, i + 500);
    await ds.query(
      `INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, to_number, from_number, prompt, language, max_duration_seconds, ring_timeout_seconds, created_at)
       SELECT id, $2, $3, $4, 'outbound', 'queued', $5, '+15550000000', 'bench', 'en', 3600, 60, created_at FROM unnest($1::uuid[], $6::timestamptz[]) AS c(id, created_at)`,
      [chunk.map((c) => c.id), accountId, agentId, trunkId, NUMBER, chunk.map((c) => c.createdAt)],
    );
  }

  // What the api puts in every dispatch message; the stand-in media only takes it.
  const conversation: ConversationSnapshot = {
    account_id: accountId, agent_id: agentId, direction: 'outbound', prompt: 'bench', context: {}, language: 'en', voice: null, initial_greeting: null,
    voicemail_action: 'hangup', voicemail_message: null, tools: [], llm: {}, max_duration_seconds: 3600,
  };
  let peakTracked = 0;
  const sampler = setInterval(() => (peakTracked = Math.max(peakTracked, dialer.liveCalls.size)), 10);
  const t0 = performance.now();
  for (let i = 0; i < calls.length; i += 100) {
    await Promise.all(
      calls.slice(i, i + 100).map((c) =>
        bus.publishJs(
          bus.subjects.dispatch,
          DispatchMessage,
          { call_id: c.id, account_id: accountId, trunk_id: trunkId, to: NUMBER, from: '+15550000000', ring_timeout_seconds: 60, max_duration_seconds: 3600, created_at: c.createdAt.toISOString(), conversation },
          c.id,
        ),
      ),
    );
  }
  const progress = process.env.BENCH_PROGRESS ? setInterval(() => console.error(JSON.stringify({ t: Math.round(performance.now() - t0), initiated: initiated.size, tracked: dialer.liveCalls.size, queued: dialer.queue.waitingCount })), 250) : undefined;
  await until(() => initiated.size >= CALLS, 'every call initiated', 120_000);
  clearInterval(progress);
  const originationSeconds = (performance.now() - t0) / 1000;
  await until(() => answered.size >= CALLS && attached >= CALLS, 'every call answered and bridged', 180_000);
  peakTracked = Math.max(peakTracked, dialer.liveCalls.size);
  const allUpAtOnce = dialer.liveCalls.size;
  clearInterval(sampler);

  const hangupStart = performance.now();
  for (let i = 0; i < calls.length; i += 100) {
    await Promise.all(
      calls.slice(i, i + 100).map((c) => bus.request(bus.subjects.dialerCommand(c.id), DialerCommand, { command: 'hangup', call_id: c.id, reason: 'agent' }, DialerCommandReply, 30_000)),
    );
  }
  await until(() => ended.size >= CALLS && dialer.liveCalls.size === 0, 'every call ended', 180_000);
  const hangupSeconds = (performance.now() - hangupStart) / 1000;

  const latency = (await app.get(Metrics).registry.getMetricsAsJSON()).find((m) => m.name === 'parley_dialer_originate_latency_seconds');
  const values = (latency?.values ?? []) as { metricName?: string; value: number }[];
  const sum = values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  const result = {
    bench: 'dialer',
    calls: CALLS,
    originations_per_second: Math.round(CALLS / originationSeconds),
    concurrent_calls_tracked: peakTracked,
    calls_up_and_bridged_at_once: allUpAtOnce,
    hangups_per_second: Math.round(CALLS / hangupSeconds),
    originate_latency_ms_avg: count ? Math.round((sum / count) * 1000) : null,
    every_call_ended: ended.size === CALLS,
    goal: GOAL,
    goal_met: CALLS / originationSeconds >= GOAL.originations_per_second && peakTracked >= GOAL.concurrent_calls_tracked && ended.size === CALLS,
  };
  await app.close();
  for (const stream of [bus.subjects.dispatchStream, bus.subjects.callEventsStream]) await bus.manager.streams.delete(stream).catch(() => undefined);
  await bus.close();
  rtp.close();
  sim.kill('SIGTERM');
  await db.drop();
  console.log(JSON.stringify(result));
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
