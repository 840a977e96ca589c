import { bootstrapService, ConfigError, createLogger } from '@parley/service-kit';
import { loadExtractorConfig, resolveModel } from './config';
import { ExtractorModule } from './extractor.module';

async function main(): Promise<void> {
  const config = loadExtractorConfig();
  const model = resolveModel(config);
  const log = createLogger('extractor', config.LOG_LEVEL);
  if (model.sandbox) log.warn({ baseURL: model.baseURL }, 'LLM_BASE_URL is not set: using the scripted sandbox model (packages/sandbox-llm), not a real LLM');
  else log.info({ baseURL: model.baseURL, model: model.model }, 'extraction model');
  await bootstrapService(ExtractorModule.forRoot(config), { service: 'extractor', host: config.EXTRACTOR_HOST, port: config.EXTRACTOR_PORT });
}

main().catch((err: unknown) => {
  process.stderr.write(`extractor: ${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
