import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkProviderSettings, loadMediaConfig } from '../../config';
import { WhisperCppStt } from './whisper-cpp';

// No Whisper weights exist on this machine: these tests cover the load path up to the model file.
const dir = mkdtempSync(join(tmpdir(), 'parley-whisper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('whisper.cpp STT', () => {
  it('refuses to start without a model file, saying how to get one', () => {
    expect(() => loadMediaConfig({ STT_PROVIDER: 'whisper' })).toThrow(/WHISPER_MODEL_PATH.*curl -L -o/s);
    expect(() => loadMediaConfig({ STT_PROVIDER: 'whisper', WHISPER_MODEL_PATH: join(dir, 'missing.bin') })).toThrow(/does not exist.*ggml-base\.en\.bin/s);
  });

  it('rejects a file that is not a ggml model before whisper.cpp sees it', async () => {
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, Buffer.from('not a model at all'));
    expect(() => checkProviderSettings(loadMediaConfig({}))).not.toThrow();
    await expect(WhisperCppStt.load({ modelPath: bad, threads: 1 })).rejects.toThrow(/not a whisper\.cpp ggml model/);
    await expect(WhisperCppStt.load({ modelPath: join(dir, 'missing.bin'), threads: 1 })).rejects.toThrow(/not found/);
  });

  it('has its binding built (whisper.cpp compiled at install)', () => {
    const sw = require('smart-whisper') as typeof import('smart-whisper');
    expect(typeof sw.WhisperModel.load).toBe('function');
  });
});
