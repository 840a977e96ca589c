import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCredits } from '../src/billing/credits';
import { type ApiHarness, outboundSetup, randomE164, startApi } from './api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

async function ledgerSum(accountId: string): Promise<number> {
  return Number((await api.ds.query('SELECT COALESCE(SUM(amount_milli_cents),0) AS s FROM credit_ledger WHERE account_id = $1', [accountId]))[0].s);
}
async function balance(accountId: string): Promise<number | null> {
  const v = (await api.ds.query('SELECT balance_milli_cents AS b FROM accounts WHERE id = $1', [accountId]))[0].b;
  return v === null ? null : Number(v);
}

describe('credits and reservations', () => {
  it('creates exactly as many calls as the balance covers under 50 concurrent requests; the ledger sums to the balance', async () => {
    const acct = await api.createAccount('Capped');
    const { agent } = await outboundSetup(api, acct, { max_duration_seconds: 60 });
    // 60 s at 1000 mc/min = 1000 mc per reservation; room for exactly 10.
    await api.ds.transaction((m) => setCredits(m, acct.accountId, 10_000, 'set'));
    const results = await Promise.all(Array.from({ length: 50 }, () => api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 402);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(40);
    expect(refused[0]!.body.error).toMatchObject({ type: 'payment_required_error', code: 'insufficient_credit' });
    expect((await api.ds.query('SELECT count(*)::int AS n FROM calls WHERE account_id = $1', [acct.accountId]))[0].n).toBe(10);
    expect(await balance(acct.accountId)).toBe(0);
    expect(await ledgerSum(acct.accountId)).toBe(0);
    const bal = await api.call('GET', '/v1/balance', { key: acct.apiKey });
    expect(bal.body).toEqual({ object: 'balance', balance_milli_cents: 0, reserved_milli_cents: 10_000, rate_milli_cents_per_minute: 1000, web_rate_milli_cents_per_minute: 1000, billing_increment_seconds: 1, billing_minimum_seconds: 0 });
  });

  it('settles at the actual amount when answered and releases everything otherwise, for every terminal status', async () => {
    const acct = await api.createAccount('Settle');
    const { agent } = await outboundSetup(api, acct, { max_duration_seconds: 120 });
    await api.ds.transaction((m) => setCredits(m, acct.accountId, 100_000, 'set'));
    const cases = [
      { status: 'completed', answered: true, connectedMs: 30_000, billed: 30, amount: 500, reservation: 'settled' },
      { status: 'no_answer', answered: false, connectedMs: 0, billed: 0, amount: 0, reservation: 'released' },
      { status: 'busy', answered: false, connectedMs: 0, billed: 0, amount: 0, reservation: 'released' },
      { status: 'failed', answered: false, connectedMs: 0, billed: 0, amount: 0, reservation: 'released' },
    ] as const;
    let expectedBalance = 100_000;
    for (const c of cases) {
      const call = (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body;
      expect(await balance(acct.accountId)).toBe(expectedBalance - 2000);
      const t = Date.now();
      if (c.answered) await api.bus.publishCallEvent('answered', { call_id: call.id, account_id: acct.accountId, at: new Date(t).toISOString() }, {});
      await api.bus.publishCallEvent('ended', { call_id: call.id, account_id: acct.accountId, at: new Date(t + c.connectedMs).toISOString() }, {
        status: c.status,
        answered: c.answered,
        hangup_cause: null,
        hangup_cause_code: null,
        hangup_by: 'caller',
        error_code: null,
        error_message: null,
      });
      await expect.poll(async () => (await api.call('GET', `/v1/calls/${call.id}`, { key: acct.apiKey })).body.status).toBe(c.status);
      const after = (await api.call('GET', `/v1/calls/${call.id}`, { key: acct.apiKey })).body;
      expect(after).toMatchObject({ billed_duration_seconds: c.billed, billing_amount_milli_cents: c.amount, reservation_status: c.reservation });
      expectedBalance -= c.amount;
      expect(await balance(acct.accountId)).toBe(expectedBalance);
      expect(await ledgerSum(acct.accountId)).toBe(expectedBalance);
    }
    const canceled = (await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } })).body;
    expect((await api.call('POST', `/v1/calls/${canceled.id}/end`, { key: acct.apiKey })).body.reservation_status).toBe('released');
    expect(await balance(acct.accountId)).toBe(expectedBalance);
    const ledger = await api.call('GET', '/v1/credit_ledger?limit=3', { key: acct.apiKey });
    expect(ledger.body.data).toHaveLength(3);
    expect(ledger.body.data[0]).toMatchObject({ type: 'release', call_id: canceled.id, amount_milli_cents: 2000, balance_after_milli_cents: expectedBalance });
    const next = await api.call('GET', `/v1/credit_ledger?limit=100&starting_after=${ledger.body.data[2].id}`, { key: acct.apiKey });
    expect(next.body.data.every((e: any) => Number(e.id) < Number(ledger.body.data[2].id))).toBe(true);
  });

  it('keeps fresh accounts unlimited, with a non-zero default rate', async () => {
    const acct = await api.createAccount('Unlimited');
    const { agent } = await outboundSetup(api, acct);
    const call = await api.call('POST', '/v1/calls', { key: acct.apiKey, body: { agent_id: agent.id, to: randomE164() } });
    expect(call.status).toBe(201);
    const bal = await api.call('GET', '/v1/balance', { key: acct.apiKey });
    expect(bal.body).toMatchObject({ balance_milli_cents: null, reserved_milli_cents: 0 });
    expect(bal.body.rate_milli_cents_per_minute).toBeGreaterThan(0);
    // Becoming limited: the ledger starts at the balance set.
    await api.ds.transaction((m) => setCredits(m, acct.accountId, 5000, 'set'));
    await api.ds.transaction((m) => setCredits(m, acct.accountId, 2500, 'add'));
    expect(await balance(acct.accountId)).toBe(7500);
    expect(await ledgerSum(acct.accountId)).toBe(7500);
  });
});
