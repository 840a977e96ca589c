import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

// Issue 20: the account's do-not-call list, and single calls refused to a listed number.
let api: ApiHarness;
let acct: TestAccount;
beforeAll(async () => {
  api = await startApi();
  acct = await api.createAccount('Do not call');
});
afterAll(async () => api?.close());

const csv = (text: string, key = acct.apiKey) => fetch(`${api.url}/v1/do_not_call/import`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: text }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe('/v1/do_not_call', () => {
  it('adds (201, then 200 unchanged), gets, lists newest first with a number as cursor, and removes numbers, per account', async () => {
    const [a, b, c] = [randomE164(), randomE164(), randomE164()];
    const first = await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body: { number: a, reason: 'asked on a call' } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ object: 'do_not_call_entry', number: a, reason: 'asked on a call', created_at: expect.any(String) });
    const again = await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body: { number: a, reason: 'other' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    for (const n of [b, c]) expect((await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body: { number: n } })).status).toBe(201);
    expect((await api.call('GET', `/v1/do_not_call/${encodeURIComponent(a)}`, { key: acct.apiKey })).body.number).toBe(a);

    const page1 = await api.call('GET', '/v1/do_not_call?limit=2', { key: acct.apiKey });
    expect(page1.body.has_more).toBe(true);
    const page2 = await api.call('GET', `/v1/do_not_call?limit=2&starting_after=${encodeURIComponent(page1.body.data[1].number)}`, { key: acct.apiKey });
    expect([...page1.body.data, ...page2.body.data].map((e: any) => e.number).filter((n: string) => [a, b, c].includes(n))).toEqual([c, b, a]);

    const other = await api.createAccount('Other list');
    expect((await api.call('GET', `/v1/do_not_call/${encodeURIComponent(a)}`, { key: other.apiKey })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/do_not_call/${encodeURIComponent(a)}`, { key: other.apiKey })).status).toBe(404);

    expect((await api.call('DELETE', `/v1/do_not_call/${encodeURIComponent(a)}`, { key: acct.apiKey })).body).toEqual({ object: 'do_not_call_entry', number: a, deleted: true });
    expect((await api.call('GET', `/v1/do_not_call/${encodeURIComponent(a)}`, { key: acct.apiKey })).status).toBe(404);
    expect((await api.call('DELETE', '/v1/do_not_call/not-a-number', { key: acct.apiKey })).status).toBe(404);
  });

  it('refuses a bad number or reason with the error shape and writes nothing', async () => {
    for (const body of [{ number: '555-1234' }, { number: randomE164(), reason: 'x'.repeat(501) }, { number: randomE164(), extra: 1 }, {}]) {
      const res = await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error' });
    }
  });

  it('imports a CSV: numbers cleaned of spaces and dashes, bad and repeated rows listed with their line, already listed ones counted', async () => {
    const listed = randomE164();
    await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body: { number: listed } });
    const fresh = randomE164();
    const spaced = `+1 555 ${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}-${String(Math.floor(Math.random() * 1e3)).padStart(3, '0')}`;
    const res = await csv(`name;Number;reason\nAna;${fresh};"asked; twice"\nBo;${spaced};\nCy;not a number;\nDi;${listed};\n\nEd;${fresh};dup\n`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      object: 'do_not_call_import',
      added: 2,
      already_listed: 1,
      rejected: [
        { line: 4, value: 'not a number', reason: expect.stringMatching(/E\.164/) },
        { line: 7, value: fresh, reason: expect.stringMatching(/earlier line/) },
      ],
    });
    expect((await api.call('GET', `/v1/do_not_call/${encodeURIComponent(fresh)}`, { key: acct.apiKey })).body.reason).toBe('asked; twice');
    expect((await api.call('GET', `/v1/do_not_call/${encodeURIComponent(spaced.replace(/[\s-]/g, ''))}`, { key: acct.apiKey })).status).toBe(200);
  });

  it('imports 100,000 numbers in one CSV', async () => {
    const base = 100_000_000 + Math.floor(Math.random() * 800_000_000);
    const rows = Array.from({ length: 100_000 }, (_, i) => `+1${base + i}`);
    const res = await csv(`number\n${rows.join('\n')}\n`);
    expect(res.body).toMatchObject({ added: 100_000, already_listed: 0, rejected: [] });
    expect((await api.ds.query(`SELECT count(*)::int AS n FROM do_not_call WHERE account_id = $1 AND number = ANY($2)`, [acct.accountId, [rows[0], rows[99_999]]]))[0].n).toBe(2);
  }, 120_000);

  it('refuses a CSV without a number column, and bodies that are neither JSON nor CSV', async () => {
    const res = await csv('name,email\nAna,a@example.com\n');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/"number" column/);
    const xml = await fetch(`${api.url}/v1/do_not_call/import`, { method: 'POST', headers: { authorization: `Bearer ${acct.apiKey}`, 'content-type': 'application/xml' }, body: '<numbers/>' });
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as any).error).toMatchObject({ type: 'invalid_request_error' });
  });
});

describe('POST /v1/calls to a listed number', () => {
  it('is refused with 403 number_on_do_not_call_list and writes nothing; taken off the list, the number is called', async () => {
    const { agent } = await outboundSetup(api, acct);
    const to = randomE164();
    await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body: { number: to } });
    const before = (await api.ds.query('SELECT count(*)::int AS n FROM calls WHERE account_id = $1', [acct.accountId]))[0].n;
    const refused = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ type: 'invalid_request_error', code: 'number_on_do_not_call_list', message: expect.stringContaining(to), param: 'to' });
    expect((await api.ds.query('SELECT count(*)::int AS n FROM calls WHERE account_id = $1', [acct.accountId]))[0].n).toBe(before);

    await api.call('DELETE', `/v1/do_not_call/${encodeURIComponent(to)}`, { key: acct.apiKey });
    expect((await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to } })).status).toBe(201);
  });

  it('is refused as soon as the number is listed, even by another process (psql, another api) after calls were placed', async () => {
    const other = await api.createAccount('Cached list');
    const { agent } = await outboundSetup(api, other);
    const to = randomE164();
    // The account had no list: its calls skip the lookup, and that is cached with the agent.
    expect((await api.call('POST', '/v1/calls', { key: other.apiKey, body: { agent_id: agent.id, to: randomE164() } })).status).toBe(201);
    await api.ds.query(`INSERT INTO do_not_call (account_id, number) VALUES ($1, $2)`, [other.accountId, to]);
    // The trigger's NOTIFY evicts the cached context; until it arrives the api may still skip the check.
    await expect.poll(async () => (await api.call('POST', '/v1/calls', { key: other.apiKey, body: { agent_id: agent.id, to } })).status, { timeout: 5000 }).toBe(403);
  });
});
