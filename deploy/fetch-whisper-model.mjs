// The `whisper-model` compose profile: downloads one whisper.cpp ggml model into the models volume, once.
//   WHISPER_MODEL           model name, e.g. base.en, small, medium.en (default base.en)
//   WHISPER_MODEL_DIR       where to put ggml-<name>.bin (default /models)
//   WHISPER_MODEL_BASE_URL  where ggml-<name>.bin is downloaded from (default: whisper.cpp's models on Hugging Face)
// The file appears only when complete (written to a temporary name, then renamed), so media never loads half a model.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const name = process.env.WHISPER_MODEL || 'base.en';
const dir = process.env.WHISPER_MODEL_DIR || '/models';
const baseUrl = (process.env.WHISPER_MODEL_BASE_URL || 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main').replace(/\/+$/, '');

if (!/^[A-Za-z0-9._-]+$/.test(name)) {
  process.stderr.write(`WHISPER_MODEL must be a model name such as base.en (got ${JSON.stringify(name)})\n`);
  process.exit(2);
}
const file = `ggml-${name}.bin`;
const target = join(dir, file);

const existing = await stat(target).catch(() => null);
if (existing && existing.size > 0) {
  process.stdout.write(`${target} is already there (${existing.size} bytes)\n`);
  process.exit(0);
}

await mkdir(dir, { recursive: true });
const url = `${baseUrl}/${file}`;
const partial = `${target}.partial`;
process.stdout.write(`downloading ${url}\n`);
try {
  const res = await fetch(url, { redirect: 'follow' });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} for ${url}`);
  await pipeline(Readable.fromWeb(res.body), createWriteStream(partial));
  const expected = Number(res.headers.get('content-length') ?? NaN);
  const got = (await stat(partial)).size;
  if (got === 0 || (Number.isFinite(expected) && got !== expected)) throw new Error(`incomplete download: ${got} of ${expected} bytes`);
  await rename(partial, target);
  process.stdout.write(`${target}: ${got} bytes; set STT_PROVIDER=whisper and WHISPER_MODEL_PATH=${target}\n`);
} catch (err) {
  await rm(partial, { force: true });
  process.stderr.write(`whisper model download failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
