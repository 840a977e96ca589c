import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../src/accounts/api-keys';
import { RateLimiter } from '../src/http/rate-limiter';
import { type ApiHarness, outboundSetup, randomE164, startApi } from './api-harness';

// Two api processes of one deployment (each its own pool, key cache, rate limiter and LISTEN connection) on one
// database, as behind a load balancer: what one process does holds on the other.

const PER_SECOND = 30;
const BURST = PER_SECOND * 2;
let a: ApiHarness;
let b: ApiHarness;
beforeAll(async () => {
  a = await startApi({ API_RATE_LIMIT_PER_SECOND: String(PER_SECOND) });
  b = await startApi({ API_RATE_LIMIT_PER_SECOND: String(PER_SECOND) }, { alongside: a });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('two api processes', () => {
  it('give a key its rate limit once in total, not once per process', async () => {
    const acct = await a.createAccount();
    const chunk = a.app.get(RateLimiter).chunk;
    const requests = BURST * 3;
    const statuses = { a: [] as number[], b: [] as number[] };
    let retryAfter = 0;
    let next = 0;
    const started = performance.now();
    // Six clients back to back, each request to the next process in turn (round robin).
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < requests) {
          const to = next++ % 2 ? 'b' : 'a';
          const res = await (to === 'a' ? a : b).call('GET', '/v1/agents', { key: acct.apiKey });
          statuses[to].push(res.status);
          if (res.status === 429) retryAfter = Number(res.headers.get('retry-after'));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const allowedA = statuses.a.filter((s) => s === 200).length;
    const allowedB = statuses.b.filter((s) => s === 200).length;
    expect([...statuses.a, ...statuses.b].every((s) => s === 200 || s === 429)).toBe(true);
    // The shared bucket held the burst plus what it refilled while the requests ran; each process may have held one
    // chunk more. A bucket per process would allow twice the burst and twice the refill, past this however long it ran.
    expect(allowedA + allowedB).toBeLessThanOrEqual(BURST + 2 * chunk + Math.floor(PER_SECOND * seconds));
    expect(allowedA + allowedB).toBeGreaterThanOrEqual(BURST - 2 * chunk);
    expect(allowedA).toBeGreaterThan(0);
    expect(allowedB).toBeGreaterThan(0);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    console.info(`two processes, ${requests} requests round robin in ${seconds.toFixed(2)} s: ${allowedA} + ${allowedB} allowed (burst ${BURST}, ${PER_SECOND}/s, chunk ${chunk})`);
  });

  it('refuse a key revoked through the other process', async () => {
    const acct = await a.createAccount();
    // Both have seen (and cached) the key.
    expect((await a.call('GET', '/v1/agents', { key: acct.apiKey })).status).toBe(200);
    expect((await b.call('GET', '/v1/agents', { key: acct.apiKey })).status).toBe(200);
    expect(await a.app.get(ApiKeys).revoke(acct.apiKeyId)).toBe(true);
    await expect.poll(async () => (await b.call('GET', '/v1/agents', { key: acct.apiKey })).status, { timeout: 10_000, interval: 20 }).toBe(401);
    expect((await a.call('GET', '/v1/agents', { key: acct.apiKey })).status).toBe(401);
  });

  it('answer an Idempotency-Key replayed on the other process with the same call', async () => {
    const acct = await a.createAccount();
    const { agent } = await outboundSetup(a, acct);
    const body = { agent_id: agent.id, to: randomE164() };
    const first = await a.call('POST', '/v1/calls', { key: acct.apiKey, body, headers: { 'idempotency-key': 'order-7' } });
    expect(first.status).toBe(201);
    const replay = await b.call('POST', '/v1/calls', { key: acct.apiKey, body, headers: { 'idempotency-key': 'order-7' } });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const conflict = await b.call('POST', '/v1/calls', { key: acct.apiKey, body: { ...body, to: randomE164() }, headers: { 'idempotency-key': 'order-7' } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_key_reused');

    // The same request to both at once: one call, one of them answered as a replay.
    const raced = { agent_id: agent.id, to: randomE164() };
    const both = await Promise.all([a, b].map((api) => api.call('POST', '/v1/calls', { key: acct.apiKey, body: raced, headers: { 'idempotency-key': 'order-8' } })));
    expect(both.map((r) => r.status)).toEqual([201, 201]);
    expect(both[0]!.body.id).toBe(both[1]!.body.id);
    expect(both.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
    expect((await a.ds.query('SELECT count(*)::int AS n FROM calls WHERE to_number = $1', [raced.to]))[0].n).toBe(1);
  });
});
