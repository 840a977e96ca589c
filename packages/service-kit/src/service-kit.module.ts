import { Controller, type DynamicModule, Get, Global, Header, Inject, Injectable, Module, type BeforeApplicationShutdown, type Provider, type OnApplicationShutdown, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { type DataSource, openDatabase, type RepositoryClass } from '@parley/db';
import { Bus } from './bus';
import { createLogger, type Logger } from './logger';
import { Metrics } from './metrics';
import { Readiness } from './readiness';

export const LOGGER = Symbol('LOGGER');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const SERVICE_NAME = Symbol('SERVICE_NAME');

export interface ServiceKitOptions {
  service: string;
  logLevel?: string;
  /** Connect to NATS and ensure the JetStream streams. */
  nats?: { url: string; namespace: string; streamReplicas?: number };
  /** Connect to Postgres (and run migrations when `migrate`). */
  database?: { url: string; poolSize?: number; migrate?: boolean };
}

@Controller()
class OpsController {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  @Get('healthz')
  healthz(@Res() reply: FastifyReply) {
    const down = this.readiness.isShuttingDown;
    void reply.status(down ? 503 : 200).send({ status: down ? 'shutting_down' : 'ok', service: this.service });
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply) {
    const report = await this.readiness.report();
    void reply.status(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not_ready', service: this.service, checks: report.checks });
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metricsText(@Res() reply: FastifyReply) {
    void reply.header('Content-Type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}

/** Closes NATS before the database, so in-flight handlers finish with a live connection. */
@Injectable()
class ShutdownOrder implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly readiness: Readiness,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Bus) private readonly bus: Bus | null,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource | null,
  ) {}

  async beforeApplicationShutdown(signal?: string) {
    this.readiness.markShuttingDown();
    this.logger.info({ signal }, 'shutting down');
    await this.bus?.close();
  }

  async onApplicationShutdown() {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    this.logger.info('stopped');
  }
}

/** The settings every service reads through `commonEnv`. */
export interface CommonServiceConfig {
  LOG_LEVEL: string;
  DATABASE_URL: string;
  NATS_URL: string;
  NATS_NAMESPACE: string;
  NATS_STREAM_REPLICAS?: number;
}

@Global()
@Module({})
export class ServiceKitModule {
  /** A service connected to NATS and Postgres (migrating it at start) as its `commonEnv` settings say. */
  static forService(service: string, config: CommonServiceConfig, database: { poolSize: number }): DynamicModule {
    return ServiceKitModule.forRoot({
      service,
      logLevel: config.LOG_LEVEL,
      nats: { url: config.NATS_URL, namespace: config.NATS_NAMESPACE, streamReplicas: config.NATS_STREAM_REPLICAS },
      database: { url: config.DATABASE_URL, poolSize: database.poolSize },
    });
  }

  static forRoot(opts: ServiceKitOptions): DynamicModule {
    const logger = createLogger(opts.service, opts.logLevel);
    return {
      module: ServiceKitModule,
      controllers: [OpsController],
      providers: [
        { provide: SERVICE_NAME, useValue: opts.service },
        { provide: LOGGER, useValue: logger },
        { provide: Metrics, useValue: new Metrics(opts.service) },
        { provide: Readiness, useValue: new Readiness() },
        {
          provide: Bus,
          inject: [Readiness],
          useFactory: async (readiness: Readiness) => {
            if (!opts.nats) return null;
            const bus = new Bus({ url: opts.nats.url, namespace: opts.nats.namespace, name: opts.service, logger, streamReplicas: opts.nats.streamReplicas });
            await bus.connect();
            await bus.ensureStreams();
            readiness.register('nats', () => bus.isConnected);
            return bus;
          },
        },
        {
          provide: DATA_SOURCE,
          inject: [Readiness],
          useFactory: async (readiness: Readiness) => {
            if (!opts.database) return null;
            const ds = await openDatabase({ url: opts.database.url, poolSize: opts.database.poolSize, migrate: opts.database.migrate, applicationName: `parley-${opts.service}` });
            readiness.register('postgres', async () => {
              await ds.query('SELECT 1');
              return true;
            });
            return ds;
          },
        },
        ShutdownOrder,
      ],
      exports: [SERVICE_NAME, LOGGER, Metrics, Readiness, Bus, DATA_SOURCE],
    };
  }
}

/** Nest providers for repositories, each built on the service's pool: `providers: [...repositoryProviders(CallsRepository)]`. */
export function repositoryProviders(...classes: RepositoryClass[]): Provider[] {
  return classes.map((Repo) => ({ provide: Repo, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new Repo(ds) }));
}
