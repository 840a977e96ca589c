import { type DynamicModule, Module } from '@nestjs/common';
import { SecretBox, WebhookDeliveriesRepository, WebhookEndpointsRepository } from '@parley/db';
import { OutboundAddressPolicy, outboundPolicy, repositoryProviders, ServiceKitModule } from '@parley/service-kit';
import { WEBHOOKS_CONFIG, type WebhooksConfig } from './config';
import { DeliveryOutbox } from './delivery/delivery-outbox';
import { DeliveryRetention } from './delivery/delivery-retention';
import { DeliveryWorker } from './delivery/delivery.worker';
import { WebhookSender } from './delivery/webhook-sender';
import { CallEventFanout } from './events/call-event-fanout';

@Module({})
export class WebhooksModule {
  /** `env` is where the other services' ports are read from (the guard refuses them). */
  static forRoot(config: WebhooksConfig, env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [
        ServiceKitModule.forService('webhooks', config, { poolSize: config.WEBHOOKS_DB_POOL_SIZE }),
      ],
      providers: [
        { provide: WEBHOOKS_CONFIG, useValue: config },
        { provide: SecretBox, useValue: new SecretBox(config.PARLEY_SECRET_KEY, config.PARLEY_SECRET_KEY_PREVIOUS) },
        { provide: OutboundAddressPolicy, useValue: outboundPolicy(config, env) },
        {
          provide: WebhookSender,
          inject: [OutboundAddressPolicy],
          useFactory: (policy: OutboundAddressPolicy) =>
            new WebhookSender(policy, { timeoutMs: config.WEBHOOK_TIMEOUT_MS, maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES, maxSockets: config.WEBHOOK_CONCURRENCY }),
        },
        ...repositoryProviders(WebhookDeliveriesRepository, WebhookEndpointsRepository),
        DeliveryOutbox,
        DeliveryWorker,
        DeliveryRetention,
        CallEventFanout,
      ],
    };
  }
}
