import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { sizeThreadPool } from './thread-pool';

describe('sizeThreadPool', () => {
  it('gives libuv one thread per core, at least 2, unless UV_THREADPOOL_SIZE is set', () => {
    expect(sizeThreadPool({})).toBe(Math.max(2, availableParallelism()));
    expect(sizeThreadPool({ UV_THREADPOOL_SIZE: '' })).toBe(Math.max(2, availableParallelism()));
    const env: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '6' };
    expect(sizeThreadPool(env)).toBe(6);
    expect(env.UV_THREADPOOL_SIZE).toBe('6');
  });
});
