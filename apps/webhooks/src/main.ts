import { bootstrapService, ConfigError } from '@parley/service-kit';
import { loadWebhooksConfig } from './config';
import { WebhooksModule } from './webhooks.module';

async function main(): Promise<void> {
  const config = loadWebhooksConfig();
  await bootstrapService(WebhooksModule.forRoot(config), { service: 'webhooks', host: config.WEBHOOKS_HOST, port: config.WEBHOOKS_PORT });
}

main().catch((err: unknown) => {
  process.stderr.write(`webhooks: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
