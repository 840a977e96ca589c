import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { createLogger, NestPinoLogger } from './logger';

export interface BootstrapOptions {
  service: string;
  host: string;
  port: number;
  bodyLimitBytes?: number;
  logLevel?: string;
  /** Options of the Fastify instance itself (router limits, handlers of errors Fastify answers before Nest). */
  fastify?: Omit<FastifyServerOptions, 'bodyLimit' | 'logger'>;
  /** Called on the Fastify instance before Nest registers routes (content parsers, hooks...). */
  configure?: (app: NestFastifyApplication) => Promise<void> | void;
}

/** Creates a Nest app on Fastify with pino logs and graceful shutdown on SIGTERM/SIGINT, and starts listening. */
export async function bootstrapService(module: unknown, opts: BootstrapOptions): Promise<NestFastifyApplication> {
  const logger = createLogger(opts.service, opts.logLevel);
  // Nest's adapter is typed against its own copy of fastify; the options are the same at run time.
  const fastifyOptions = { ...opts.fastify, bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024 } as ConstructorParameters<typeof FastifyAdapter>[0];
  const app = await NestFactory.create<NestFastifyApplication>(module as never, new FastifyAdapter(fastifyOptions), {
    logger: new NestPinoLogger(logger),
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await opts.configure?.(app);
  await app.listen(opts.port, opts.host);
  logger.info({ host: opts.host, port: opts.port }, `${opts.service} listening`);
  return app;
}
