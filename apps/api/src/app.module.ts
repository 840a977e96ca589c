import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import {
  AccountsRepository,
  AgentsRepository,
  ApiRateBucketsRepository,
  CallsRepository,
  CampaignsRepository,
  CreditLedgerRepository,
  type DataSource,
  DoNotCallRepository,
  OutboxRepository,
  PhoneNumbersRepository,
  SecretBox,
  TrunksRepository,
  WebhookDeliveriesRepository,
  WebhookEndpointsRepository,
  WebCallTokensRepository,
  TrunkStatesRepository,
  AsterisksRepository,
} from '@parley/db';
import { DATA_SOURCE, LOGGER, type Logger, repositoryProviders, ServiceKitModule } from '@parley/service-kit';
import { AgentsService } from './agents/agents.service';
import { ApiKeyCache } from './accounts/api-key-cache';
import { accountDefaults, Accounts } from './accounts/accounts';
import { ApiKeys } from './accounts/api-keys';
import { BalanceService } from './billing/balance.service';
import { CallContexts } from './calls/call-context';
import { CallProjector } from './calls/call-projector';
import { CallWatchdog } from './calls/call-watchdog';
import { WebCallHolderWatch } from './calls/web-call-holder-watch';
import { CallsService } from './calls/calls.service';
import { ConversationSnapshots } from './calls/conversation-snapshot';
import { InboundCalls } from './calls/inbound-calls';
import { ProjectorConsumer } from './calls/projector.consumer';
import { TranscriptsService } from './calls/transcripts.service';
import { WebCallsService } from './calls/web-calls.service';
import { API_CONFIG, type ApiConfig } from './config';
import { AuthGuard } from './http/auth.guard';
import { ApiExceptionFilter } from './http/exception.filter';
import { StorablePathParams } from './http/path-params';
import { RateLimiter } from './http/rate-limiter';
import { CampaignEvents } from './campaigns/campaign-events';
import { CampaignScheduler } from './campaigns/campaign-scheduler';
import { CampaignsService } from './campaigns/campaigns.service';
import { DoNotCallService } from './do-not-call/do-not-call.service';
import { NumbersService } from './numbers/numbers.service';
import { API_CONTROLLERS } from './openapi/api-controllers';
import { OpenApiController } from './openapi/openapi.controller';
import { ConsoleController } from './console/console.controller';
import { PgNotifications } from './notifications/pg-notifications';
import { Outbox } from './outbox/outbox';
import { TrunksService } from './trunks/trunks.service';
import { WebhookEndpointsService } from './webhook-endpoints/webhook-endpoints.service';

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forService('api', config, { poolSize: config.API_DB_POOL_SIZE }),
      ],
      controllers: [...API_CONTROLLERS(), OpenApiController, ConsoleController],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: SecretBox, useValue: new SecretBox(config.PARLEY_SECRET_KEY, config.PARLEY_SECRET_KEY_PREVIOUS) },
        {
          provide: RateLimiter,
          inject: [DATA_SOURCE, LOGGER],
          useFactory: (ds: DataSource, logger: Logger) => new RateLimiter(config.API_RATE_LIMIT_PER_SECOND, new ApiRateBucketsRepository(ds), logger),
        },
        ...repositoryProviders(TrunksRepository, PhoneNumbersRepository, AgentsRepository, WebhookEndpointsRepository, WebhookDeliveriesRepository, CreditLedgerRepository, AccountsRepository),
        ...repositoryProviders(CallsRepository, OutboxRepository, DoNotCallRepository, CampaignsRepository, WebCallTokensRepository, TrunkStatesRepository, AsterisksRepository),
        { provide: ApiKeys, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new ApiKeys(ds) },
        { provide: Accounts, inject: [DATA_SOURCE, SecretBox], useFactory: (ds: DataSource, secrets: SecretBox) => new Accounts(ds, accountDefaults(config), secrets) },
        PgNotifications,
        ApiKeyCache,
        CallContexts,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useClass: StorablePathParams },
        Outbox,
        CallProjector,
        ProjectorConsumer,
        InboundCalls,
        ConversationSnapshots,
        CallsService,
        TranscriptsService,
        WebCallsService,
        CallWatchdog,
        WebCallHolderWatch,
        AgentsService,
        NumbersService,
        TrunksService,
        WebhookEndpointsService,
        BalanceService,
        DoNotCallService,
        CampaignEvents,
        CampaignsService,
        CampaignScheduler,
      ],
    };
  }
}
