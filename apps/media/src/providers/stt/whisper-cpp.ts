import { existsSync } from 'node:fs';
import { WHISPER_DOWNLOAD_HINT } from '../../config';
import { ProviderError, type Stt, type SttResult } from '../types';

/**
 * Local Whisper through whisper.cpp, in-process, model loaded once per process.
 * Not wired to a binding yet (see the app README): selecting it fails at start with this message.
 */
export class WhisperCppStt implements Stt {
  readonly name = 'whisper';

  private constructor() {}

  static async load(options: { modelPath: string; threads: number }): Promise<WhisperCppStt> {
    if (!options.modelPath || !existsSync(options.modelPath)) throw new ProviderError('whisper', `model file ${options.modelPath || '(WHISPER_MODEL_PATH unset)'} not found. ${WHISPER_DOWNLOAD_HINT}`);
    throw new ProviderError('whisper', 'the whisper.cpp binding is not available in this build; use STT_PROVIDER=pocketsphinx or openai');
  }

  transcribe(): Promise<SttResult> {
    return Promise.reject(new ProviderError('whisper', 'not loaded'));
  }
}
