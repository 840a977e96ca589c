import { type DynamicModule, Module } from '@nestjs/common';
import OpenAI from 'openai';
import { ServiceKitModule } from '@parley/service-kit';
import { EXTRACTOR_CONFIG, type ExtractorConfig, resolveModel } from './config';
import { ExtractionConsumer } from './extraction/extraction.consumer';
import { ResultExtractor } from './extraction/result-extractor';

@Module({})
export class ExtractorModule {
  static forRoot(config: ExtractorConfig): DynamicModule {
    const model = resolveModel(config);
    return {
      module: ExtractorModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'extractor',
          logLevel: config.LOG_LEVEL,
          nats: { url: config.NATS_URL, namespace: config.NATS_NAMESPACE },
          database: { url: config.DATABASE_URL, poolSize: config.EXTRACTOR_DB_POOL_SIZE },
        }),
      ],
      providers: [
        { provide: EXTRACTOR_CONFIG, useValue: config },
        {
          provide: ResultExtractor,
          useFactory: () =>
            new ResultExtractor(
              new OpenAI({ baseURL: model.baseURL, apiKey: config.LLM_API_KEY, timeout: config.EXTRACTOR_LLM_TIMEOUT_MS, maxRetries: config.EXTRACTOR_LLM_MAX_RETRIES }),
              model.model,
            ),
        },
        ExtractionConsumer,
      ],
    };
  }
}
