import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, randomE164, startApi, type TestAccount } from './api-harness';

let api: ApiHarness;
let a: TestAccount;
let b: TestAccount;
beforeAll(async () => {
  api = await startApi();
  a = await api.createAccount('A');
  b = await api.createAccount('B');
});
afterAll(async () => api?.close());

const addNumber = (acct: TestAccount, number: string, trunkId: string) => api.call('POST', '/v1/numbers', { key: acct.apiKey, body: { number, trunk_id: trunkId } });
const addTrunk = async (acct: TestAccount, name: string) => (await api.call('POST', '/v1/trunks', { key: acct.apiKey, body: { name, host: `${name}.example` } })).body.id as string;

describe('a number is unique on its trunk, not across accounts', () => {
  it('two accounts register the same number on their own trunks, and each sees only its own', async () => {
    const number = randomE164();
    const ofA = await addNumber(a, number, a.sandboxTrunkId);
    const ofB = await addNumber(b, number, b.sandboxTrunkId);
    expect(ofA.status).toBe(201);
    expect(ofB.status, JSON.stringify(ofB.body)).toBe(201);
    expect(ofB.body).toMatchObject({ number, trunk_id: b.sandboxTrunkId });
    const listed = (await api.call('GET', '/v1/numbers?limit=100', { key: b.apiKey })).body.data.filter((n: any) => n.number === number);
    expect(listed.map((n: any) => n.id)).toEqual([ofB.body.id]);
  });

  it("one account's other trunk may hold the number too; the same trunk twice is a 409 that names only the caller's trunk", async () => {
    const number = randomE164();
    await addNumber(b, number, b.sandboxTrunkId);
    const carrier = await addTrunk(a, 'carrier-a');
    expect((await addNumber(a, number, a.sandboxTrunkId)).status).toBe(201);
    expect((await addNumber(a, number, carrier)).status).toBe(201);
    const again = await addNumber(a, number, carrier);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ type: expect.any(String), code: 'number_taken', param: 'number' });
    expect(again.body.error.message).toContain(carrier);
    expect(again.body.error.message).not.toContain(b.accountId);
    expect(again.body.error.message).not.toContain(b.sandboxTrunkId);
  });

  it('moving a number onto a trunk that already holds it is a 409 number_taken, and the number stays where it was', async () => {
    const number = randomE164();
    const other = await addTrunk(a, 'carrier-move');
    await addNumber(a, number, other);
    const moving = await addNumber(a, number, a.sandboxTrunkId);
    const res = await api.call('PATCH', `/v1/numbers/${moving.body.id}`, { key: a.apiKey, body: { trunk_id: other } });
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'number_taken', param: 'number' });
    expect((await api.call('GET', `/v1/numbers/${moving.body.id}`, { key: a.apiKey })).body.trunk_id).toBe(a.sandboxTrunkId);
  });
});
