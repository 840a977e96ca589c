import type { EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { OutboxMessageEntity } from '../entities/outbox-message.entity';
import { DbRepository } from './db-repository';

/** A JetStream message to publish once the transaction that wrote it commits. */
export interface OutboxEntry {
  subject: string;
  msgId: string;
  payload: unknown;
}

/** An entry as written: `id` is its outbox row, deleted once JetStream acked the message. */
export type WrittenOutboxEntry = { id: string } & OutboxEntry;

interface RowInsert {
  sql: string;
  values(row: ObjectLiteral): unknown[];
}

/** The INSERT of one entity row, built once per entity from its metadata (column names, transformers, json columns). */
const rowInserts = new WeakMap<EntityMetadata, RowInsert>();

function rowInsert(meta: EntityMetadata): RowInsert {
  let insert = rowInserts.get(meta);
  if (!insert) {
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
    rowInserts.set(meta, insert);
  }
  return insert;
}

/** The transactional outbox's messages (`outbox_messages`): written with the rows they announce, deleted once published. */
export class OutboxRepository extends DbRepository {
  /** Writes messages; run it on the transaction that writes what they announce. */
  async add(entries: OutboxEntry[]): Promise<WrittenOutboxEntry[]> {
    if (!entries.length) return [];
    const values: unknown[] = [];
    const tuples = entries.map((e, i) => {
      values.push(e.subject, e.msgId, JSON.stringify(e.payload));
      return `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}::jsonb)`;
    });
    const inserted: Array<{ id: string }> = await this.db.query(`INSERT INTO outbox_messages (subject, msg_id, payload) VALUES ${tuples.join(', ')} RETURNING id`, values);
    return entries.map((e, i) => ({ ...e, id: String(inserted[i]!.id) }));
  }

  /** Inserts an entity row and its messages in one statement, atomically without a transaction: the hot path of POST /v1/calls. */
  async addWithRow<T extends ObjectLiteral>(entity: EntityTarget<T>, row: T, entries: OutboxEntry[]): Promise<WrittenOutboxEntry[]> {
    const insert = rowInsert(this.db.getRepository(entity).metadata);
    const params: unknown[] = insert.values(row);
    const tuples: string[] = [];
    for (const e of entries) {
      params.push(e.subject, e.msgId, JSON.stringify(e.payload));
      const n = params.length;
      tuples.push(`($${n - 2}, $${n - 1}, $${n}::jsonb)`);
    }
    const sql = `WITH row_insert AS (${insert.sql} RETURNING 1) INSERT INTO outbox_messages (subject, msg_id, payload) SELECT v.* FROM (VALUES ${tuples.join(', ')}) AS v(subject, msg_id, payload), row_insert RETURNING id`;
    // An INSERT at the top: TypeORM answers with the returned rows.
    const rows: Array<{ id: string }> = await this.db.query(sql, params);
    if (rows.length !== entries.length) throw new Error('outbox insert did not write every message');
    return entries.map((e, i) => ({ ...e, id: String(rows[i]!.id) }));
  }

  /** Deletes published messages. */
  async remove(ids: string[]): Promise<void> {
    await this.db.query('DELETE FROM outbox_messages WHERE id = ANY($1::bigint[])', [ids]);
  }

  /** Messages written more than `olderThanMs` ago and still here (never published), oldest first. */
  unpublished(olderThanMs: number, limit: number): Promise<OutboxMessageEntity[]> {
    return this.db
      .getRepository(OutboxMessageEntity)
      .createQueryBuilder('o')
      .where(`o.created_at < now() - make_interval(secs => :s)`, { s: olderThanMs / 1000 })
      .orderBy('o.id')
      .take(limit)
      .getMany();
  }
}
