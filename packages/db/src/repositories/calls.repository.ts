import type { CallStatus, TranscriptSegment } from '@parley/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { AccountEntity } from '../entities/account.entity';
import { AgentEntity } from '../entities/agent.entity';
import { CallEntity } from '../entities/call.entity';
import { CallEventEntity } from '../entities/call-event.entity';
import { IdempotencyKeyEntity } from '../entities/idempotency-key.entity';
import { RecordingEntity } from '../entities/recording.entity';
import { TranscriptSegmentEntity } from '../entities/transcript-segment.entity';
import { DbRepository } from './db-repository';
import type { TrunkForDialing } from './trunks.repository';
import { newestFirst, type Page, type PageCursor } from './page';

/** Filters of the call list; every one optional. `number` matches either end of the call. */
export interface CallListFilter {
  status?: CallEntity['status'];
  agentId?: string;
  direction?: CallEntity['direction'];
  toNumber?: string;
  fromNumber?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  number?: string;
  campaignId?: string;
}

/** The agent fields a call's conversation snapshot takes (the media service's voice, greeting, voicemail handling, tools and model). */
export type ConversationAgentFields = 'voice' | 'initialGreeting' | 'voicemailAction' | 'voicemailMessage' | 'tools' | 'llm' | 'conversation';

/** What a new outbound call is built from: its agent, its account's billing and the number it calls from (null if the agent has none that fits). */
export interface NewCallSource {
  agent: Pick<AgentEntity, 'id' | 'type' | 'persona' | 'instructions' | 'returns' | 'language' | 'webhookUrl' | 'maxDurationSeconds' | 'ringTimeoutSeconds' | ConversationAgentFields>;
  account: Pick<AccountEntity, 'id' | 'balanceMilliCents' | 'rateMilliCentsPerMinute' | 'billingIncrementSeconds' | 'billingMinimumSeconds' | 'webhookSecret'>;
  from: { number: string; trunkId: string } | null;
  /** The account has numbers on its do-not-call list (else the per-call check is skipped). */
  doNotCall: boolean;
}

/** A lifecycle event as the projector records it (its id is the dedupe key). */
export interface RecordedCallEvent {
  id: string;
  callId: string;
  accountId: string;
  type: string;
  seq: number;
  /** ISO 8601, stored as given. */
  at: string;
  data: unknown;
}

export type SegmentRow = Pick<TranscriptSegmentEntity, 'index' | 'role' | 'text' | 'startMs' | 'endMs' | 'interrupted' | 'model'>;
export type RecordingRow = Pick<RecordingEntity, 'path' | 'durationMs' | 'bytes' | 'format' | 'store' | 'bucket' | 'state'>;

/** What an exclusive run gives back: its value, or that another process holds the lock and nothing ran. */
export type Exclusive<T> = { ran: true; value: T } | { ran: false };

/** Advisory lock keys; one namespace per kind of exclusive work. */
const WATCHDOG_LOCK = 727_275;
const SETTLEMENT_LOCK_NAMESPACE = 727_301;

/**
 * The call aggregate: call rows and what hangs off them (lifecycle events, transcript segments, the recording, the
 * idempotency key that created it). The api is the only writer of call rows; other services read them here.
 */
export class CallsRepository extends DbRepository {
  private get calls() {
    return this.db.getRepository(CallEntity);
  }

  // --- call rows

  get(accountId: string, id: string): Promise<CallEntity | null> {
    return this.calls.findOneBy({ id, accountId });
  }

  /** The row locked until the transaction ends: per-call work is serialised on it. Only inside a transaction. */
  getForUpdate(accountId: string, id: string): Promise<CallEntity | null> {
    return this.calls.createQueryBuilder('c').setLock('pessimistic_write').where('c.id = :id AND c.account_id = :accountId', { id, accountId }).getOne();
  }

  async insert(call: CallEntity): Promise<void> {
    await this.calls.insert(call as QueryDeepPartialEntity<CallEntity>);
  }

  async update(accountId: string, id: string, patch: Partial<CallEntity>): Promise<void> {
    await this.calls.update({ id, accountId }, patch as QueryDeepPartialEntity<CallEntity>);
  }

  /** The extraction's state only, for a consumer deciding whether there is work left. */
  async resultStatus(accountId: string, id: string): Promise<CallEntity['resultStatus'] | null> {
    const row = await this.calls.findOne({ where: { id, accountId }, select: { id: true, resultStatus: true } });
    return row?.resultStatus ?? null;
  }

  list(accountId: string, filter: CallListFilter, page: { limit: number; after: PageCursor | null }): Promise<Page<CallEntity>> {
    const qb = this.calls.createQueryBuilder('c').where('c.account_id = :accountId', { accountId });
    if (filter.status) qb.andWhere('c.status = :status', { status: filter.status });
    if (filter.agentId) qb.andWhere('c.agent_id = :agentId', { agentId: filter.agentId });
    if (filter.direction) qb.andWhere('c.direction = :direction', { direction: filter.direction });
    if (filter.toNumber) qb.andWhere('c.to_number = :to', { to: filter.toNumber });
    if (filter.fromNumber) qb.andWhere('c.from_number = :from', { from: filter.fromNumber });
    if (filter.createdAfter) qb.andWhere('c.created_at > :after', { after: filter.createdAfter });
    if (filter.createdBefore) qb.andWhere('c.created_at < :before', { before: filter.createdBefore });
    if (filter.number) qb.andWhere('(c.from_number = :n OR c.to_number = :n)', { n: filter.number });
    if (filter.campaignId) qb.andWhere('c.campaign_id = :campaignId', { campaignId: filter.campaignId });
    return newestFirst(qb, 'c', page);
  }

  /** The list position of a call, for `starting_after`. `id` must be a UUID. */
  cursor(accountId: string, id: string): Promise<PageCursor | null> {
    return this.calls.findOne({ where: { id, accountId }, select: { id: true, createdAt: true } });
  }

  /**
   * Calls nothing drives any more, across accounts: queued longer than `queuedSeconds`, ringing past their ring
   * timeout or connected past their max duration, each plus `graceSeconds`.
   */
  findStale(o: { queuedSeconds: number; graceSeconds: number; limit: number; webQueuedSeconds?: number }): Promise<CallEntity[]> {
    return this.calls
      .createQueryBuilder('c')
      .where(
        `(c.status = 'queued' AND c.created_at < now() - make_interval(secs => :queued))
          OR (c.status = 'queued' AND c.channel = 'web' AND c.created_at < now() - make_interval(secs => :webQueued))
          OR (c.status IN ('initiated', 'ringing') AND c.updated_at < now() - make_interval(secs => c.ring_timeout_seconds + :grace))
          OR (c.status = 'in_progress' AND c.answered_at < now() - make_interval(secs => c.max_duration_seconds + :grace))`,
        { queued: o.queuedSeconds, grace: o.graceSeconds, webQueued: o.webQueuedSeconds ?? o.queuedSeconds },
      )
      .limit(o.limit)
      .getMany();
  }

  /** Connected web calls (no dialer holds them: their media process does), oldest first. */
  connectedWebCalls(limit: number): Promise<CallEntity[]> {
    return this.calls.createQueryBuilder('c').where(`c.status = 'in_progress' AND c.channel = 'web'`).orderBy('c.answered_at', 'ASC').limit(limit).getMany();
  }

  // --- creating calls

  /** The agent, account billing and caller number a new call of `agentId` takes; `fromNumber` null = the agent's primary number. */
  async findNewCallSource(accountId: string, agentId: string, fromNumber: string | null): Promise<NewCallSource | null> {
    const rows: NewCallSourceRow[] = await this.db.query(
      `SELECT a.id, a.type, a.persona, a.instructions, a.returns, a.language, a.webhook_url, a.max_duration_seconds, a.ring_timeout_seconds,
              a.voice, a.initial_greeting, a.voicemail_action, a.voicemail_message, a.tools, a.llm, a.conversation,
              acc.balance_milli_cents, acc.rate_milli_cents_per_minute, acc.billing_increment_seconds, acc.billing_minimum_seconds, acc.webhook_secret,
              n.number AS from_number, n.trunk_id AS from_trunk_id,
              EXISTS (SELECT 1 FROM do_not_call d WHERE d.account_id = a.account_id) AS do_not_call
         FROM agents a
         JOIN accounts acc ON acc.id = a.account_id
         LEFT JOIN phone_numbers n ON n.account_id = a.account_id AND n.id = ANY(a.number_ids)
              AND (CASE WHEN $3::text IS NULL THEN n.id = COALESCE(a.primary_number_id, a.number_ids[1]) ELSE n.number = $3::text END)
        WHERE a.id = $1 AND a.account_id = $2`,
      [agentId, accountId, fromNumber],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      agent: {
        id: r.id,
        type: r.type,
        persona: r.persona,
        instructions: r.instructions,
        returns: r.returns,
        language: r.language,
        webhookUrl: r.webhook_url,
        maxDurationSeconds: r.max_duration_seconds,
        ringTimeoutSeconds: r.ring_timeout_seconds,
        voice: r.voice,
        initialGreeting: r.initial_greeting,
        voicemailAction: r.voicemail_action,
        voicemailMessage: r.voicemail_message,
        tools: r.tools,
        llm: r.llm,
        conversation: r.conversation,
      },
      account: {
        id: accountId,
        balanceMilliCents: r.balance_milli_cents === null ? null : Number(r.balance_milli_cents),
        rateMilliCentsPerMinute: r.rate_milli_cents_per_minute,
        billingIncrementSeconds: r.billing_increment_seconds,
        billingMinimumSeconds: r.billing_minimum_seconds,
        webhookSecret: r.webhook_secret,
      },
      from: r.from_number && r.from_trunk_id ? { number: r.from_number, trunkId: r.from_trunk_id } : null,
      doNotCall: r.do_not_call,
    };
  }

  /**
   * A live call, its agent and its account's webhook secret (sealed; it signs conversation webhooks), for the
   * conversation snapshot of a call a dialer holds without one.
   */
  async findForConversation(accountId: string, callId: string): Promise<{ call: CallEntity; agent: AgentEntity; webhookSecret: string } | null> {
    const call = await this.get(accountId, callId);
    if (!call) return null;
    const agent = await this.db.getRepository(AgentEntity).findOneBy({ id: call.agentId, accountId });
    return agent ? { call, agent, webhookSecret: await this.webhookSecretOf(accountId) } : null;
  }

  /** The account's webhook signing secret, sealed as stored. */
  async webhookSecretOf(accountId: string): Promise<string> {
    const rows = (await this.db.query(`SELECT webhook_secret FROM accounts WHERE id = $1`, [accountId])) as Array<{ webhook_secret: string }>;
    return rows[0]?.webhook_secret ?? '';
  }

  /** The inbound agent that answers a number: the oldest inbound agent of the account with the number attached. */
  inboundAgentFor(accountId: string, numberId: string): Promise<AgentEntity | null> {
    return this.db
      .getRepository(AgentEntity)
      .createQueryBuilder('a')
      .where(`a.account_id = :accountId AND a.type = 'inbound' AND :numberId = ANY(a.number_ids)`, { accountId, numberId })
      .orderBy('a.created_at')
      .getOne();
  }

  /** Records which call an Idempotency-Key created; false if the key is taken already (by a concurrent request). */
  async claimIdempotencyKey(k: Pick<IdempotencyKeyEntity, 'accountId' | 'key' | 'requestHash' | 'callId'>): Promise<boolean> {
    const inserted: unknown[] = await this.db.query(
      `INSERT INTO idempotency_keys (account_id, key, request_hash, call_id) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING RETURNING key`,
      [k.accountId, k.key, k.requestHash, k.callId],
    );
    return inserted.length > 0;
  }

  findIdempotencyKey(accountId: string, key: string): Promise<IdempotencyKeyEntity | null> {
    return this.db.getRepository(IdempotencyKeyEntity).findOneBy({ accountId, key });
  }

  // --- what hangs off a call

  /** Records a lifecycle event; false if its id was recorded before (a redelivery). */
  async recordEvent(e: RecordedCallEvent): Promise<boolean> {
    const fresh: unknown[] = await this.db.query(
      `INSERT INTO call_events (id, call_id, account_id, type, seq, at, data) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [e.id, e.callId, e.accountId, e.type, e.seq, e.at, JSON.stringify(e.data)],
    );
    return fresh.length > 0;
  }

  /** The call's recorded events, oldest first, but those of the types left out. */
  events(accountId: string, callId: string, omit: readonly string[]): Promise<CallEventEntity[]> {
    return this.db
      .getRepository(CallEventEntity)
      .createQueryBuilder('e')
      .where('e.call_id = :callId AND e.account_id = :accountId AND NOT (e.type = ANY(:omit))', { callId, accountId, omit })
      .orderBy('e.at', 'ASC')
      .addOrderBy('e.seq', 'ASC')
      .getMany();
  }

  /** Writes transcript segments; a segment seen before (same index) takes the newer text, end and interruption. */
  async saveSegments(call: Pick<CallEntity, 'id' | 'accountId'>, segments: SegmentRow[]): Promise<void> {
    // One statement per segment: a batch repeating an index would make ON CONFLICT DO UPDATE fail.
    for (const s of segments) {
      await this.db.query(
        `INSERT INTO transcript_segments (call_id, index, account_id, role, text, start_ms, end_ms, interrupted, model) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
         ON CONFLICT (call_id, index) DO UPDATE SET text = EXCLUDED.text, end_ms = EXCLUDED.end_ms, interrupted = EXCLUDED.interrupted, model = EXCLUDED.model`,
        [call.id, s.index, call.accountId, s.role, s.text, s.startMs, s.endMs, s.interrupted, s.model],
      );
    }
  }

  /** The model settings of the call's agent, as stored (its api_key sealed); {} when the agent is gone. */
  async agentModelSettings(accountId: string, callId: string): Promise<Record<string, unknown>> {
    const rows = (await this.db.query(`SELECT a.llm FROM calls c JOIN agents a ON a.id = c.agent_id AND a.account_id = c.account_id WHERE c.id = $1 AND c.account_id = $2`, [callId, accountId])) as Array<{ llm: Record<string, unknown> }>;
    return rows[0]?.llm ?? {};
  }

  /** The call's transcript segments in order, as the contract states them. */
  async transcript(accountId: string, callId: string): Promise<TranscriptSegment[]> {
    const rows = await this.db.getRepository(TranscriptSegmentEntity).find({ where: { callId, accountId }, order: { index: 'ASC' } });
    return rows.map((s) => ({ index: s.index, role: s.role, text: s.text, start_ms: s.startMs, end_ms: s.endMs, interrupted: s.interrupted, ...(s.model ? { model: s.model } : {}) }));
  }

  /** Records where the call's recording is, and whether it is there yet (published by media as `spooled`, then `stored`). */
  async saveRecording(call: Pick<CallEntity, 'id' | 'accountId'>, r: RecordingRow): Promise<void> {
    // A late `spooled` never takes back a `stored` (the upload is done whatever order the events come in).
    await this.db.query(
      `INSERT INTO recordings (call_id, account_id, path, duration_ms, bytes, format, store, bucket, state) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
       ON CONFLICT (call_id) DO UPDATE SET path = EXCLUDED.path, duration_ms = EXCLUDED.duration_ms, bytes = EXCLUDED.bytes,
         store = EXCLUDED.store, bucket = EXCLUDED.bucket, state = EXCLUDED.state
       WHERE recordings.state = 'spooled' OR EXCLUDED.state = 'stored'`,
      [call.id, call.accountId, r.path, r.durationMs, r.bytes, r.format, r.store, r.bucket, r.state],
    );
  }

  recording(accountId: string, callId: string): Promise<RecordingEntity | null> {
    return this.db.getRepository(RecordingEntity).findOneBy({ callId, accountId });
  }

  async hasRecording(accountId: string, callId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM recordings WHERE call_id = $1 AND account_id = $2', [callId, accountId]);
    return rows.length > 0;
  }

  // --- the dialer's reads

  /**
   * What the dialer reads when a call's dispatch message arrives, in one round trip: the call's status (null when it
   * has no row) and its trunk (null when deleted).
   */
  async findForDispatch(accountId: string, callId: string, trunkId: string): Promise<{ status: CallStatus | null; trunk: TrunkForDialing | null }> {
    const [r] = (await this.db.query(
      `SELECT c.status, t.id, t.account_id, t.sandbox, t.asterisks, t.max_concurrent_calls, t.calls_per_second
       FROM (SELECT 1) AS one LEFT JOIN calls c ON c.id = $2 AND c.account_id = $1 LEFT JOIN trunks t ON t.id = $3 AND t.account_id = $1`,
      [accountId, callId, trunkId],
    )) as { status: CallStatus | null; id: string | null; account_id: string; sandbox: boolean; asterisks: string[]; max_concurrent_calls: number; calls_per_second: number }[];
    const trunk = r!.id ? { id: r!.id, accountId: r!.account_id, sandbox: r!.sandbox, asterisks: r!.asterisks, maxConcurrentCalls: r!.max_concurrent_calls, callsPerSecond: Number(r!.calls_per_second) } : null;
    return { status: r!.status ?? null, trunk };
  }

  /** Of these calls (any account's: the dialer finds them by their Asterisk objects), the ones that are over. */
  async endedAmong(callIds: string[]): Promise<Set<string>> {
    if (callIds.length === 0) return new Set();
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM calls WHERE id = ANY($1::uuid[]) AND status NOT IN ('queued', 'initiated', 'ringing', 'in_progress')`,
      [callIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  // --- exclusive work across processes

  /** Runs one watchdog sweep unless another process is sweeping. */
  whileSweeping<T>(work: () => Promise<T>): Promise<Exclusive<T>> {
    return this.exclusively([WATCHDOG_LOCK], work);
  }

  /** Runs the settlement of one call's result unless another process is settling that call. */
  whileSettling<T>(callId: string, work: () => Promise<T>): Promise<Exclusive<T>> {
    return this.exclusively([SETTLEMENT_LOCK_NAMESPACE, callId], work);
  }

  /** A session advisory lock held on a connection of its own for the length of `work`. */
  private async exclusively<T>(key: [number] | [number, string], work: () => Promise<T>): Promise<Exclusive<T>> {
    const ds = this.db instanceof EntityManager ? this.db.connection : this.db;
    const runner = ds.createQueryRunner();
    const lockArgs = key.length === 1 ? '$1' : '$1, hashtext($2)';
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(${lockArgs}) AS locked`, key)) as [{ locked: boolean }];
      if (!locked) return { ran: false };
      try {
        return { ran: true, value: await work() };
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(${lockArgs})`, key);
      }
    } finally {
      await runner.release();
    }
  }
}

interface NewCallSourceRow {
  id: string;
  type: AgentEntity['type'];
  persona: string | null;
  instructions: string | null;
  returns: Record<string, unknown> | null;
  language: string;
  webhook_url: string | null;
  max_duration_seconds: number;
  ring_timeout_seconds: number;
  voice: string | null;
  initial_greeting: string | null;
  voicemail_action: AgentEntity['voicemailAction'];
  voicemail_message: string | null;
  tools: unknown[];
  llm: Record<string, unknown>;
  conversation: AgentEntity['conversation'];
  balance_milli_cents: string | null;
  rate_milli_cents_per_minute: number;
  billing_increment_seconds: number;
  billing_minimum_seconds: number;
  webhook_secret: string;
  from_number: string | null;
  from_trunk_id: string | null;
  do_not_call: boolean;
}
