import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 20: kill -9 of the api (which runs the campaign scheduler) and of a dialer while a campaign places its calls.
let tp: TestPlatform;
let account: Account;
beforeAll(async () => {
  tp = await startTestPlatform({ CAMPAIGN_TICK_MS: '200' });
  account = await tp.createAccount('Crashing campaign');
});
afterAll(async () => tp?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a campaign through kill -9 of its scheduler and of the dialer', () => {
  it('calls every recipient exactly once and completes', async () => {
    const { agent } = await sandboxAgent(tp, account, '+15550100061', {
      name: 'Crash campaign',
      type: 'outbound',
      initial_greeting: 'Hello, a quick reminder from the clinic.',
      tools: [{ type: 'end_call' }],
      max_duration_seconds: 60,
    });
    const numbers = Array.from({ length: 12 }, (_, i) => `+155501420${String(60 + i).padStart(2, '0')}`);
    for (const n of numbers) await tp.scenario(n, { outcome: 'answer', answer_after_ms: 200, lines: [], hangup_after_ms: 2500 });
    const created = await tp.api(account, 'POST', '/v1/campaigns', {
      name: 'Through crashes',
      agent_id: agent.id,
      max_concurrent_calls: 4,
      schedule: { window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' } },
    });
    const id = created.body.id;
    expect((await tp.api(account, 'POST', `/v1/campaigns/${id}/recipients`, numbers.map((to) => ({ to })))).body.accepted).toBe(12);
    await tp.api(account, 'POST', `/v1/campaigns/${id}/start`);

    const placed = async () => (await tp.api(account, 'GET', `/v1/campaigns/${id}`)).body.progress?.calls_placed ?? 0;
    for (const [service, after] of [['api', 2], ['dialer', 5], ['api', 8]] as const) {
      while ((await placed()) < after) await sleep(100);
      const proc = tp.platform.get(service);
      await proc.kill('SIGKILL');
      await sleep(500);
      await proc.restart();
    }

    const deadline = Date.now() + 150_000;
    let campaign: any;
    do {
      await sleep(500);
      campaign = (await tp.api(account, 'GET', `/v1/campaigns/${id}`)).body;
    } while (campaign?.status !== 'completed' && Date.now() < deadline);
    expect(campaign.status, JSON.stringify(campaign)).toBe('completed');
    expect(campaign.progress).toMatchObject({ total: 12, pending: 0, in_progress: 0 });

    const rows = (await tp.api(account, 'GET', `/v1/campaigns/${id}/recipients?limit=100`)).body.data;
    for (const r of rows) expect(r.call_ids, r.to).toHaveLength(1);
    const calls = (await tp.api(account, 'GET', `/v1/calls?limit=100&campaign_id=${id}`)).body.data;
    expect(calls.map((c: any) => c.to_number).sort()).toEqual([...numbers].sort());
    expect(calls.every((c: any) => ['completed', 'failed', 'no_answer', 'busy', 'canceled'].includes(c.status))).toBe(true);
    // The far ends agree: each number was dialed once.
    const digits = (n: string) => n.replace(/\D/g, '');
    const dialed = (await tp.simCalls()).filter((c: any) => numbers.some((n) => digits(String(c.to)) === digits(n)));
    expect(dialed).toHaveLength(12);
  });
});
