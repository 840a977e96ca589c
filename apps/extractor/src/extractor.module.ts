import { type DynamicModule, Module } from '@nestjs/common';
import OpenAI from 'openai';
import { CallsRepository, SecretBox } from '@parley/db';
import { createGuardedFetch, outboundPolicy, repositoryProviders, ServiceKitModule } from '@parley/service-kit';
import { EXTRACTOR_CONFIG, type ExtractorConfig, resolveModel } from './config';
import { ExtractionConsumer } from './extraction/extraction.consumer';
import { ExtractionModels } from './extraction/extraction-models';
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
        { provide: ResultExtractor, useValue: new ResultExtractor() },
        {
          provide: ExtractionModels,
          useFactory: () =>
            new ExtractionModels({
              service: { client: new OpenAI({ baseURL: model.baseURL, apiKey: config.LLM_API_KEY, timeout: config.EXTRACTOR_LLM_TIMEOUT_MS, maxRetries: config.EXTRACTOR_LLM_MAX_RETRIES }), model: model.model },
              secrets: new SecretBox(config.PARLEY_SECRET_KEY, config.PARLEY_SECRET_KEY_PREVIOUS),
              // Agents name their servers, so those are user-supplied URLs: guarded like webhooks and HTTP tools.
              fetch: createGuardedFetch(outboundPolicy(config), { maxResponseBytes: 4 * 1024 * 1024 }),
              timeoutMs: config.EXTRACTOR_LLM_TIMEOUT_MS,
              maxRetries: config.EXTRACTOR_LLM_MAX_RETRIES,
            }),
        },
        ExtractionConsumer,
      ],
    };
  }
}
