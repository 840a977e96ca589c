import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test-database';
import { testAccount } from './test-rows';
import { type NewWebhookEndpoint, WebhookEndpointsRepository } from './webhook-endpoints.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let endpoints: WebhookEndpointsRepository;

function endpoint(accountId: string, id: string, fields: Partial<NewWebhookEndpoint> = {}): NewWebhookEndpoint {
  return { id, accountId, url: `https://example.com/${id}`, events: ['call.completed'], description: null, enabled: true, secret: 'sealed', disabledReason: null, ...fields };
}

beforeAll(async () => {
  db = await createTestDatabase('parley_endpoints');
  endpoints = new WebhookEndpointsRepository(db.dataSource);
  await testAccount(db.dataSource, 'acct_a');
  await testAccount(db.dataSource, 'acct_b');
});

afterAll(async () => {
  await db?.drop();
});

describe('WebhookEndpointsRepository', () => {
  it('creates an endpoint and finds it only in its own account', async () => {
    await endpoints.create(endpoint('acct_a', 'we_one', { events: ['call.completed', 'call.ringing'], description: 'd' }));
    expect(await endpoints.get('acct_a', 'we_one')).toMatchObject({ url: 'https://example.com/we_one', events: ['call.completed', 'call.ringing'], description: 'd', enabled: true, previousSecret: null, previousSecretExpiresAt: null });
    expect(await endpoints.get('acct_b', 'we_one')).toBeNull();
  });

  it('updates within the account and stamps updated_at', async () => {
    const before = (await endpoints.get('acct_a', 'we_one'))!;
    await endpoints.update('acct_b', 'we_one', { url: 'https://other.example.com' });
    expect((await endpoints.get('acct_a', 'we_one'))!.url).toBe('https://example.com/we_one');
    const expires = new Date(Date.now() + 60_000);
    await endpoints.update('acct_a', 'we_one', { secret: 'sealed2', previousSecret: 'sealed', previousSecretExpiresAt: expires });
    const after = (await endpoints.get('acct_a', 'we_one'))!;
    expect(after).toMatchObject({ secret: 'sealed2', previousSecret: 'sealed', previousSecretExpiresAt: expires });
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
  });

  it('lists an account newest first, page by page', async () => {
    await testAccount(db.dataSource, 'acct_list');
    for (const n of [1, 2, 3]) await endpoints.create(endpoint('acct_list', `we_l${n}`));
    const first = await endpoints.list('acct_list', { limit: 2, after: null });
    expect(first.rows.map((e) => e.id)).toEqual(['we_l3', 'we_l2']);
    expect(first.hasMore).toBe(true);
    const second = await endpoints.list('acct_list', { limit: 2, after: await endpoints.cursor('acct_list', 'we_l2') });
    expect(second).toMatchObject({ rows: [{ id: 'we_l1' }], hasMore: false });
    expect(await endpoints.cursor('acct_list', 'we_one')).toBeNull();
  });

  it('gives the enabled targets of an account, and disables one with a reason', async () => {
    await testAccount(db.dataSource, 'acct_fan');
    await endpoints.create(endpoint('acct_fan', 'we_on', { events: ['call.ringing'] }));
    await endpoints.create(endpoint('acct_fan', 'we_off', { enabled: false }));
    await endpoints.create(endpoint('acct_fan', 'we_gone'));
    await endpoints.disable('we_gone', 'answered 410 Gone');
    expect(await endpoints.get('acct_fan', 'we_gone')).toMatchObject({ enabled: false, disabledReason: 'answered 410 Gone' });
    expect(await endpoints.enabledTargets('acct_fan')).toEqual([{ id: 'we_on', url: 'https://example.com/we_on', events: ['call.ringing'] }]);
  });

  it('deletes only within the account', async () => {
    await endpoints.delete('acct_b', 'we_one');
    expect(await endpoints.get('acct_a', 'we_one')).not.toBeNull();
    await endpoints.delete('acct_a', 'we_one');
    expect(await endpoints.get('acct_a', 'we_one')).toBeNull();
  });
});
