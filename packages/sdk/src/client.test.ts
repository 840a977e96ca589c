import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Parley } from './client.js';
import { InternalServerError, NotFoundError, RateLimitError } from './errors.js';
import { WebhookVerificationError } from './webhooks.js';

/** A fetch that answers from a script, recording what it was asked. */
function scripted(answers: Array<{ status: number; body?: unknown; headers?: Record<string, string> }>) {
  const asked: Array<{ url: string; method: string; headers: Record<string, string>; body?: string }> = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    asked.push({ url: String(url), method: String(init.method), headers: init.headers as Record<string, string>, body: init.body as string | undefined });
    const a = answers.shift() ?? { status: 500 };
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json', ...a.headers } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, asked };
}

const apiError = (type: string, code: string, message: string, param: string | null = null) => ({ error: { type, code, message, param } });

describe('Parley client', () => {
  it('reads its key and URL from the environment and sends the key as a bearer token', async () => {
    process.env.PARLEY_API_KEY = 'sk_env';
    process.env.PARLEY_BASE_URL = 'http://parley.test:9000/v1/';
    try {
      const { fetch, asked } = scripted([{ status: 200, body: { object: 'balance' } }]);
      const client = new Parley({ fetch });
      expect(client.baseUrl).toBe('http://parley.test:9000');
      await client.balance.retrieve();
      expect(asked[0]).toMatchObject({ url: 'http://parley.test:9000/v1/balance', method: 'GET', headers: { authorization: 'Bearer sk_env' } });
    } finally {
      delete process.env.PARLEY_API_KEY;
      delete process.env.PARLEY_BASE_URL;
    }
    expect(() => new Parley()).toThrow(/PARLEY_API_KEY/);
  });

  it('raises the error class of the status, with the API code, message, param and status', async () => {
    const { fetch } = scripted([{ status: 404, body: apiError('invalid_request_error', 'not_found', "No such call: 'x'", 'id') }]);
    const err = await new Parley({ apiKey: 'k', fetch }).calls.retrieve('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 404, code: 'not_found', param: 'id', type: 'invalid_request_error', message: "No such call: 'x'" });
  });

  it('retries a 429 after Retry-After, a 5xx only when the request is idempotent, never past maxRetries', async () => {
    const limited = scripted([{ status: 429, body: apiError('rate_limit_error', 'rate_limited', 'slow down'), headers: { 'retry-after': '0' } }, { status: 201, body: { id: 'c1' } }]);
    expect(await new Parley({ apiKey: 'k', fetch: limited.fetch }).calls.create({ agent_id: 'a', to: '+15550100001' } as never)).toEqual({ id: 'c1' });
    expect(limited.asked).toHaveLength(2);

    const postWithout = scripted([{ status: 502 }, { status: 201, body: { id: 'c2' } }]);
    await expect(new Parley({ apiKey: 'k', fetch: postWithout.fetch }).calls.create({ agent_id: 'a', to: '+15550100001' } as never)).rejects.toBeInstanceOf(InternalServerError);
    expect(postWithout.asked).toHaveLength(1);

    const postWith = scripted([{ status: 502 }, { status: 201, body: { id: 'c3' } }]);
    expect(await new Parley({ apiKey: 'k', fetch: postWith.fetch }).calls.create({ agent_id: 'a', to: '+15550100001' } as never, { idempotencyKey: 'order-1' })).toEqual({ id: 'c3' });
    expect(postWith.asked.map((a) => a.headers['idempotency-key'])).toEqual(['order-1', 'order-1']);

    const always = scripted([{ status: 429, headers: { 'retry-after': '0' } }, { status: 429, headers: { 'retry-after': '0' } }, { status: 429, headers: { 'retry-after': '0' } }]);
    await expect(new Parley({ apiKey: 'k', fetch: always.fetch, maxRetries: 1 }).balance.retrieve()).rejects.toBeInstanceOf(RateLimitError);
    expect(always.asked).toHaveLength(2);
  });

  it('stops a transcript stream when its signal aborts, closing the connection, without retrying', async () => {
    const signals: AbortSignal[] = [];
    const fetch = (async (_url: URL, init: RequestInit) => {
      const signal = init.signal!;
      signals.push(signal);
      if (signal.aborted) throw signal.reason;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('event: segment\ndata: {"index":0,"role":"agent","text":"Hello.","start_ms":0,"end_ms":900,"interrupted":false}\n\n'));
          signal.addEventListener('abort', () => c.error(signal.reason));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as unknown as typeof globalThis.fetch;
    const client = new Parley({ apiKey: 'sk_test', fetch });
    const stop = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const segment of client.calls.streamTranscript('7d3c0b8e-9a5d-4a43-9f7e-0a4f5d3d2b11', { signal: stop.signal })) {
          seen.push(segment.text);
          stop.abort(new Error('left the page'));
        }
      })(),
    ).rejects.toThrow('left the page');
    expect(seen).toEqual(['Hello.']);
    // The request's own signal (what fetch closes the connection on) aborted with it.
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    // A GET aborted before it is answered is not retried (it would be, were it a lost connection).
    await expect(client.request('GET', '/v1/balance', { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
    expect(signals).toHaveLength(2);
  });

  it('pages through a list with for await, following starting_after', async () => {
    const { fetch, asked } = scripted([
      { status: 200, body: { object: 'list', data: [{ id: 'a1' }, { id: 'a2' }], has_more: true } },
      { status: 200, body: { object: 'list', data: [{ id: 'a3' }], has_more: false } },
    ]);
    const ids: string[] = [];
    for await (const agent of await new Parley({ apiKey: 'k', fetch }).agents.list({ limit: 2 })) ids.push(agent.id);
    expect(ids).toEqual(['a1', 'a2', 'a3']);
    expect(asked.map((a) => new URL(a.url).search)).toEqual(['?limit=2', '?limit=2&starting_after=a2']);
  });
});

describe('webhooks.unwrap', () => {
  const secret = `whsec_${Buffer.from('a secret of 24 bytes!!!!').toString('base64')}`;
  const sign = (id: string, ts: number, body: string) => `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.${body}`).digest('base64')}`;

  it('returns the event of a delivery signed with the secret, and refuses a changed body, a wrong secret or an old one', async () => {
    const client = new Parley({ apiKey: 'k', webhookSecret: secret });
    const body = JSON.stringify({ type: 'call.completed', timestamp: '2026-12-04T00:00:00Z', data: { id: 'c1' } });
    const ts = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,bm90IGl0 ${sign('msg_1', ts, body)}` };
    expect(await client.webhooks.unwrap(body, headers)).toMatchObject({ type: 'call.completed', data: { id: 'c1' } });
    expect(await client.webhooks.unwrap(body, new Headers(headers))).toMatchObject({ type: 'call.completed' });
    await expect(client.webhooks.unwrap(body.replace('c1', 'c2'), headers)).rejects.toBeInstanceOf(WebhookVerificationError);
    await expect(client.webhooks.unwrap(body, headers, `whsec_${Buffer.from('another secret').toString('base64')}`)).rejects.toBeInstanceOf(WebhookVerificationError);
    const old = ts - 3600;
    await expect(client.webhooks.unwrap(body, { ...headers, 'webhook-timestamp': String(old), 'webhook-signature': sign('msg_1', old, body) })).rejects.toThrow(/too far/);
  });
});
