import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type EntityManager, type OutboxEntry, OutboxRepository, type WrittenOutboxEntry } from '@parley/db';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import { Bus, LOGGER, type Logger } from '@parley/service-kit';

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
    private readonly messages: OutboxRepository,
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Writes messages inside the caller's transaction; returns the ids to pass to `publish` after commit. */
  write(m: EntityManager, entries: OutboxEntry[]): Promise<WrittenOutboxEntry[]> {
    return this.messages.with(m).add(entries);
  }

  /**
   * Inserts an entity row and its outbox messages in one statement (one round trip, atomic even outside a
   * transaction; inside the caller's when `m` is given): the hot path of POST /v1/calls.
   */
  writeWithRow<T extends ObjectLiteral>(entity: EntityTarget<T>, row: T, entries: OutboxEntry[], m?: EntityManager): Promise<WrittenOutboxEntry[]> {
    return (m ? this.messages.with(m) : this.messages).addWithRow(entity, row, entries);
  }

  /** Publishes after commit. Failures are left to the relay (the rows stay), so the caller's request still succeeds. */
  async publish(written: WrittenOutboxEntry[]): Promise<void> {
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
      await this.messages.remove(ids);
    } catch (err) {
      this.acked.push(...ids);
      throw err;
    }
  }

  /** Republishes messages that were written but never acked (a crash or a NATS outage between commit and publish). */
  async relay(staleMs = Outbox.STALE_MS): Promise<number> {
    const rows = await this.messages.unpublished(staleMs, 500);
    for (const row of rows) {
      await this.bus.publishRaw(row.subject, JSON.stringify(row.payload), row.msgId);
      this.acked.push(row.id);
    }
    await this.flushAcked();
    if (rows.length) this.logger.info({ count: rows.length }, 'outbox relayed messages');
    return rows.length;
  }
}
