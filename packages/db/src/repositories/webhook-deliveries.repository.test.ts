import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountEntity } from '../entities/account.entity';
import { WebhookDeliveryAttemptEntity, WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import { WebhookEndpointEntity } from '../entities/webhook-endpoint.entity';
import { createTestDatabase } from '../test-database';
import { type DeliveryAttemptLog, type NewWebhookDelivery, WebhookDeliveriesRepository } from './webhook-deliveries.repository';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let deliveries: WebhookDeliveriesRepository;
let seq = 0;

beforeAll(async () => {
  db = await createTestDatabase('parley_webhook_deliveries');
  deliveries = new WebhookDeliveriesRepository(db.dataSource);
  for (const id of ['acct_a', 'acct_b']) {
    await db.dataSource.getRepository(AccountEntity).insert({ id, name: id, webhookSecret: `sealed-${id}`, rateMilliCentsPerMinute: 0, billingIncrementSeconds: 1, billingMinimumSeconds: 0 });
  }
  const endpoint = { accountId: 'acct_a', url: 'https://example.com/endpoint', events: ['call.completed' as const], enabled: true, secret: 'sealed-we' };
  await db.dataSource.getRepository(WebhookEndpointEntity).insert([
    { ...endpoint, id: 'we_rotated', previousSecret: 'sealed-old', previousSecretExpiresAt: new Date(Date.now() + 3_600_000) },
    { ...endpoint, id: 'we_expired', previousSecret: 'sealed-older', previousSecretExpiresAt: new Date(Date.now() - 1000), enabled: false },
  ]);
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await db.dataSource.query('DELETE FROM webhook_deliveries');
});

function delivery(fields: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery {
  const id = `msg_${++seq}`;
  return {
    id,
    accountId: 'acct_a',
    endpointId: null,
    callId: randomUUID(),
    url: 'https://example.com/call',
    eventType: 'call.completed',
    eventId: `evt_${id}`,
    payload: { type: 'call.completed', timestamp: '2026-01-01T00:00:00.000Z', data: { id } },
    ...fields,
  };
}

const row = (id: string) => db.dataSource.getRepository(WebhookDeliveryEntity).findOneByOrFail({ id });
const attemptsOf = (id: string) => db.dataSource.getRepository(WebhookDeliveryAttemptEntity).find({ where: { deliveryId: id }, order: { attempt: 'ASC' } });
const outcome = (fields: Partial<DeliveryAttemptLog> = {}): DeliveryAttemptLog => ({ startedAt: new Date(), statusCode: 500, latencyMs: 12, error: 'HTTP 500', responseBody: 'oops', ...fields });

/** Ages a delivery: settled (or last changed) `daysAgo` days ago. */
async function age(id: string, daysAgo: number): Promise<void> {
  await db.dataSource.getRepository(WebhookDeliveryEntity).update({ id }, { updatedAt: new Date(Date.now() - daysAgo * 86_400_000) });
}

describe('WebhookDeliveriesRepository', () => {
  it('enqueues pending deliveries due now, one per event and target; a repeated event adds nothing', async () => {
    const toCall = delivery({ eventId: 'evt_1' });
    const toEndpoint = delivery({ eventId: 'evt_1', endpointId: 'we_rotated', url: 'https://example.com/endpoint' });
    expect(await deliveries.enqueue([toCall, toEndpoint])).toEqual(new Set([toCall.id, toEndpoint.id]));
    expect(await row(toCall.id)).toMatchObject({ status: 'pending', attempts: 0, endpointId: null, callId: toCall.callId, eventId: 'evt_1', payload: toCall.payload });
    expect((await row(toEndpoint.id)).nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

    const again = [delivery({ eventId: 'evt_1' }), delivery({ eventId: 'evt_1', endpointId: 'we_rotated' }), delivery({ eventId: 'evt_2' })];
    expect(await deliveries.enqueue(again)).toEqual(new Set([again[2]!.id]));
    expect(await deliveries.hasCallDelivery('acct_a', 'evt_1')).toBe(true);
    expect(await deliveries.hasCallDelivery('acct_b', 'evt_1')).toBe(false);
    expect(await deliveries.hasCallDelivery('acct_a', 'evt_3')).toBe(false);
  });

  it('claims due deliveries oldest first, leases them, and brings the secrets that sign them', async () => {
    const [first, second, later] = [delivery(), delivery({ endpointId: 'we_rotated', url: 'ignored' }), delivery({ endpointId: 'we_expired' })];
    await deliveries.enqueue([first, second, later]);
    const repo = db.dataSource.getRepository(WebhookDeliveryEntity);
    await repo.update({ id: first.id }, { nextAttemptAt: new Date(Date.now() - 2000) });
    await repo.update({ id: second.id }, { nextAttemptAt: new Date(Date.now() - 1000) });
    await repo.update({ id: later.id }, { nextAttemptAt: new Date(Date.now() + 60_000) });

    const claimed = await deliveries.claimDue(10, 60_000);
    expect(claimed.map((d) => d.id)).toEqual([first.id, second.id]);
    expect(claimed[0]).toEqual({
      id: first.id,
      accountId: 'acct_a',
      endpointId: null,
      callId: first.callId,
      url: first.url,
      eventType: 'call.completed',
      payload: first.payload,
      attempts: 0,
      endpointUrl: null,
      endpointSecret: null,
      endpointPreviousSecret: null,
      endpointEnabled: null,
      accountSecret: 'sealed-acct_a',
    });
    expect(claimed[1]).toMatchObject({ endpointId: 'we_rotated', endpointUrl: 'https://example.com/endpoint', endpointSecret: 'sealed-we', endpointPreviousSecret: 'sealed-old', endpointEnabled: true });
    expect((await row(first.id)).nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    // Leased: not due again until the lease runs out.
    expect(await deliveries.claimDue(10, 60_000)).toEqual([]);

    await repo.update({ id: later.id }, { nextAttemptAt: new Date(Date.now() - 1000) });
    const [expired] = await deliveries.claimDue(10, 1);
    expect(expired).toMatchObject({ id: later.id, endpointEnabled: false, endpointPreviousSecret: null });
    await new Promise((r) => setTimeout(r, 20));
    expect((await deliveries.claimDue(10, 60_000)).map((d) => d.id)).toEqual([later.id]);
  });

  it('never gives one delivery to two claimers: rows locked by a claim in progress are skipped', async () => {
    const rows = Array.from({ length: 6 }, () => delivery());
    await deliveries.enqueue(rows);
    let inside: string[] = [];
    let outside: string[] = [];
    await db.dataSource.transaction(async (m) => {
      inside = (await deliveries.with(m).claimDue(3, 60_000)).map((d) => d.id);
      // The transaction still holds its rows: another claimer gets the rest, without waiting.
      outside = (await deliveries.claimDue(10, 60_000)).map((d) => d.id);
    });
    expect(inside).toHaveLength(3);
    expect(outside).toHaveLength(3);
    expect(new Set([...inside, ...outside]).size).toBe(6);
  });

  it('records attempts: settles each delivery, counts and logs the attempt, and leaves one settled meanwhile alone', async () => {
    const [retried, delivered, failed] = [delivery(), delivery(), delivery()];
    await deliveries.enqueue([retried, delivered, failed]);
    const next = new Date(Date.now() + 30_000);
    const startedAt = new Date(Date.now() - 100);
    await deliveries.recordAttempts([
      { id: retried.id, url: 'https://example.com/a', outcome: outcome({ startedAt }), next: { status: 'pending', nextAttemptAt: next } },
      { id: delivered.id, url: 'https://example.com/b', outcome: outcome({ statusCode: 200, error: null, responseBody: 'ok' }), next: { status: 'delivered' } },
      { id: failed.id, url: 'https://example.com/c', outcome: outcome({ statusCode: null, error: 'refused' }), next: { status: 'failed' } },
    ]);
    expect(await row(retried.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: next, lastStatusCode: 500, lastError: 'HTTP 500', lastLatencyMs: 12, deliveredAt: null });
    expect(await row(delivered.id)).toMatchObject({ status: 'delivered', attempts: 1, nextAttemptAt: null, lastStatusCode: 200, lastError: null });
    expect((await row(delivered.id)).deliveredAt).toBeInstanceOf(Date);
    expect(await row(failed.id)).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null, lastError: 'refused' });
    expect(await attemptsOf(retried.id)).toEqual([
      expect.objectContaining({ accountId: 'acct_a', attempt: 1, url: 'https://example.com/a', startedAt, statusCode: 500, latencyMs: 12, error: 'HTTP 500', responseBody: 'oops' }),
    ]);

    await deliveries.recordAttempts([
      { id: retried.id, url: 'https://example.com/a', outcome: outcome({ statusCode: 200, error: null }), next: { status: 'delivered' } },
      { id: delivered.id, url: 'https://example.com/b', outcome: outcome(), next: { status: 'failed' } },
    ]);
    expect(await row(retried.id)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect((await attemptsOf(retried.id)).map((a) => a.attempt)).toEqual([1, 2]);
    expect(await row(delivered.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(await attemptsOf(delivered.id)).toHaveLength(1);
  });

  it('fails an unsent delivery only while it is pending, and only in its account', async () => {
    const [pending, done] = [delivery(), delivery()];
    await deliveries.enqueue([pending, done]);
    await deliveries.recordAttempts([{ id: done.id, url: done.url, outcome: outcome({ statusCode: 200, error: null }), next: { status: 'delivered' } }]);
    await deliveries.failUnsent('acct_b', pending.id, 'not sent');
    expect(await row(pending.id)).toMatchObject({ status: 'pending' });
    await deliveries.failUnsent('acct_a', pending.id, 'not sent: the endpoint is disabled');
    await deliveries.failUnsent('acct_a', done.id, 'not sent');
    expect(await row(pending.id)).toMatchObject({ status: 'failed', nextAttemptAt: null, lastError: 'not sent: the endpoint is disabled', attempts: 0 });
    expect(await row(done.id)).toMatchObject({ status: 'delivered', lastError: null });
  });

  it('counts the backlog: deliveries pending, and those due now', async () => {
    const [due, waiting, done] = [delivery(), delivery(), delivery()];
    await deliveries.enqueue([due, waiting, done]);
    await db.dataSource.getRepository(WebhookDeliveryEntity).update({ id: waiting.id }, { nextAttemptAt: new Date(Date.now() + 60_000) });
    await deliveries.recordAttempts([{ id: done.id, url: done.url, outcome: outcome(), next: { status: 'failed' } }]);
    expect(await deliveries.backlog()).toEqual({ pending: 2, due: 1 });
  });

  it('deletes settled deliveries older than the cutoff with their attempts, oldest first, up to the limit; pending ones stay', async () => {
    const rows = Array.from({ length: 5 }, () => delivery());
    await deliveries.enqueue(rows);
    const [oldest, old, recent, oldPending, older] = rows.map((r) => r.id) as [string, string, string, string, string];
    await deliveries.recordAttempts(
      [oldest, old, recent, older].map((id) => ({ id, url: 'https://example.com/call', outcome: outcome(), next: { status: 'failed' } as const })),
    );
    await age(oldest, 30);
    await age(older, 20);
    await age(old, 8);
    await age(recent, 6);
    await age(oldPending, 40);
    const cutoff = new Date(Date.now() - 7 * 86_400_000);

    expect(await deliveries.deleteSettledBefore(cutoff, 2)).toBe(2);
    const left = async () => (await db.dataSource.getRepository(WebhookDeliveryEntity).find()).map((d) => d.id).sort();
    expect(await left()).toEqual([old, recent, oldPending].sort());
    expect(await attemptsOf(oldest)).toEqual([]);
    expect(await deliveries.deleteSettledBefore(cutoff, 2)).toBe(1);
    expect(await deliveries.deleteSettledBefore(cutoff, 2)).toBe(0);
    expect(await left()).toEqual([recent, oldPending].sort());
    expect(await attemptsOf(recent)).toHaveLength(1);
  });

  it("lists an endpoint's or a call's deliveries newest first, by status and page, with each one's attempts in order", async () => {
    const rows = Array.from({ length: 4 }, () => delivery({ endpointId: 'we_rotated' }));
    const other = delivery();
    await deliveries.enqueue([...rows, other]);
    const repo = db.dataSource.getRepository(WebhookDeliveryEntity);
    for (const [i, r] of rows.entries()) await repo.update({ id: r.id }, { createdAt: new Date(Date.now() - (10 - i) * 1000) });
    const [a, b, c, d] = rows.map((r) => r.id) as [string, string, string, string];
    await deliveries.recordAttempts([{ id: b, url: 'https://example.com/endpoint', outcome: outcome(), next: { status: 'pending', nextAttemptAt: new Date() } }]);
    await deliveries.recordAttempts([{ id: b, url: 'https://example.com/endpoint', outcome: outcome({ statusCode: 200, error: null }), next: { status: 'delivered' } }]);

    const first = await deliveries.listFor('acct_a', { endpointId: 'we_rotated' }, undefined, { limit: 3, after: null });
    expect(first.rows.map((r) => r.id)).toEqual([d, c, b]);
    expect(first.hasMore).toBe(true);
    const after = await deliveries.cursor('acct_a', { endpointId: 'we_rotated' }, b);
    expect(await deliveries.listFor('acct_a', { endpointId: 'we_rotated' }, undefined, { limit: 3, after })).toEqual({ rows: [expect.objectContaining({ id: a })], hasMore: false });
    expect((await deliveries.listFor('acct_a', { endpointId: 'we_rotated' }, 'delivered', { limit: 10, after: null })).rows.map((r) => r.id)).toEqual([b]);
    expect((await deliveries.listFor('acct_b', { endpointId: 'we_rotated' }, undefined, { limit: 10, after: null })).rows).toEqual([]);
    expect(await deliveries.cursor('acct_a', { endpointId: 'we_rotated' }, other.id)).toBeNull();
    expect(await deliveries.cursor('acct_b', { endpointId: 'we_rotated' }, b)).toBeNull();

    // A call's: its per-call webhook's and every endpoint's about it; no other call's, no other account's.
    const callId = randomUUID();
    const aboutCall = [delivery({ callId }), delivery({ callId, endpointId: 'we_rotated' })];
    await deliveries.enqueue(aboutCall);
    expect((await deliveries.listFor('acct_a', { callId }, undefined, { limit: 10, after: null })).rows.map((r) => r.id).sort()).toEqual(aboutCall.map((r) => r.id).sort());
    expect((await deliveries.listFor('acct_b', { callId }, undefined, { limit: 10, after: null })).rows).toEqual([]);
    expect(await deliveries.cursor('acct_a', { callId }, a)).toBeNull();

    expect((await deliveries.attemptsOf('acct_a', [a, b])).map((x) => [x.deliveryId, x.attempt, x.statusCode])).toEqual([[b, 1, 500], [b, 2, 200]]);
    expect(await deliveries.attemptsOf('acct_b', [b])).toEqual([]);
    expect(await deliveries.attemptsOf('acct_a', [])).toEqual([]);
    expect(await deliveries.get('acct_a', b)).toMatchObject({ id: b, status: 'delivered', attempts: 2 });
    expect(await deliveries.get('acct_b', b)).toBeNull();
  });

  it('makes a delivery due again: a settled one gets one more attempt, in its own account only', async () => {
    const [failed, waiting] = [delivery(), delivery()];
    await deliveries.enqueue([failed, waiting]);
    await deliveries.recordAttempts([{ id: failed.id, url: failed.url, outcome: outcome(), next: { status: 'failed' } }]);
    await db.dataSource.getRepository(WebhookDeliveryEntity).update({ id: waiting.id }, { nextAttemptAt: new Date(Date.now() + 60_000) });
    await deliveries.makeDue('acct_b', failed.id);
    expect(await row(failed.id)).toMatchObject({ status: 'failed' });
    await deliveries.makeDue('acct_a', failed.id);
    await deliveries.makeDue('acct_a', waiting.id);
    expect((await deliveries.claimDue(10, 60_000)).map((x) => [x.id, x.attempts]).sort()).toEqual([[failed.id, 1], [waiting.id, 0]].sort());
  });
});
