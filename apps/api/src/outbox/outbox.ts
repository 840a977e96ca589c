import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type DataSource, type EntityManager, OutboxMessageEntity, returnedRows } from '@parley/db';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import { Bus, DATA_SOURCE, LOGGER, type Logger } from '@parley/service-kit';

export interface OutboxEntry {
  subject: string;
  msgId: string;
  payload: unknown;
}

/**
 * Transactional outbox: a JetStream message is written in the same transaction as the row it announces, published
 * right after commit, and deleted once JetStream acked it. The relay republishes whatever a crash left behind; the
 * message id makes JetStream drop the duplicate.
 */
@Injectable()
export class Outbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private readonly acked: string[] = [];
  private relaying: Promise<void> | null = null;
  /** Messages older than this are considered abandoned by the request that wrote them. */
  static readonly STALE_MS = 5_000;

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Writes messages inside the caller's transaction; returns the ids to pass to `publish` after commit. */
  async write(m: EntityManager, entries: OutboxEntry[]): Promise<Array<{ id: string } & OutboxEntry>> {
    if (!entries.length) return [];
    const values: unknown[] = [];
    const rows = entries.map((e, i) => {
      values.push(e.subject, e.msgId, JSON.stringify(e.payload));
      return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::jsonb)`;
    });
    const inserted: Array<{ id: string }> = await m.query(`INSERT INTO outbox_messages (subject, msg_id, payload) VALUES ${rows.join(', ')} RETURNING id`, values);
    return entries.map((e, i) => ({ ...e, id: String(inserted[i]!.id) }));
  }

  /**
   * Inserts an entity row and its outbox messages in one statement (one round trip inside the caller's transaction):
   * the hot path of POST /v1/calls.
   */
  async writeWithRow<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, row: T, entries: OutboxEntry[]): Promise<Array<{ id: string } & OutboxEntry>> {
    const insert = this.rowInsert(m, entity);
    const params: unknown[] = insert.values(row);
    const tuples: string[] = [];
    for (const e of entries) {
      params.push(e.subject, e.msgId, JSON.stringify(e.payload));
      const n = params.length;
      tuples.push(`($${n - 2}, $${n - 1}, $${n}::jsonb)`);
    }
    const sql = `WITH row_insert AS (${insert.sql} RETURNING 1) INSERT INTO outbox_messages (subject, msg_id, payload) SELECT v.* FROM (VALUES ${tuples.join(', ')}) AS v(subject, msg_id, payload), row_insert RETURNING id`;
    const rows = returnedRows<{ id: string }>(await m.query(sql, params));
    if (rows.length !== entries.length) throw new Error('outbox insert did not write every message');
    return entries.map((e, i) => ({ ...e, id: String(rows[i]!.id) }));
  }

  private readonly inserts = new Map<EntityTarget<ObjectLiteral>, { sql: string; values: (row: ObjectLiteral) => unknown[] }>();

  /** The INSERT of one entity row, built once from its metadata (column names, transformers, json columns). */
  private rowInsert<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>) {
    let insert = this.inserts.get(entity);
    if (!insert) {
      const meta = m.connection.getMetadata(entity);
      const columns = meta.columns;
      const placeholders = columns.map((c, i) => `$${i + 1}${c.type === 'jsonb' ? '::jsonb' : ''}`);
      insert = {
        sql: `INSERT INTO "${meta.tableName}" (${columns.map((c) => `"${c.databaseName}"`).join(', ')}) VALUES (${placeholders.join(', ')})`,
        values: (row) =>
          columns.map((c) => {
            const v = c.getEntityValue(row, true);
            if (v === undefined) return null;
            return c.type === 'jsonb' && v !== null ? JSON.stringify(v) : v;
          }),
      };
      this.inserts.set(entity, insert);
    }
    return insert;
  }

  /** Publishes after commit. Failures are left to the relay (the rows stay), so the caller's request still succeeds. */
  async publish(written: Array<{ id: string } & OutboxEntry>): Promise<void> {
    for (const w of written) {
      try {
        await this.bus.publishRaw(w.subject, JSON.stringify(w.payload), w.msgId);
        this.acked.push(w.id);
      } catch (err) {
        this.logger.warn({ err, subject: w.subject }, 'outbox publish failed; the relay will retry');
      }
    }
    if (this.acked.length >= 500) void this.flushAcked();
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.tick(), 200);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.relaying;
    await this.flushAcked();
  }

  private tickCount = 0;
  private async tick() {
    if (this.relaying) return;
    this.relaying = (async () => {
      try {
        await this.flushAcked();
        if (this.tickCount++ % 10 === 0) await this.relay();
      } catch (err) {
        this.logger.warn({ err }, 'outbox relay pass failed');
      } finally {
        this.relaying = null;
      }
    })();
  }

  private async flushAcked() {
    if (!this.acked.length) return;
    const ids = this.acked.splice(0, this.acked.length);
    try {
      await this.ds.query('DELETE FROM outbox_messages WHERE id = ANY($1::bigint[])', [ids]);
    } catch (err) {
      this.acked.push(...ids);
      throw err;
    }
  }

  /** Republishes messages that were written but never acked (a crash or a NATS outage between commit and publish). */
  async relay(staleMs = Outbox.STALE_MS): Promise<number> {
    const rows = await this.ds.getRepository(OutboxMessageEntity).createQueryBuilder('o').where(`o.created_at < now() - make_interval(secs => :s)`, { s: staleMs / 1000 }).orderBy('o.id').take(500).getMany();
    for (const row of rows) {
      await this.bus.publishRaw(row.subject, JSON.stringify(row.payload), row.msgId);
      this.acked.push(row.id);
    }
    await this.flushAcked();
    if (rows.length) this.logger.info({ count: rows.length }, 'outbox relayed messages');
    return rows.length;
  }
}
