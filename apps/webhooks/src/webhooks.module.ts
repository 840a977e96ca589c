import { type DynamicModule, Module } from '@nestjs/common';
import type { DataSource } from '@parley/db';
import { DATA_SOURCE, ServiceKitModule } from '@parley/service-kit';
import { WEBHOOKS_CONFIG, type WebhooksConfig } from './config';
import { DeliveryOutbox } from './delivery/delivery-outbox';
import { DeliveryRetention } from './delivery/delivery-retention';
import { DeliveryWorker } from './delivery/delivery.worker';
import { UrlGuard } from './delivery/url-guard';
import { WebhookSender } from './delivery/webhook-sender';
import { CallEventFanout } from './events/call-event-fanout';

@Module({})
export class WebhooksModule {
  static forRoot(config: WebhooksConfig): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [
        ServiceKitModule.forService('webhooks', config, { poolSize: config.WEBHOOKS_DB_POOL_SIZE }),
      ],
      providers: [
        { provide: WEBHOOKS_CONFIG, useValue: config },
        { provide: UrlGuard, useValue: new UrlGuard({ allow: config.WEBHOOK_ALLOW, platformPorts: config.WEBHOOK_PLATFORM_PORTS, blockPrivate: config.WEBHOOK_BLOCK_PRIVATE }) },
        {
          provide: WebhookSender,
          inject: [UrlGuard],
          useFactory: (guard: UrlGuard) =>
            new WebhookSender(guard, { timeoutMs: config.WEBHOOK_TIMEOUT_MS, maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES, maxSockets: config.WEBHOOK_CONCURRENCY }),
        },
        { provide: DeliveryOutbox, inject: [DATA_SOURCE], useFactory: (db: DataSource) => new DeliveryOutbox(db) },
        DeliveryWorker,
        DeliveryRetention,
        CallEventFanout,
      ],
    };
  }
}
