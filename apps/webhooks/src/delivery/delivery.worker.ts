import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WEBHOOK_TEST_EVENT_TYPE } from '@parley/common';
import { type ClaimedWebhookDelivery, type DeliverySettlement, SecretBox, WebhookDeliveriesRepository, WebhookEndpointsRepository } from '@parley/db';
import { Bus, LOGGER, type Logger, Metrics } from '@parley/service-kit';
import { WEBHOOKS_CONFIG, type WebhooksConfig } from '../config';
import { DeliveryOutbox } from './delivery-outbox';
import { nextRetryDelayMs } from './retry-schedule';
import { type AttemptOutcome, WebhookSender } from './webhook-sender';

/**
 * Sends due deliveries from the outbox: claims up to the free concurrency, sends each once, settles it (delivered,
 * retry at the next step of the schedule, or failed), disables an endpoint that answers 410, and reports the per-call
 * delivery to the api as `webhook` call events.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private wakeUp: (() => void) | null = null;
  private backlogTimer: NodeJS.Timeout | null = null;
  private readonly m;

  constructor(
    @Inject(WEBHOOKS_CONFIG) private readonly config: WebhooksConfig,
    @Inject(DeliveryOutbox) private readonly outbox: DeliveryOutbox,
    @Inject(WebhookDeliveriesRepository) private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(WebhookEndpointsRepository) private readonly endpoints: WebhookEndpointsRepository,
    @Inject(WebhookSender) private readonly sender: WebhookSender,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.m = {
      attempts: metrics.counter('parley_webhooks_attempts_total', 'Delivery attempts by outcome', ['outcome']),
      latency: metrics.histogram('parley_webhooks_attempt_seconds', 'Time of one delivery attempt', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
      inFlight: metrics.gauge('parley_webhooks_in_flight', 'Delivery attempts in flight'),
      disabled: metrics.counter('parley_webhooks_endpoints_disabled_total', 'Endpoints disabled after answering 410 Gone'),
      pending: metrics.gauge('parley_webhooks_pending_deliveries', 'Deliveries not yet settled (waiting for a retry or due now)'),
      due: metrics.gauge('parley_webhooks_due_deliveries', 'Pending deliveries whose attempt is due now (a backlog if it keeps growing)'),
    };
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
    this.backlogTimer = setInterval(() => void this.measureBacklog(), 5000);
    this.backlogTimer.unref();
  }

  private async measureBacklog(): Promise<void> {
    try {
      const { pending, due } = await this.deliveries.backlog();
      this.m.pending.set(pending);
      this.m.due.set(due);
    } catch (err) {
      this.log.warn({ err }, 'could not measure the delivery backlog');
    }
  }

  /** Stops claiming and lets the attempts in flight finish (each is bounded by the timeout). */
  async onModuleDestroy(): Promise<void> {
    this.running = false;
    if (this.backlogTimer) clearInterval(this.backlogTimer);
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.sender.close();
  }

  /** New deliveries were enqueued: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.config.WEBHOOK_CONCURRENCY - this.inFlight.size;
      // Under load, claim in batches of at least a quarter of the slots rather than one row per query.
      if (free <= 0 || (free < Math.ceil(this.config.WEBHOOK_CONCURRENCY / 4) && this.inFlight.size > 0)) {
        await Promise.race(this.inFlight);
        continue;
      }
      let claimed: ClaimedWebhookDelivery[] = [];
      try {
        claimed = await this.deliveries.claimDue(Math.min(free, 500), this.config.WEBHOOK_LEASE_MS);
      } catch (err) {
        this.log.error({ err }, 'claiming due deliveries failed');
      }
      for (const d of claimed) {
        const p = this.process(d)
          .catch((err: unknown) => this.log.error({ err, delivery_id: d.id }, 'delivery attempt could not be recorded; it will be retried after its lease'))
          .finally(() => {
            this.inFlight.delete(p);
            this.m.inFlight.set(this.inFlight.size);
          });
        this.inFlight.add(p);
      }
      this.m.inFlight.set(this.inFlight.size);
      if (claimed.length === 0 && this.running) await this.idle();
    }
  }

  /** Nothing due: wait for the poll interval or a wake-up, whichever comes first. */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, this.config.WEBHOOK_POLL_INTERVAL_MS);
      this.wakeUp = () => {
        this.wakeUp = null;
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async process(d: ClaimedWebhookDelivery): Promise<void> {
    // Test events go out even to a disabled endpoint: that is how one checks it before enabling it again.
    if (d.endpointId !== null && d.endpointEnabled !== true && d.eventType !== WEBHOOK_TEST_EVENT_TYPE) {
      await this.deliveries.failUnsent(d.accountId, d.id, 'not sent: the endpoint is disabled');
      this.m.attempts.inc({ outcome: 'skipped_disabled' });
      return;
    }
    const url = d.endpointId !== null ? d.endpointUrl! : d.url;
    const sealed = d.endpointId === null ? [d.accountSecret] : d.endpointPreviousSecret ? [d.endpointSecret!, d.endpointPreviousSecret] : [d.endpointSecret!];
    let secrets: string[];
    try {
      secrets = sealed.map((s) => this.box.open(s));
    } catch (err) {
      // A key mismatch is an operator's mistake to fix, not the receiver's: the delivery waits for its lease and is tried again.
      this.log.error({ err, delivery_id: d.id, endpoint_id: d.endpointId }, 'signing secret cannot be decrypted (PARLEY_SECRET_KEY differs from the api?); delivery retried after its lease');
      return;
    }
    const body = JSON.stringify({ type: d.payload.type, timestamp: d.payload.timestamp, data: d.payload.data });
    const outcome = await this.sender.send({ id: d.id, url, secrets, body });
    this.m.latency.observe(outcome.latencyMs / 1000);
    const attempt = d.attempts + 1;
    const next = this.settlementFor(attempt, outcome);
    // The endpoint is disabled before the delivery is settled: once nothing is pending, it is off
    // (and after a crash in between, the retried delivery finds it disabled and fails unsent).
    if (outcome.gone && d.endpointId !== null) {
      await this.endpoints.disable(d.endpointId, `the endpoint answered 410 Gone on ${outcome.startedAt.toISOString()}`);
      this.m.disabled.inc();
      this.log.warn({ endpoint_id: d.endpointId, url }, 'endpoint answered 410 Gone: disabled');
    }
    await this.outbox.recordAttempt(d, url, outcome, next);
    this.m.attempts.inc({ outcome: outcome.delivered ? 'delivered' : outcome.gone ? 'gone' : outcome.refused ? 'refused' : next.status === 'pending' ? 'retry' : 'failed' });
    if (d.endpointId === null && d.callId !== null) await this.reportCallWebhook(d, attempt, outcome, next);
  }

  private settlementFor(attempt: number, outcome: AttemptOutcome): DeliverySettlement {
    if (outcome.delivered) return { status: 'delivered' };
    if (outcome.gone || outcome.refused) return { status: 'failed' };
    const delay = nextRetryDelayMs(attempt, this.config.WEBHOOK_RETRY_SCHEDULE_MS, this.config.WEBHOOK_RETRY_JITTER);
    return delay === null ? { status: 'failed' } : { status: 'pending', nextAttemptAt: new Date(Date.now() + delay) };
  }

  /** The api projects these onto the call's webhook_status / webhook_error. */
  private async reportCallWebhook(d: ClaimedWebhookDelivery, attempt: number, outcome: AttemptOutcome, next: DeliverySettlement): Promise<void> {
    const error =
      next.status === 'delivered'
        ? null
        : next.status === 'pending'
          ? `${outcome.error} (attempt ${attempt}; retrying at ${next.nextAttemptAt.toISOString()})`
          : `${outcome.error} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`;
    try {
      await this.bus.publishCallEvent('webhook', { call_id: d.callId!, account_id: d.accountId, id: `${d.id}:${attempt}` }, { webhook_status: next.status, webhook_error: error });
    } catch (err) {
      this.log.warn({ err, call_id: d.callId }, 'could not publish the webhook status event');
    }
  }
}
