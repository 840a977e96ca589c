import type { MediaConfig } from '../config';
import { createGuardedFetch, outboundPolicy } from '@parley/service-kit';
import { ModelServers } from './llm/model-servers';
import { OpenAiLlm } from './llm/openai';
import { OpenAiStt } from './stt/openai';
import { PocketsphinxStt, pocketsphinxArgs } from './stt/pocketsphinx';
import { WhisperCppStt } from './stt/whisper-cpp';
import { EspeakTts } from './tts/espeak';
import { FliteTts } from './tts/flite';
import { OpenAiTts } from './tts/openai';
import { SpawnHost } from './tts/spawn-host';
import type { Stt, Tts, Vad } from './types';
import { SileroVad } from './vad/silero';

/** The engines of this process, chosen by config and loaded once (models stay in memory). */
export interface Providers {
  vad: Vad;
  stt: Stt;
  /** The service's model server and agents' own. */
  models: ModelServers;
  tts: Tts;
  close(): Promise<void>;
}

export async function createProviders(config: MediaConfig): Promise<Providers> {
  const vad = await SileroVad.load({ energyFloorDbfs: config.VAD_ENERGY_FLOOR_DBFS, sampleRate: config.VAD_SAMPLE_RATE });
  const stt = await createStt(config);
  const models = new ModelServers({
    service: { llm: new OpenAiLlm({ baseUrl: config.LLM_BASE_URL, apiKey: config.LLM_API_KEY, model: config.LLM_MODEL, timeoutMs: config.LLM_TIMEOUT_MS }), model: config.LLM_MODEL },
    timeoutMs: config.LLM_TIMEOUT_MS,
    // Agents name their servers, so those are user-supplied URLs: guarded like webhooks and HTTP tools, streamed.
    fetch: createGuardedFetch(outboundPolicy(config), { maxResponseBytes: 16 * 1024 * 1024, stream: true }),
  });
  // espeak-ng and flite run as processes, started from a helper so that this process never forks.
  const spawnHost = config.TTS_PROVIDER === 'openai' ? undefined : new SpawnHost().start();
  const tts = createTts(config, spawnHost);
  return {
    vad,
    stt,
    models,
    tts,
    async close() {
      await stt.close?.();
      await vad.close();
      await spawnHost?.close();
    },
  };
}

async function createStt(config: MediaConfig): Promise<Stt> {
  switch (config.STT_PROVIDER) {
    case 'pocketsphinx':
      return new PocketsphinxStt({ modelDir: config.POCKETSPHINX_MODEL_DIR, decoders: config.POCKETSPHINX_DECODERS, maxDecoders: config.POCKETSPHINX_MAX_DECODERS, secondPass: config.POCKETSPHINX_SECOND_PASS, streaming: config.POCKETSPHINX_STREAMING, args: pocketsphinxArgs(config.POCKETSPHINX_ARGS) });
    case 'whisper':
      return WhisperCppStt.load({ modelPath: config.WHISPER_MODEL_PATH ?? '', threads: config.WHISPER_THREADS, concurrency: config.WHISPER_CONCURRENCY, pieces: config.STT_PIECES });
    case 'openai':
      return new OpenAiStt({ baseUrl: config.STT_BASE_URL!, apiKey: config.STT_API_KEY, model: config.STT_MODEL, pieces: config.STT_PIECES });
  }
}

function createTts(config: MediaConfig, spawnHost: SpawnHost | undefined): Tts {
  switch (config.TTS_PROVIDER) {
    case 'espeak':
      return new EspeakTts({ defaultVoice: config.TTS_VOICE, spawnHost });
    case 'flite':
      return new FliteTts({ defaultVoice: config.TTS_VOICE, spawnHost });
    case 'openai':
      return new OpenAiTts({ baseUrl: config.TTS_BASE_URL!, apiKey: config.TTS_API_KEY, model: config.TTS_MODEL, defaultVoice: config.TTS_VOICE });
  }
}
