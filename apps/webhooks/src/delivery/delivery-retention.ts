import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WebhookDeliveriesRepository } from '@parley/db';
import { LOGGER, type Logger, Metrics } from '@parley/service-kit';
import { WEBHOOKS_CONFIG, type WebhooksConfig } from '../config';

/** Rows per DELETE: short statements, so the outbox's own writes never wait long behind one. */
const BATCH = 5000;
const DAY_MS = 86_400_000;

/**
 * Keeps the delivery log to WEBHOOK_DELIVERY_RETENTION_DAYS: deliveries settled longer ago than that are deleted
 * with their attempts, at start and every WEBHOOK_RETENTION_INTERVAL_MS (0 days keeps them all). Pending deliveries
 * are never touched. Several webhooks processes may prune at once; they only race to delete the same rows.
 */
@Injectable()
export class DeliveryRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly pruned;

  constructor(
    @Inject(WEBHOOKS_CONFIG) private readonly config: WebhooksConfig,
    @Inject(WebhookDeliveriesRepository) private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.pruned = metrics.counter('parley_webhooks_deliveries_pruned_total', 'Settled deliveries deleted after WEBHOOK_DELIVERY_RETENTION_DAYS');
  }

  onApplicationBootstrap(): void {
    if (this.config.WEBHOOK_DELIVERY_RETENTION_DAYS === 0) return;
    void this.prune();
    this.timer = setInterval(() => void this.prune(), this.config.WEBHOOK_RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass (joins the one under way): returns how many deliveries it deleted. */
  prune(): Promise<number> {
    this.running ??= this.deleteExpired()
      .catch((err: Error) => {
        this.log.warn({ err }, 'pruning old webhook deliveries failed');
        return 0;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async deleteExpired(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.WEBHOOK_DELIVERY_RETENTION_DAYS * DAY_MS);
    let total = 0;
    for (;;) {
      const n = await this.deliveries.deleteSettledBefore(cutoff, BATCH);
      total += n;
      this.pruned.inc(n);
      if (n < BATCH) break;
    }
    if (total > 0) this.log.info({ deleted: total, settled_before: cutoff.toISOString() }, 'old webhook deliveries deleted');
    return total;
  }
}
