import { type DynamicModule, Module } from '@nestjs/common';
import OpenAI from 'openai';
import { CallsRepository } from '@parley/db';
import { repositoryProviders, ServiceKitModule } from '@parley/service-kit';
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
        ServiceKitModule.forService('extractor', config, { poolSize: config.EXTRACTOR_DB_POOL_SIZE }),
      ],
      providers: [
        { provide: EXTRACTOR_CONFIG, useValue: config },
        ...repositoryProviders(CallsRepository),
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
