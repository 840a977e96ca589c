import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { CallEvent, type CallEventData, type CallEventType, type TranscriptRole, type TranscriptSegment } from '@parley/common';
import { createTestDatabase, type DataSource, SecretBox } from '@parley/db';
import { Bus, createLogger, deleteNamespaceStreams, testNamespace } from '@parley/service-kit';
import type { z } from 'zod';
import { loadExtractorConfig } from '../src/config';
import { ExtractorModule } from '../src/extractor.module';

export type TestDb = Awaited<ReturnType<typeof createTestDatabase>>;

/** One database, one NATS namespace, an extractor app and a bus to publish events as the dialer and media would. */
export async function startHarness(opts: { llmUrl: string; transcriptWaitMs?: number }) {
  const db = await createTestDatabase('parley_extractor_test');
  const namespace = testNamespace();
  const env = {
    DATABASE_URL: db.url,
    NATS_NAMESPACE: namespace,
    LLM_BASE_URL: opts.llmUrl,
    LLM_MODEL: 'test-model',
    EXTRACTOR_TRANSCRIPT_WAIT_MS: String(opts.transcriptWaitMs ?? 60_000),
    EXTRACTOR_LLM_MAX_RETRIES: '0',
    EXTRACTOR_RETRY_DELAY_MS: '100',
    LOG_LEVEL: 'silent',
    // Agents' own model servers in these tests listen on loopback, which the outbound guard refuses unless allowed.
    OUTBOUND_ALLOW: '127.0.0.1',
  };
  const bus = new Bus({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', namespace, name: 'extractor-test', logger: createLogger('test', 'silent') });
  await bus.connect();
  await bus.ensureStreams();
  const results: Array<CallEvent & { type: 'result' }> = [];
  bus.subscribe(bus.subjects.callEventsOfType('result'), CallEvent, (e) => {
    if (e.type === 'result') results.push(e);
  });
  const config = loadExtractorConfig({ ...process.env, ...env });
  let app: INestApplicationContext | null = null;
  const start = async () => {
    app = await NestFactory.createApplicationContext(ExtractorModule.forRoot(config), { logger: false });
    await app.init();
  };
  await start();
  const accountId = `acct_${randomBytes(4).toString('hex')}`;
  await db.dataSource.query(
    `INSERT INTO accounts (id, name, webhook_secret, rate_milli_cents_per_minute, billing_increment_seconds, billing_minimum_seconds) VALUES ($1, 'test', 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=', 0, 1, 0)`,
    [accountId],
  );
  return {
    db,
    bus,
    accountId,
    results,
    start,
    async stop() {
      await app?.close();
      app = null;
    },
    async close() {
      await app?.close();
      await bus.close();
      await deleteNamespaceStreams(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', namespace);
      await db.drop();
    },
    /** `llm`: the agent's model settings; an api_key is sealed as the api stores it. */
    async createCall(o: { returns?: Record<string, unknown> | null; context?: Record<string, unknown>; resultStatus?: string; llm?: Record<string, unknown> } = {}): Promise<string> {
      const agentId = randomUUID();
      const callId = randomUUID();
      const llm = typeof o.llm?.api_key === 'string' ? { ...o.llm, api_key: new SecretBox(config.PARLEY_SECRET_KEY).seal(o.llm.api_key) } : (o.llm ?? {});
      await db.dataSource.query(
        `INSERT INTO agents (id, account_id, name, type, language, returns, voicemail_action, max_duration_seconds, ring_timeout_seconds, llm) VALUES ($1, $2, 'agent', 'outbound', 'en', $3, 'hangup', 600, 30, $4)`,
        [agentId, accountId, o.returns === undefined ? null : JSON.stringify(o.returns), JSON.stringify(llm)],
      );
      await db.dataSource.query(
        `INSERT INTO calls (id, account_id, agent_id, trunk_id, direction, status, to_number, from_number, prompt, context, returns, result_status, language, max_duration_seconds, ring_timeout_seconds, answered_at)
         VALUES ($1, $2, $3, 'sandbox', 'outbound', 'completed', '+15550001111', '+15550002222', 'prompt', $4, $5, $6, 'en', 600, 30, now())`,
        [callId, accountId, agentId, JSON.stringify(o.context ?? {}), o.returns == null ? null : JSON.stringify(o.returns), o.resultStatus ?? 'pending'],
      );
      return callId;
    },
    async insertSegments(callId: string, segments: TranscriptSegment[]) {
      for (const s of segments) {
        await db.dataSource.query(`INSERT INTO transcript_segments (call_id, index, account_id, role, text, start_ms, end_ms, interrupted) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, [
          callId, s.index, accountId, s.role, s.text, s.start_ms, s.end_ms, s.interrupted,
        ]);
      }
    },
    publish<T extends CallEventType>(type: T, callId: string, data: z.input<(typeof CallEventData)[T]>) {
      return bus.publishCallEvent(type, { call_id: callId, account_id: accountId }, data);
    },
    /** Resolves once the extractor's durable consumer has nothing pending or unacknowledged. */
    async idle() {
      await until(async () => {
        for (const durable of ['extractor-ended', 'extractor-conversation-ended']) {
          const info = await bus.manager.consumers.info(bus.subjects.callEventsStream, durable);
          if (info.num_pending !== 0 || info.num_ack_pending !== 0) return false;
        }
        return true;
      });
    },
    async resultFor(callId: string) {
      await until(() => results.some((r) => r.call_id === callId));
      return results.find((r) => r.call_id === callId)!;
    },
  };
}

export async function until(check: () => boolean | Promise<boolean>, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const ended = (o: { answered: boolean; status?: 'completed' | 'no_answer' | 'busy' | 'canceled' | 'failed'; error_code?: string }) => ({
  status: o.status ?? (o.answered ? 'completed' : 'no_answer'),
  answered: o.answered,
  hangup_cause: null,
  hangup_cause_code: null,
  hangup_by: null,
  error_code: o.error_code ?? null,
  error_message: null,
});

export function segments(...lines: Array<[role: TranscriptRole, text: string]>): TranscriptSegment[] {
  return lines.map(([role, text], index) => ({ index, role, text, start_ms: index * 1000, end_ms: index * 1000 + 900, interrupted: false }));
}
