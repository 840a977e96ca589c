import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WebhookDeliveryStatus } from '@parley/common';
import { DeliveryRetention } from '../src/delivery/delivery-retention';
import { newCallId, startHarness } from './harness';

let h: Awaited<ReturnType<typeof startHarness>>;
beforeAll(async () => {
  h = await startHarness({ WEBHOOK_DELIVERY_RETENTION_DAYS: '7' });
});
afterAll(async () => {
  await h?.close();
});

/** A delivery in `status`, last changed `daysAgo` days ago, with one attempt. */
async function delivery(status: WebhookDeliveryStatus, daysAgo: number): Promise<string> {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const at = new Date(Date.now() - daysAgo * 86_400_000);
  await h.db.dataSource.query(
    `INSERT INTO webhook_deliveries (id, account_id, endpoint_id, call_id, url, event_type, event_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, NULL, $3, 'http://127.0.0.1:9/hook', 'call.completed', $1, '{}', $4, 1, $5, $6, $6)`,
    [id, h.accountId, newCallId(), status, status === 'pending' ? new Date(Date.now() + 86_400_000) : null, at],
  );
  await h.db.dataSource.query(`INSERT INTO webhook_delivery_attempts (delivery_id, account_id, attempt, url, started_at, latency_ms) VALUES ($1, $2, 1, 'http://127.0.0.1:9/hook', $3, 5)`, [
    id,
    h.accountId,
    at,
  ]);
  return id;
}

it('deletes deliveries settled before the retention with their attempts, at start and on each pass, and keeps the rest', async () => {
  const oldDelivered = await delivery('delivered', 8);
  const oldFailed = await delivery('failed', 30);
  const recent = await delivery('delivered', 6);
  const oldPending = await delivery('pending', 40);

  // At start.
  await h.start();
  const ids = async () => ((await h.db.dataSource.query(`SELECT id FROM webhook_deliveries`)) as Array<{ id: string }>).map((r) => r.id).sort();
  const waitFor = async (want: string[]) => {
    for (let i = 0; i < 200 && JSON.stringify(await ids()) !== JSON.stringify(want); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await ids()).toEqual(want);
  };
  await waitFor([recent, oldPending].sort());
  const attempts = (await h.db.dataSource.query(`SELECT delivery_id FROM webhook_delivery_attempts`)) as Array<{ delivery_id: string }>;
  expect(attempts.map((a) => a.delivery_id).sort()).toEqual([recent, oldPending].sort());
  expect([oldDelivered, oldFailed].some((id) => attempts.some((a) => a.delivery_id === id))).toBe(false);

  // A later pass takes what has aged since.
  await Promise.all(Array.from({ length: 12 }, () => delivery('failed', 9)));
  const retention = h.app!.get(DeliveryRetention);
  expect(await retention.prune()).toBe(12);
  expect(await retention.prune()).toBe(0);
  await waitFor([recent, oldPending].sort());
});
