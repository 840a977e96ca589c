import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService, type BootstrapOptions } from '@parley/service-kit';
import { AppModule } from './app.module';
import type { ApiConfig } from './config';
import { apiFrameworkErrorOptions } from './http/framework-errors';
import { allowBrowserRoutes } from './http/browser-cors';
import { acceptOnlyJsonBodies } from './http/json-bodies';

/** Starts the api (used by main.ts, by tests and by `pnpm demo`). */
export async function createApiApp(config: ApiConfig, boot: (module: unknown, opts: BootstrapOptions) => Promise<NestFastifyApplication> = bootstrapService): Promise<NestFastifyApplication> {
  return boot(AppModule.forRoot(config), {
    service: 'api',
    host: config.API_HOST,
    port: config.API_PORT,
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
    logLevel: config.LOG_LEVEL,
    fastify: apiFrameworkErrorOptions,
    configure: (app) => {
      acceptOnlyJsonBodies(app);
      allowBrowserRoutes(app);
    },
  });
}
