import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ API_RATE_LIMIT_PER_SECOND: '5' });
});
afterAll(async () => api?.close());

describe('per-key rate limit', () => {
  it('answers 429 with Retry-After once a key exceeds its burst, without touching other keys', async () => {
    const a = await api.createAccount('A');
    const b = await api.createAccount('B');
    const results = [];
    for (let i = 0; i < 14; i++) results.push(await api.call('GET', '/v1/agents', { key: a.apiKey }));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await api.call('GET', '/v1/agents', { key: b.apiKey })).status).toBe(200);
  });
});
