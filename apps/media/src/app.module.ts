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
      imports: [ServiceKitModule.forService('media', config, { poolSize: 5 })],
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
