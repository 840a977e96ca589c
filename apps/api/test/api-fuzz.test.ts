import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TYPE_BY_STATUS } from '@parley/common';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';
import { hostileValue, type JsonSchema, type KnownValues, mutated, validValue } from './support/openapi-arbitraries';

// Every operation of the api's own OpenAPI document gets generated requests, valid-ish and mutated; none may get a
// 5xx, every 4xx must have the one error shape, and a refused request must write nothing. FUZZ_SEED replays a run.
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 30);

interface Operation {
  method: string;
  path: string;
  query: Array<{ name: string; schema: JsonSchema }>;
  body?: JsonSchema;
  /** The statuses the document gives for this operation. */
  statuses: string[];
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Answer {
  status: number;
  contentType: string;
  body: any;
}

let api: ApiHarness;
let acct: TestAccount;
let operations: Operation[];
let known: KnownValues;
let idsByCollection: Record<string, string>;

beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount('Fuzz');
  const { agent, number } = await outboundSetup(api, acct);
  const key = acct.apiKey;
  const trunk = await api.call('POST', '/v1/trunks', { key, body: { name: 'Carrier', host: 'sip.example.com' } });
  const endpoint = await api.call('POST', '/v1/webhook_endpoints', { key, body: { url: 'https://hooks.example.com/x', events: ['call.completed'] } });
  const call = await api.call('POST', '/v1/calls', { key, body: { agent_id: agent.id, to: randomE164() } });
  idsByCollection = { calls: call.body.id, agents: agent.id, numbers: number.id, trunks: trunk.body.id, webhook_endpoints: endpoint.body.id, webhook_deliveries: 'msg_0' };
  const e164 = fc.integer({ min: 0, max: 9_999_999 }).map((n) => `+1555${String(n).padStart(7, '0')}`);
  known = {
    agent_id: fc.constantFrom(agent.id, call.body.agent_id),
    trunk_id: fc.constantFrom(acct.sandboxTrunkId, trunk.body.id),
    number_ids: fc.constant([number.id]),
    from_number: fc.constant(number.number),
    primary_number_id: fc.constant(number.id),
    number: e164,
    to: e164,
    // the short form of `returns`, so that agents get created and updated, not only refused
    returns: fc.option(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), fc.constantFrom('string', 'boolean', 'number', 'date', 'enum(yes|no)', 'string?'), { minKeys: 1, maxKeys: 4 }), { nil: null }),
    starting_after: fc.constantFrom(agent.id, number.id, trunk.body.id, call.body.id, '1'),
  };
  const doc = (await api.call('GET', '/v1/openapi.json')).body;
  operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p: any) => p.in === 'query'),
      body: op.requestBody?.content['application/json']?.schema,
      statuses: Object.keys(op.responses),
    })),
  );
});
afterAll(async () => api?.close());

/** Counts and last updates of what requests write, to tell that a refused request wrote nothing. */
async function writes(): Promise<unknown> {
  const [row] = await api.ds.query(`SELECT
    (SELECT count(*) FROM agents) AS agents, (SELECT max(updated_at) FROM agents) AS agents_at,
    (SELECT count(*) FROM trunks) AS trunks, (SELECT max(updated_at) FROM trunks) AS trunks_at,
    (SELECT count(*) FROM phone_numbers) AS numbers, (SELECT max(updated_at) FROM phone_numbers) AS numbers_at,
    (SELECT count(*) FROM webhook_endpoints) AS endpoints, (SELECT max(updated_at) FROM webhook_endpoints) AS endpoints_at,
    (SELECT count(*) FROM calls) AS calls, (SELECT count(*) FROM idempotency_keys) AS idempotency_keys,
    (SELECT count(*) FROM credit_ledger) AS ledger`);
  return row;
}

/** Path ids: ones that exist, and ones no route should choke on (percent-encoded NUL, bad UTF-8, very long...). */
function pathId(collection: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(idsByCollection[collection] ?? 'x') },
    fc.uuid(),
    fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom('%00', 'x%00y', '%zz', '%ED%B0%80', '%C0%AF', '%2F', '..', '%2e%2e', '-1', '99999999999999999999', 'null', '%20'),
    fc.integer({ min: 90, max: 5_000 }).map((n) => 'i'.repeat(n)),
  );
}

function queryString(op: Operation): fc.Arbitrary<string> {
  const params = fc.record(Object.fromEntries(op.query.map((q) => [q.name, fc.oneof({ weight: 3, arbitrary: validValue(q.schema, known, q.name) }, hostileValue)])), { requiredKeys: [] });
  // Raw tails that URLSearchParams would never write: bad percent-encoding, NUL, a lone surrogate, repeated names.
  const rawTail = fc.option(fc.tuple(fc.constantFrom(...op.query.map((q) => q.name), 'x'), fc.constantFrom('%00', '%ED%A0%80', '%zz', '%', '', '1&limit=2', '%C0%80')), { nil: undefined });
  return fc.tuple(params, rawTail).map(([p, tail]) => {
    const pairs = Object.entries(p).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v) ?? ''] as [string, string]);
    const text = [new URLSearchParams(pairs).toString(), tail ? `${tail[0]}=${tail[1]}` : ''].filter(Boolean).join('&');
    return text ? `?${text}` : '';
  });
}

/** The body as sent: JSON of a mutated (or valid) value, or a broken body, with a content type that may be wrong. */
function body(op: Operation): fc.Arbitrary<{ text?: string; contentType?: string }> {
  const valid = op.body ? validValue(op.body, known) : fc.constant(undefined);
  const value = op.body ? fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: mutated(valid) }, mutated(mutated(valid))) : hostileValue;
  const asJson = value.map((v) => ({ text: JSON.stringify(v), contentType: 'application/json' }));
  const broken = fc.oneof(
    value.map((v) => ({ text: JSON.stringify(v)?.slice(0, -1) ?? '{', contentType: 'application/json' })),
    value.map((v) => ({ text: `{"__proto__": {"admin": true}, "x": ${JSON.stringify(v) ?? 1}}`, contentType: 'application/json' })),
    fc.tuple(value, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsonx', '')).map(([v, ct]) => ({
      text: JSON.stringify(v) ?? '',
      contentType: ct || undefined,
    })),
    fc.constant({ text: '', contentType: 'application/json' }),
    fc.constant({}),
  );
  // A route without a body mostly gets none; one with a body mostly gets JSON.
  return op.body ? fc.oneof({ weight: 4, arbitrary: asJson }, broken) : fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, asJson, broken);
}

function requestFor(op: Operation): fc.Arbitrary<Sent> {
  const collection = op.path.split('/')[2]!;
  const authorization = fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${acct.apiKey}`) },
    fc.constantFrom(undefined, 'Bearer', 'Bearer sk_live_unknown', 'Basic Zm9vOmJhcg==', `Bearer ${acct.apiKey} extra`, `Bearer ${acct.apiKey.toUpperCase()}`),
  );
  const idempotencyKey = fc.option(fc.stringMatching(/^[\x21-\x7e]{1,300}$/), { nil: undefined });
  return fc.tuple(pathId(collection), queryString(op), body(op), authorization, idempotencyKey).map(([id, query, b, auth, idempotencyKey]) => {
    const headers: Record<string, string> = auth ? { authorization: auth } : {};
    if (b.contentType) headers['content-type'] = b.contentType;
    if (idempotencyKey && op.path === '/v1/calls') headers['idempotency-key'] = idempotencyKey;
    return { method: op.method, path: op.path.replace(/\{\w+\}/g, id) + query, headers, body: b.text };
  });
}

/** node:http sends the path as written (fetch would normalise it); a streaming answer is cut after its head. */
function send(sent: Sent): Promise<Answer> {
  const { port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    // An explicit length: without it node:http streams a DELETE's body unframed and the server reads garbage.
    const headers = sent.body === undefined ? sent.headers : { ...sent.headers, 'content-length': String(Buffer.byteLength(sent.body)) };
    const req = request({ host: '127.0.0.1', port, method: sent.method, path: sent.path, headers, timeout: 15_000 }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode!, contentType, body: null });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: the shape check below reports it
        }
        resolve({ status: res.statusCode!, contentType, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(sent.body);
  });
}

function describeRequest(sent: Sent, answer: Answer): string {
  const bodyText = sent.body && sent.body.length > 300 ? `${sent.body.slice(0, 300)}... (${sent.body.length} chars)` : sent.body;
  const path = sent.path.length > 300 ? `${sent.path.slice(0, 300)}... (${sent.path.length} chars)` : sent.path;
  return `${sent.method} ${path} ${JSON.stringify(sent.headers['content-type'] ?? null)} ${bodyText ?? ''}\n-> ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 500)}`;
}

function expectErrorShape(answer: Answer, context: string) {
  expect(answer.contentType, context).toMatch(/^application\/json/);
  expect(Object.keys(answer.body ?? {}), context).toEqual(['error']);
  const error = answer.body.error;
  expect(Object.keys(error).sort(), context).toEqual(['code', 'message', 'param', 'type']);
  expect(error.type, context).toBe(ERROR_TYPE_BY_STATUS[answer.status]);
  expect(typeof error.code === 'string' && error.code.length > 0, context).toBe(true);
  expect(typeof error.message, context).toBe('string');
  expect(error.param === null || typeof error.param === 'string', context).toBe(true);
}

/** Any failure, in a check or in generating a request, names the seed that replays it. */
async function assertWithSeed(op: Operation, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    throw new Error(`FUZZ_SEED=${SEED} (${op.method} ${op.path}): ${(error as Error).message}`, { cause: error });
  }
}

describe('every operation of the OpenAPI document under generated hostile requests', () => {
  it('never answers 5xx, answers only documented statuses, every 4xx in the error shape, and writes nothing when it refuses', async () => {
    expect(operations.length).toBeGreaterThan(30);
    for (const op of operations) {
      const property = fc.asyncProperty(requestFor(op), async (sent) => {
        const before = await writes();
        const answer = await send(sent);
        const context = `FUZZ_SEED=${SEED} ${op.method} ${op.path}\n${describeRequest(sent, answer)}`;
        expect(answer.status, context).toBeLessThan(500);
        expect(op.statuses, `${context}\nnot a documented status`).toContain(String(answer.status));
        if (answer.status >= 400) {
          expectErrorShape(answer, context);
          expect(await writes(), context).toEqual(before);
        }
      });
      await assertWithSeed(op, () => fc.assert(property, { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true }));
    }
  }, 180_000);
});
