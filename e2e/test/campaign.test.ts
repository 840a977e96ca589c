import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 20: a small campaign through the simulator with the real services and the api's scheduler.
let tp: TestPlatform;
let account: Account;
beforeAll(async () => {
  tp = await startTestPlatform({ CAMPAIGN_TICK_MS: '500' });
  account = await tp.createAccount('Campaign clinic');
});
afterAll(async () => tp?.stop());

describe('a campaign, end to end', () => {
  it('calls its list two at a time, retries a busy line, exhausts one that stays busy, and completes with the right counts', async () => {
    const { agent } = await sandboxAgent(tp, account, '+15550100051', {
      name: 'Campaign agent',
      type: 'outbound',
      instructions: 'Remind the patient of the appointment.',
      initial_greeting: 'Hello, this is the clinic with a reminder for tomorrow.',
      tools: [{ type: 'end_call' }],
      max_duration_seconds: 60,
    });
    const answers = '+15550142051';
    const busyOnce = '+15550142052';
    const alwaysBusy = '+15550100486'; // the simulator's busy number
    const listed = '+15550142054';
    const answer = { outcome: 'answer', answer_after_ms: 300, lines: ['Hello?', 'Yes, thank you.'], hangup_after_ms: 5000 };
    await tp.scenario(answers, answer);
    await tp.scenario(busyOnce, { outcome: 'busy', then: answer });
    await tp.api(account, 'POST', '/v1/do_not_call', { number: listed });

    const hook = await tp.webhookReceiver(account.webhook_secret);
    const created = await tp.api(account, 'POST', '/v1/campaigns', {
      name: 'Tomorrow',
      webhook_url: hook.url,
      agent_id: agent.id,
      max_concurrent_calls: 2,
      schedule: { window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' }, timezone: 'UTC' },
      retry: { on: ['busy'], max_attempts: 2, backoff_minutes: 0 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const upload = await tp.api(account, 'POST', `/v1/campaigns/${id}/recipients`, [{ to: answers, context: { name: 'Ana' } }, { to: busyOnce }, { to: alwaysBusy }, { to: listed }]);
    expect(upload.body).toMatchObject({ accepted: 3, rejected: [{ line: 4, value: listed }] });
    expect((await tp.api(account, 'POST', `/v1/campaigns/${id}/start`)).body.status).toBe('scheduled');

    const deadline = Date.now() + 150_000;
    let campaign: any;
    for (;;) {
      campaign = (await tp.api(account, 'GET', `/v1/campaigns/${id}`)).body;
      expect(campaign.progress.in_progress).toBeLessThanOrEqual(2);
      if (campaign.status === 'completed' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(campaign).toMatchObject({ status: 'completed', progress: { total: 3, pending: 0, in_progress: 0, exhausted: 1, skipped: 0, done: { completed: 2 } } });
    const rows = (await tp.api(account, 'GET', `/v1/campaigns/${id}/recipients?limit=10`)).body.data;
    const row = (n: string) => rows.find((r: any) => r.to === n);
    expect(row(answers)).toMatchObject({ state: 'done', outcome: 'completed', attempts: 1 });
    expect(row(alwaysBusy)).toMatchObject({ state: 'exhausted', outcome: 'busy', attempts: 2 });
    expect(row(busyOnce)).toMatchObject({ state: 'done', outcome: 'completed', attempts: 2 });

    const calls = (await tp.api(account, 'GET', `/v1/calls?limit=100&campaign_id=${id}`)).body.data;
    expect(calls).toHaveLength(campaign.progress.calls_placed);
    expect(calls.every((c: any) => c.campaign_id === id)).toBe(true);
    expect(calls.filter((c: any) => c.to_number === answers)[0]).toMatchObject({ status: 'completed', context: { name: 'Ana' } });
    expect(calls.filter((c: any) => c.to_number === alwaysBusy).map((c: any) => c.status)).toEqual(['busy', 'busy']);
    expect(calls.filter((c: any) => c.to_number === busyOnce).map((c: any) => c.status)).toEqual(['completed', 'busy']);
    expect(calls.some((c: any) => c.to_number === listed)).toBe(false);

    // The campaign's webhooks, signed with the account's secret by the webhooks service; its calls' too.
    await expect.poll(() => hook.deliveries.filter((d) => d.payload?.type === 'campaign.completed').length, { timeout: 20_000 }).toBe(1);
    const campaignHooks = hook.deliveries.filter((d) => String(d.payload?.type).startsWith('campaign.'));
    expect(campaignHooks.map((d) => [d.payload.type, d.verified])).toEqual([['campaign.started', true], ['campaign.completed', true]]);
    expect(campaignHooks[1]!.payload.data).toMatchObject({ id, status: 'completed', progress: { exhausted: 1, done: { completed: 2 } } });
    await expect.poll(() => hook.deliveries.filter((d) => d.payload?.type === 'call.completed').length, { timeout: 20_000 }).toBe(campaign.progress.calls_placed);
  });
});
