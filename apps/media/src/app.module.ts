import { type DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule } from '@parley/service-kit';
import { MEDIA_CONFIG, type MediaConfig } from './config';
import { MediaMetrics } from './metrics/media-metrics';
import { createProviders, type Providers } from './providers/registry';
import { MediaSessions, PROVIDERS } from './sessions/media-sessions';

@Module({})
export class MediaModule {
  /** `providers` lets tests swap engines; by default they come from config. */
  static forRoot(config: MediaConfig, providers?: Providers): DynamicModule {
    return {
      module: MediaModule,
      // No database: a call's conversation snapshot comes with its allocate request.
      imports: [ServiceKitModule.forRoot({ service: 'media', logLevel: config.LOG_LEVEL, nats: { url: config.NATS_URL, namespace: config.NATS_NAMESPACE, streamReplicas: config.NATS_STREAM_REPLICAS } })],
      providers: [
        { provide: MEDIA_CONFIG, useValue: config },
        { provide: PROVIDERS, useFactory: () => providers ?? createProviders(config) },
        MediaMetrics,
        MediaSessions,
      ],
      exports: [MediaSessions],
    };
  }
}
