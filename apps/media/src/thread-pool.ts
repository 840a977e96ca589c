import { availableParallelism } from 'node:os';

/**
 * libuv's thread pool runs the speech recognizers (pocketsphinx) besides file I/O. Its default of 4 threads on a 2-core
 * machine oversubscribes the cores: at 20 concurrent calls in `pnpm bench voice`, 4 threads gave end of speech -> first
 * agent audio p95 945 ms, 8 threads 1,873 ms, and 2 threads (one per core) 774 ms. One thread per core, at least 2,
 * unless UV_THREADPOOL_SIZE says otherwise. Imported first by the entry points: libuv reads it when the pool starts.
 */
export function sizeThreadPool(env: NodeJS.ProcessEnv = process.env): number {
  env.UV_THREADPOOL_SIZE ||= String(Math.max(2, availableParallelism()));
  return Number(env.UV_THREADPOOL_SIZE);
}

if (!process.env.UV_THREADPOOL_SIZE) sizeThreadPool();
