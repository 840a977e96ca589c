import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type ClaimedWebhookDelivery, type DeliveryAttempt, type DeliverySettlement, type NewWebhookDelivery, WebhookDeliveriesRepository } from '@parley/db';
import type { AttemptOutcome } from './webhook-sender';
import { WriteBatcher } from './write-batcher';

/** A delivery to enqueue; the outbox gives it its id. */
export type NewDelivery = Omit<NewWebhookDelivery, 'id'>;

export function newDeliveryId(): string {
  return `msg_${randomBytes(15).toString('base64url')}`;
}

/**
 * The writes to the `webhook_deliveries` outbox that come many at a time (one per event target, one per attempt):
 * concurrent ones share one statement. Claims, reads and pruning go to the repository directly.
 */
@Injectable()
export class DeliveryOutbox {
  private readonly inserts = new WriteBatcher<NewWebhookDelivery, boolean>(async (rows) => {
    const inserted = await this.deliveries.enqueue(rows);
    return rows.map((r) => inserted.has(r.id));
  });
  private readonly attempts = new WriteBatcher<DeliveryAttempt, void>(async (records) => {
    await this.deliveries.recordAttempts(records);
    return records.map(() => undefined);
  });

  constructor(@Inject(WebhookDeliveriesRepository) private readonly deliveries: WebhookDeliveriesRepository) {}

  /** Adds deliveries; one per (event, target), so a redelivered event adds nothing. Returns those inserted. */
  async enqueue(rows: NewDelivery[]): Promise<Array<{ id: string; endpointId: string | null; callId: string | null }>> {
    const withIds = rows.map((r) => ({ ...r, id: newDeliveryId() }));
    const inserted = await Promise.all(withIds.map((r) => this.inserts.add(r)));
    return withIds.filter((_r, i) => inserted[i]).map((r) => ({ id: r.id, endpointId: r.endpointId, callId: r.callId }));
  }

  /**
   * Settles one attempt and logs it. A row settled meanwhile (e.g. after its lease ran out and another worker took
   * it) is left alone.
   */
  recordAttempt(d: ClaimedWebhookDelivery, url: string, outcome: AttemptOutcome, next: DeliverySettlement): Promise<void> {
    return this.attempts.add({ id: d.id, url, outcome, next });
  }
}
