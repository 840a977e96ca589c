import { type DynamicModule, Inject, Injectable, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AsterisksRepository, CallsRepository, type DataSource, DialerInstancesRepository, openDatabase, PhoneNumbersRepository, TrunkSlotsRepository, TrunkStatesRepository, TrunksRepository } from '@parley/db';
import { Bus, DATA_SOURCE, LOGGER, type Logger, Metrics, Readiness, repositoryProviders, ServiceKitModule } from '@parley/service-kit';
import { DIALER_CONFIG, type DialerConfig } from './config';
import { Dialer } from './dialer';

/**
 * One Postgres connection for the dialer's ownership lease alone (start, renewals, leaving), so that a renewal never
 * waits behind call traffic in the service's pool (see DialerPresence).
 */
export const LEASE_DATA_SOURCE = Symbol('LEASE_DATA_SOURCE');

/** Runs the Dialer inside Nest's lifecycle: started after NATS and Postgres are up, stopped before they close. */
@Injectable()
export class DialerLifecycle implements OnModuleInit, OnModuleDestroy {
  readonly dialer: Dialer;

  constructor(
    @Inject(DIALER_CONFIG) config: DialerConfig,
    @Inject(Bus) bus: Bus,
    @Inject(CallsRepository) calls: CallsRepository,
    @Inject(TrunksRepository) trunks: TrunksRepository,
    @Inject(PhoneNumbersRepository) numbers: PhoneNumbersRepository,
    @Inject(TrunkSlotsRepository) slots: TrunkSlotsRepository,
    @Inject(DialerInstancesRepository) dialers: DialerInstancesRepository,
    @Inject(TrunkStatesRepository) trunkStates: TrunkStatesRepository,
    @Inject(AsterisksRepository) asterisks: AsterisksRepository,
    @Inject(LEASE_DATA_SOURCE) private readonly leaseDs: DataSource,
    @Inject(Metrics) metrics: Metrics,
    @Inject(Readiness) readiness: Readiness,
    @Inject(LOGGER) logger: Logger,
  ) {
    const repositories = { calls, trunks, numbers, slots, dialers, trunkStates, asterisks };
    this.dialer = new Dialer({ config, bus, repositories, lease: new DialerInstancesRepository(leaseDs), metrics, readiness, logger });
  }

  async onModuleInit(): Promise<void> {
    await this.dialer.start();
  }

  // onModuleDestroy runs before service-kit closes NATS and Postgres (beforeApplicationShutdown / onApplicationShutdown).
  async onModuleDestroy(): Promise<void> {
    await this.dialer.stop();
    if (this.leaseDs.isInitialized) await this.leaseDs.destroy();
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
      providers: [
        { provide: DIALER_CONFIG, useValue: config },
        ...repositoryProviders(CallsRepository, TrunksRepository, PhoneNumbersRepository, TrunkSlotsRepository, DialerInstancesRepository, TrunkStatesRepository, AsterisksRepository),
        {
          provide: LEASE_DATA_SOURCE,
          // Injected after DATA_SOURCE, which creates the database and runs the migrations.
          inject: [DATA_SOURCE],
          useFactory: () => openDatabase({ url: config.DATABASE_URL, poolSize: 1, migrate: false, applicationName: 'parley-dialer-lease' }),
        },
        DialerLifecycle,
      ],
      exports: [DialerLifecycle],
    };
  }
}
