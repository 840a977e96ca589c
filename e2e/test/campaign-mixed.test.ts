import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 20: a campaign of a few hundred recipients with mixed scripted outcomes, through the real services, completes
// with exactly the expected outcome counts and attempts, every number dialed as often as its attempts say.
let tp: TestPlatform;
let account: Account;
beforeAll(async () => {
  tp = await startTestPlatform({ CAMPAIGN_TICK_MS: '1000', API_RATE_LIMIT_PER_SECOND: '10000' });
  account = await tp.createAccount('Campaign of hundreds');
});
afterAll(async () => tp?.stop());

const LINES = 20;
const numbers = (block: number, n: number) => Array.from({ length: n }, (_, i) => `+1555${block}${String(i).padStart(4, '0')}`);

describe('a campaign of a few hundred recipients', () => {
  it('completes with the scripted outcomes, retries and skips, never above its lines, never dialing a number more than its attempts', async () => {
    const { agent } = await sandboxAgent(tp, account, '+15550100052', {
      name: 'Survey',
      type: 'outbound',
      instructions: 'Ask one question.',
      initial_greeting: 'Hi, a quick survey.',
      voicemail_action: 'hangup',
      max_duration_seconds: 60,
    });
    const answer = { outcome: 'answer', answer_after_ms: 100, lines: ['Hello?'], speak_first: true, hangup_after_ms: 2500 };
    const groups = {
      answers: numbers(401, 100),
      alwaysBusy: numbers(402, 50),
      busyThenAnswer: numbers(403, 40),
      rejects: numbers(404, 20),
      voicemail: numbers(405, 20),
      listedLater: numbers(406, 10),
    };
    for (const n of groups.answers) await tp.scenario(n, answer);
    for (const n of groups.alwaysBusy) await tp.scenario(n, { outcome: 'busy', answer_after_ms: 50 });
    for (const n of groups.busyThenAnswer) await tp.scenario(n, { outcome: 'busy', answer_after_ms: 50, then: answer });
    for (const n of groups.rejects) await tp.scenario(n, { outcome: 'reject', answer_after_ms: 50 });
    for (const n of groups.voicemail) await tp.scenario(n, { outcome: 'voicemail', answer_after_ms: 100 });

    const created = await tp.api(account, 'POST', '/v1/campaigns', {
      name: 'Survey',
      agent_id: agent.id,
      max_concurrent_calls: LINES,
      schedule: { window: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' }, timezone: 'UTC' },
      retry: { on: ['busy', 'no_answer'], max_attempts: 2, backoff_minutes: 0 },
    });
    const id = created.body.id as string;
    // As NDJSON, shuffled so that outcomes interleave.
    const all = Object.values(groups).flat().sort(() => Math.random() - 0.5);
    const upload = await fetch(`${tp.platform.apiUrl}/v1/campaigns/${id}/recipients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.api_key}`, 'content-type': 'application/x-ndjson' },
      body: all.map((to) => JSON.stringify({ to, context: { n: to.slice(-4) } })).join('\n'),
    }).then((r) => r.json() as Promise<any>);
    expect(upload).toMatchObject({ accepted: 240, rejected_count: 0 });
    // Put on the do-not-call list after the upload: skipped when their turn comes, never dialed.
    for (const n of groups.listedLater) expect((await tp.api(account, 'POST', '/v1/do_not_call', { number: n })).status).toBe(201);
    expect((await tp.api(account, 'POST', `/v1/campaigns/${id}/start`)).body.status).toBe('scheduled');

    const deadline = Date.now() + 200_000;
    let campaign: any;
    let maxLive = 0;
    for (;;) {
      campaign = (await tp.api(account, 'GET', `/v1/campaigns/${id}`)).body;
      maxLive = Math.max(maxLive, campaign.progress.in_progress);
      if (campaign.status === 'completed' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(campaign.status).toBe('completed');

    // Each recipient's attempts and calls, and the simulator's dials of its number, agree.
    const recipients: any[] = [];
    for (let after = ''; ; ) {
      const page = (await tp.api(account, 'GET', `/v1/campaigns/${id}/recipients?limit=100${after}`)).body;
      recipients.push(...page.data);
      if (!page.has_more) break;
      after = `&starting_after=${page.data.at(-1).id}`;
    }
    const dialed = new Map<string, number>();
    for (const c of await tp.simCalls()) if (c.direction !== 'inbound') dialed.set(String(c.to), (dialed.get(String(c.to)) ?? 0) + 1);
    const dials = (n: string) => dialed.get(n) ?? dialed.get(n.slice(1)) ?? 0;
    const expected: Array<[string[], object, number]> = [
      [groups.answers, { state: 'done', outcome: 'completed', attempts: 1 }, 1],
      [groups.alwaysBusy, { state: 'exhausted', outcome: 'busy', attempts: 2 }, 2],
      [groups.busyThenAnswer, { state: 'done', outcome: 'completed', attempts: 2 }, 2],
      [groups.rejects, { state: 'done', outcome: 'failed', attempts: 1 }, 1],
      [groups.voicemail, { state: 'done', outcome: 'voicemail', attempts: 1 }, 1],
      [groups.listedLater, { state: 'skipped', outcome: 'do_not_call', attempts: 0, call_ids: [] }, 0],
    ];
    for (const [group, state, times] of expected) {
      for (const n of group) {
        const r = recipients.find((x) => x.to === n);
        // A recipient with another outcome names its last call's ending, so a failure says why.
        const last = r?.call_ids?.at(-1);
        const ending = last && r.outcome !== (state as { outcome: string }).outcome ? (({ status, error_code, error_message, hangup_cause, hangup_by }) => ({ status, error_code, error_message, hangup_cause, hangup_by }))((await tp.api(account, 'GET', `/v1/calls/${last}`)).body) : undefined;
        expect({ ...r, ending }, n).toMatchObject(state);
        expect(r.call_ids, n).toHaveLength(times);
        expect(dials(n), n).toBe(times);
      }
    }
    // Then the campaign's own counts agree with its recipients'.
    expect(campaign).toMatchObject({
      status: 'completed',
      progress: { total: 240, pending: 0, in_progress: 0, done: { completed: 140, failed: 20, voicemail: 20 }, exhausted: 50, skipped: 10, calls_placed: 320, eta: null },
    });
    expect(maxLive).toBeLessThanOrEqual(LINES);
  });
});
