import 'reflect-metadata';
import { bootstrapService } from '@parley/service-kit';
import { AppModule } from './app.module';
import { loadDialerConfig } from './config';

async function main(): Promise<void> {
  const config = loadDialerConfig();
  await bootstrapService(AppModule.forRoot(config), { service: 'dialer', host: config.DIALER_HOST, port: config.DIALER_PORT });
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
