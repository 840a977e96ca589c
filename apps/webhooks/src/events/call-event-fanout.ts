import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CallEvent, type CallEventType, type WebhookEventType } from '@parley/common';
import { WebhookDeliveriesRepository, WebhookEndpointsRepository, type WebhookEndpointTarget } from '@parley/db';
import { Bus, Metrics } from '@parley/service-kit';
import { WEBHOOKS_CONFIG, type WebhooksConfig } from '../config';
import { DeliveryOutbox, type NewDelivery } from '../delivery/delivery-outbox';
import { DeliveryWorker } from '../delivery/delivery.worker';

const WEBHOOK_TYPE_OF: Partial<Record<CallEventType, WebhookEventType>> = {
  initiated: 'call.initiated',
  ringing: 'call.ringing',
  answered: 'call.answered',
  ended: 'call.ended',
  completed: 'call.completed',
  transcript: 'call.transcript',
};

/**
 * Turns call events into outbox rows: one per subscribed, enabled account endpoint, plus the call's own
 * `webhook_url` for `call.completed`. The JetStream message is acked only once its rows are committed.
 */
@Injectable()
export class CallEventFanout implements OnApplicationBootstrap {
  private readonly endpointCache = new Map<string, { at: number; endpoints: WebhookEndpointTarget[] }>();
  private readonly m;

  constructor(
    @Inject(WEBHOOKS_CONFIG) private readonly config: WebhooksConfig,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(WebhookEndpointsRepository) private readonly endpoints: WebhookEndpointsRepository,
    @Inject(WebhookDeliveriesRepository) private readonly deliveries: WebhookDeliveriesRepository,
    @Inject(DeliveryOutbox) private readonly outbox: DeliveryOutbox,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.m = { enqueued: metrics.counter('parley_webhooks_deliveries_enqueued_total', 'Deliveries added to the outbox', ['event_type', 'target']) };
  }

  async onApplicationBootstrap(): Promise<void> {
    // One durable over all call events (NATS 2.9 has no multi-subject filter); types without webhooks are acked at once.
    await this.bus.consumeDurable({
      stream: this.bus.subjects.callEventsStream,
      durable: 'webhooks',
      filterSubjects: [this.bus.subjects.allCallEvents],
      schema: CallEvent,
      maxAckPending: 512,
      retryDelayMs: 1000,
      handler: (event) => this.fanOut(event),
    });
  }

  async fanOut(event: CallEvent): Promise<void> {
    const type = WEBHOOK_TYPE_OF[event.type];
    if (!type) return;
    const payload =
      event.type === 'completed'
        ? { type, timestamp: event.at, data: event.data.call }
        : { type, timestamp: event.at, data: { call_id: event.call_id, ...(event.data as Record<string, unknown>) } };
    const base = { accountId: event.account_id, callId: event.call_id, eventType: type, eventId: event.id, payload };
    const rows: NewDelivery[] = (await this.endpointsFor(event.account_id))
      .filter((e) => e.events.includes(type))
      .map((e) => ({ ...base, endpointId: e.id, url: e.url }));
    if (event.type === 'completed') {
      // The call object carries its webhook_url (the api resolved the agent's default at creation).
      const url = event.data.call.webhook_url;
      if (url) {
        rows.push({ ...base, endpointId: null, url });
        // Announced before the row exists, so it can never land after the worker's delivered/failed for this call.
        if (!(await this.deliveries.hasCallDelivery(event.account_id, event.id))) {
          await this.bus.publishCallEvent('webhook', { call_id: event.call_id, account_id: event.account_id, id: `${event.id}:webhook-pending` }, { webhook_status: 'pending', webhook_error: null });
        }
      }
    }
    const inserted = await this.outbox.enqueue(rows);
    if (inserted.length === 0) return;
    for (const r of inserted) this.m.enqueued.inc({ event_type: type, target: r.endpointId ? 'endpoint' : 'call_url' });
    this.worker.wake();
  }

  private async endpointsFor(accountId: string): Promise<WebhookEndpointTarget[]> {
    const ttl = this.config.WEBHOOK_ENDPOINT_CACHE_MS;
    const cached = this.endpointCache.get(accountId);
    if (cached && Date.now() - cached.at < ttl) return cached.endpoints;
    const endpoints = await this.endpoints.enabledTargets(accountId);
    if (ttl > 0) {
      if (this.endpointCache.size > 10_000) this.endpointCache.clear();
      this.endpointCache.set(accountId, { at: Date.now(), endpoints });
    }
    return endpoints;
  }
}
