import './thread-pool';
import 'reflect-metadata';
import { bootstrapService } from '@parley/service-kit';
import { MediaModule } from './app.module';
import { loadMediaConfig } from './config';

async function main(): Promise<void> {
  const config = loadMediaConfig();
  await bootstrapService(MediaModule.forRoot(config), { service: 'media', host: config.MEDIA_HOST, port: config.MEDIA_PORT, logLevel: config.LOG_LEVEL });
}

main().catch((err) => {
  process.stderr.write(`parley media failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
