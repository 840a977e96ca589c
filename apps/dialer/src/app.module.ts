import { type DynamicModule, Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from '@parley/db';
import { Bus, DATA_SOURCE, LOGGER, type Logger, Metrics, Readiness, ServiceKitModule } from '@parley/service-kit';
import { DIALER_CONFIG, type DialerConfig } from './config';
import { Dialer } from './dialer';

/** Runs the Dialer inside Nest's lifecycle: started after NATS and Postgres are up, stopped before they close. */
@Injectable()
export class DialerLifecycle implements OnModuleInit, OnModuleDestroy {
  readonly dialer: Dialer;

  constructor(
    @Inject(DIALER_CONFIG) config: DialerConfig,
    @Inject(Bus) bus: Bus,
    @Inject(DATA_SOURCE) ds: DataSource,
    @Inject(Metrics) metrics: Metrics,
    @Inject(Readiness) readiness: Readiness,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.dialer = new Dialer({ config, bus, ds, metrics, readiness, logger });
  }

  async onModuleInit(): Promise<void> {
    await this.dialer.start();
  }

  // onModuleDestroy runs before service-kit closes NATS and Postgres (beforeApplicationShutdown / onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    await this.dialer.stop();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: DialerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forService('dialer', config, { poolSize: config.DIALER_DB_POOL_SIZE }),
      ],
      providers: [{ provide: DIALER_CONFIG, useValue: config }, DialerLifecycle],
      exports: [DialerLifecycle],
    };
  }
}
