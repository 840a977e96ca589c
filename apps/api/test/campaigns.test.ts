import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCredits } from '../src/billing/credits';
import { CallProjector } from '../src/calls/call-projector';
import { CampaignScheduler } from '../src/campaigns/campaign-scheduler';
import { type ApiHarness, outboundSetup, randomE164, startApi, type TestAccount } from './api-harness';

// Issue 20: campaigns through the API, with the scheduler ticked by hand on a clock of the test's choosing.
let api: ApiHarness;
let acct: TestAccount;
let scheduler: CampaignScheduler;
beforeAll(async () => {
  api = await startApi({ CAMPAIGN_TICK_MS: '0' });
  acct = await api.createAccount('Campaigns');
  scheduler = api.app.get(CampaignScheduler);
});
afterAll(async () => api?.close());

// Wednesday 2026-12-09 10:00 UTC.
const WED_10 = new Date('2026-12-09T10:00:00Z');
const minutes = (at: Date, n: number) => new Date(at.getTime() + n * 60_000);
const window = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' };

async function campaign(acctKey: string, agentId: string, extra: Record<string, unknown> = {}) {
  const res = await api.call('POST', '/v1/campaigns', { key: acctKey, body: { name: 'Reminders', agent_id: agentId, schedule: { window, timezone: 'UTC' }, ...extra } });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body;
}
const get = async (id: string, key = acct.apiKey) => (await api.call('GET', `/v1/campaigns/${id}`, { key })).body;
const recipients = async (id: string, query = '') => (await api.call('GET', `/v1/campaigns/${id}/recipients?limit=100${query}`, { key: acct.apiKey })).body.data;
const callsOf = async (id: string) => (await api.call('GET', `/v1/calls?limit=100&campaign_id=${id}`, { key: acct.apiKey })).body.data;

/** What the dialer and media would report of a call's end. */
async function end(callId: string, outcome: 'busy' | 'no_answer' | 'human' | 'machine') {
  const b = { call_id: callId, account_id: acct.accountId };
  if (outcome === 'busy' || outcome === 'no_answer') {
    await api.bus.publishCallEvent('ended', b, { status: outcome, answered: false, hangup_cause: 'x', hangup_cause_code: 17, hangup_by: 'caller', error_code: null, error_message: null });
  } else {
    await api.bus.publishCallEvent('answered', b, {});
    await api.bus.publishCallEvent('conversation_ended', b, { segments: [], answered_by: outcome, latency: null, reason: 'caller_hangup' });
    await api.bus.publishCallEvent('ended', b, { status: 'completed', answered: true, hangup_cause: 'Normal Clearing', hangup_cause_code: 16, hangup_by: 'caller', error_code: null, error_message: null });
  }
  await expect.poll(async () => (await api.call('GET', `/v1/calls/${callId}`, { key: acct.apiKey })).body.status, { timeout: 10_000 }).not.toMatch(/queued|in_progress/);
}

describe('campaigns', () => {
  it('are created as drafts with defaults, and refuse an inbound agent, a bad window or time zone with the error shape', async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await api.call('POST', '/v1/campaigns', { key: acct.apiKey, body: { name: 'Defaults', agent_id: agent.id } });
    expect(c.status).toBe(201);
    // A PATCH changes what it sends, nothing else.
    const patched = await api.call('PATCH', `/v1/campaigns/${c.body.id}`, { key: acct.apiKey, body: { max_concurrent_calls: 4 } });
    expect(patched.body).toMatchObject({ max_concurrent_calls: 4, name: 'Defaults', retry: { max_attempts: 1 } });
    expect(c.body).toMatchObject({
      object: 'campaign',
      status: 'draft',
      max_concurrent_calls: 1,
      schedule: { start_at: null, end_at: null, window: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '20:00' }, timezone: null },
      retry: { on: ['busy', 'no_answer'], max_attempts: 1, backoff_minutes: 60 },
      progress: { total: 0, pending: 0, in_progress: 0, done: {}, exhausted: 0, skipped: 0, calls_placed: 0 },
    });
    const inbound = await api.call('POST', '/v1/agents', { key: acct.apiKey, body: { name: 'In', type: 'inbound' } });
    for (const [body, param] of [
      [{ name: 'x', agent_id: inbound.body.id }, 'agent_id'],
      [{ name: 'x', agent_id: agent.id, schedule: { window: { days: ['mon'], start: '18:00', end: '09:00' } } }, 'schedule.window.end'],
      [{ name: 'x', agent_id: agent.id, schedule: { timezone: 'Mars/Olympus' } }, 'schedule.timezone'],
      [{ name: 'x', agent_id: agent.id, retry: { on: ['completed'] } }, 'retry.on.0'],
    ] as const) {
      const res = await api.call('POST', '/v1/campaigns', { key: acct.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
  });

  it('take recipients as JSON or CSV, row by row: bad numbers, repeats, numbers already in it and do-not-call numbers are refused with their line', async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await campaign(acct.apiKey, agent.id);
    const [a, b, dnc] = [randomE164(), randomE164(), randomE164()];
    await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body: { number: dnc } });
    const json = await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: acct.apiKey, body: [{ to: a, context: { name: 'Ana' } }, { to: 'nope' }, { to: a }, { to: dnc }, { to: b, timezone: 'Pluto/Base' }] });
    expect(json.body).toEqual({
      object: 'recipients_upload',
      accepted: 1,
      rejected_count: 4,
      rejected: [
        { line: 2, value: '{"to":"nope"}', reason: expect.stringMatching(/^to: /) },
        { line: 3, value: a, reason: expect.stringMatching(/earlier line/) },
        { line: 4, value: dnc, reason: expect.stringMatching(/do-not-call/) },
        { line: 5, value: expect.any(String), reason: expect.stringMatching(/^timezone: /) },
      ],
    });
    const csv = await fetch(`${api.url}/v1/campaigns/${c.id}/recipients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acct.apiKey}`, 'content-type': 'text/csv' },
      body: `To,Name,Appointment,Timezone\n${b},Bo,"Tue, 3 pm",America/Chicago\n${a},Ana,x,\n12345,Cy,,\n`,
    }).then((r) => r.json() as Promise<any>);
    expect(csv).toEqual({ object: 'recipients_upload', accepted: 1, rejected_count: 2, rejected: [{ line: 3, value: a, reason: expect.stringMatching(/already has/) }, { line: 4, value: '12345', reason: expect.stringMatching(/E\.164/) }] });
    const listed = await recipients(c.id);
    expect(listed.find((r: any) => r.to === b)).toMatchObject({ state: 'pending', context: { name: 'Bo', appointment: 'Tue, 3 pm' }, timezone: 'America/Chicago', attempts: 0, call_ids: [] });
    expect((await get(c.id)).progress).toMatchObject({ total: 2, pending: 2 });
  });

  it('stream CSV and NDJSON uploads in one transaction: an upload that breaks off adds nothing', async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await campaign(acct.apiKey, agent.id);
    const [a, b] = [randomE164(), randomE164()];
    const ndjson = await fetch(`${api.url}/v1/campaigns/${c.id}/recipients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acct.apiKey}`, 'content-type': 'application/x-ndjson' },
      body: `{"to":"${a}","context":{"name":"Zoë"}}\n\n{"to":"nope"}\nnot json\r\n{"to":"${b}","timezone":"Europe/Paris"}`,
    }).then((r) => r.json() as Promise<any>);
    expect(ndjson).toMatchObject({ accepted: 2, rejected_count: 2, rejected: [{ line: 3, reason: expect.stringMatching(/^to: /) }, { line: 4, value: 'not json', reason: 'not a JSON object' }] });
    expect((await recipients(c.id)).find((r: any) => r.to === a)).toMatchObject({ context: { name: 'Zoë' } });

    // 12,000 rows sent in pieces (two batches written in the transaction), then the client breaks off.
    const rows = Array.from({ length: 12_000 }, (_, i) => `+1666${String(i).padStart(7, '0')},row ${i}\n`);
    const encoder = new TextEncoder();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= rows.length) {
          await new Promise((r) => setTimeout(r, 300));
          controller.error(new Error('the client went away'));
          return;
        }
        const part = (sent === 0 ? 'to,label\n' : '') + rows.slice(sent, sent + 1000).join('');
        sent += 1000;
        controller.enqueue(encoder.encode(part));
      },
    });
    const broken = await fetch(`${api.url}/v1/campaigns/${c.id}/recipients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acct.apiKey}`, 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit).then(
      (r) => r.status,
      () => 'broken',
    );
    expect(broken).toBe('broken');
    await new Promise((r) => setTimeout(r, 500));
    expect((await get(c.id)).progress).toMatchObject({ total: 2 });
  });

  it('call within the window up to max_concurrent_calls, retry busy after the backoff, skip hours outside the window, and complete', async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await campaign(acct.apiKey, agent.id, { max_concurrent_calls: 2, retry: { on: ['busy'], max_attempts: 2, backoff_minutes: 10 } });
    const numbers = [randomE164(), randomE164(), randomE164()];
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: acct.apiKey, body: numbers.map((to) => ({ to })) });
    expect((await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: acct.apiKey })).body.status).toBe('scheduled');

    await scheduler.tick(WED_10);
    await scheduler.tick(WED_10); // a second tick adds nothing: both lines are taken
    let calls = await callsOf(c.id);
    expect(calls).toHaveLength(2);
    expect(calls.every((call: any) => call.campaign_id === c.id && call.status === 'queued')).toBe(true);
    expect(await get(c.id)).toMatchObject({ status: 'running', progress: { in_progress: 2, pending: 1, calls_placed: 2 } });

    const byNumber = (list: any[], n: string) => list.find((x) => x.to_number === n);
    const [first, second] = [byNumber(calls, numbers[0]!) ?? calls[0], calls.find((x: any) => x !== (byNumber(calls, numbers[0]!) ?? calls[0]))];
    await end(first.id, 'busy');
    await end(second.id, 'human');
    await scheduler.tick(minutes(WED_10, 1));
    calls = await callsOf(c.id);
    expect(calls).toHaveLength(3); // the freed lines took the third recipient; the busy one waits for its backoff
    const busy = (await recipients(c.id)).find((r: any) => r.to === first.to_number);
    expect(busy).toMatchObject({ state: 'pending', outcome: 'busy', attempts: 1, next_attempt_at: minutes(WED_10, 11).toISOString() });

    await scheduler.tick(minutes(WED_10, 5));
    expect(await callsOf(c.id)).toHaveLength(3);
    await scheduler.tick(minutes(WED_10, 12));
    calls = await callsOf(c.id);
    expect(calls).toHaveLength(4);
    const retried = (await recipients(c.id)).find((r: any) => r.to === first.to_number);
    expect(retried).toMatchObject({ state: 'in_progress', attempts: 2 });
    expect(retried.call_ids).toHaveLength(2);

    // The retry is busy again: exhausted. The third one answers.
    await end(retried.call_ids[1], 'busy');
    const third = calls.find((x: any) => ![first.id, second.id, retried.call_ids[1]].includes(x.id));
    await end(third.id, 'machine');
    await scheduler.tick(minutes(WED_10, 13));
    const done = await get(c.id);
    expect(done).toMatchObject({ status: 'completed', progress: { total: 3, pending: 0, in_progress: 0, exhausted: 1, done: { completed: 1, voicemail: 1 }, calls_placed: 4 } });
    expect(await recipients(c.id, '&state=exhausted')).toHaveLength(1);

    // The outcomes as CSV, the answered call's result in columns of its own.
    await api.bus.publishCallEvent('result', { call_id: second.id, account_id: acct.accountId }, { result_status: 'completed', result: { confirmed: true, reschedule_to: 'Friday, 10 am' }, result_error: null });
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${second.id}`, { key: acct.apiKey })).body.result_status).toBe('completed');
    const res = await fetch(`${api.url}/v1/campaigns/${c.id}/recipients.csv`, { headers: { authorization: `Bearer ${acct.apiKey}` } });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines[0]).toBe('to,state,outcome,attempts,last_call_id,last_call_status,result.confirmed,result.reschedule_to,context');
    expect(lines).toHaveLength(4);
    expect(lines).toContain(`${second.to_number},done,completed,1,${second.id},completed,true,"Friday, 10 am",{}`);
    expect(lines).toContain(`${first.to_number},exhausted,busy,2,${retried.call_ids[1]},busy,,,{}`);
  });

  it('waits outside calling hours in each recipient\'s time zone, pauses and resumes, and cancels', async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await campaign(acct.apiKey, agent.id, { max_concurrent_calls: 5 });
    const [ny, tokyo] = [randomE164(), randomE164()];
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: acct.apiKey, body: [{ to: ny, timezone: 'America/New_York' }, { to: tokyo, timezone: 'Asia/Tokyo' }] });
    await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: acct.apiKey });
    // Wednesday 16:00 UTC: 11:00 in New York (inside), 01:00 Thursday in Tokyo (outside: opens at 09:00 Tokyo, 00:00 UTC).
    const at = new Date('2026-12-09T16:00:00Z');
    await scheduler.tick(at);
    expect((await callsOf(c.id)).map((x: any) => x.to_number)).toEqual([ny]);
    expect((await recipients(c.id)).find((r: any) => r.to === tokyo).next_attempt_at).toBe('2026-12-10T00:00:00.000Z');

    expect((await api.call('POST', `/v1/campaigns/${c.id}/pause`, { key: acct.apiKey })).body).toMatchObject({ status: 'paused', paused_reason: 'api' });
    await scheduler.tick(new Date('2026-12-10T00:30:00Z'));
    expect(await callsOf(c.id)).toHaveLength(1);
    expect((await api.call('POST', `/v1/campaigns/${c.id}/pause`, { key: acct.apiKey })).status).toBe(409);
    expect((await api.call('POST', `/v1/campaigns/${c.id}/resume`, { key: acct.apiKey })).body).toMatchObject({ status: 'scheduled', paused_reason: null });
    await scheduler.tick(new Date('2026-12-10T00:30:00Z'));
    expect(await callsOf(c.id)).toHaveLength(2);
    expect((await api.call('POST', `/v1/campaigns/${c.id}/cancel`, { key: acct.apiKey })).body.status).toBe('canceled');
    expect((await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: acct.apiKey })).status).toBe(409);
    expect((await api.call('PATCH', `/v1/campaigns/${c.id}`, { key: acct.apiKey, body: { max_concurrent_calls: 9 } })).status).toBe(409);
    const renamed = await api.call('PATCH', `/v1/campaigns/${c.id}`, { key: acct.apiKey, body: { name: 'Renamed', metadata: { batch: 2 } } });
    expect(renamed.body).toMatchObject({ name: 'Renamed', metadata: { batch: 2 }, max_concurrent_calls: 5, schedule: { timezone: 'UTC', window } });
    // Live calls of a canceled campaign still get their outcome recorded.
    await end((await callsOf(c.id))[0].id, 'human');
    await scheduler.tick(new Date('2026-12-10T00:31:00Z'));
    expect((await get(c.id)).progress).toMatchObject({ in_progress: 1, done: { completed: 1 } });
  });

  it('never calls a recipient twice, nor more than max_concurrent_calls at once, when schedulers tick together', async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await campaign(acct.apiKey, agent.id, { max_concurrent_calls: 3 });
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: acct.apiKey, body: Array.from({ length: 10 }, () => ({ to: randomE164() })) });
    await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: acct.apiKey });
    const s = scheduler as unknown as Record<'campaigns' | 'calls' | 'contexts' | 'events' | 'logger', never>;
    const other = new CampaignScheduler(s.campaigns, s.calls, s.contexts, api.app.get(CallProjector), s.events, api.config, s.logger);
    await Promise.all([scheduler.tick(WED_10), other.tick(WED_10), scheduler.tick(WED_10)]);
    const calls = await callsOf(c.id);
    const perNumber = new Map<string, number>();
    for (const call of calls) perNumber.set(call.to_number, (perNumber.get(call.to_number) ?? 0) + 1);
    expect([...perNumber.values()].every((n) => n === 1)).toBe(true);
    // Claims for one campaign take turns: together they fill the three lines, no more.
    expect(calls).toHaveLength(3);
    expect((await get(c.id)).progress.in_progress).toBe(3);
  });

  it("takes only its trunk's idle lines: a call placed through the API meanwhile is never queued behind the campaign's", async () => {
    const own = await api.createAccount('Shared trunk');
    const trunk = await api.call('POST', '/v1/trunks', { key: own.apiKey, body: { name: 'carrier', host: 'sip.example.com', max_concurrent_calls: 3 } });
    const number = await api.call('POST', '/v1/numbers', { key: own.apiKey, body: { number: randomE164(), trunk_id: trunk.body.id } });
    const agent = await api.call('POST', '/v1/agents', { key: own.apiKey, body: { name: 'Out', type: 'outbound', number_ids: [number.body.id] } });
    const direct = await api.call('POST', '/v1/calls', { key: own.apiKey, body: { agent_id: agent.body.id, to: randomE164() } });
    expect(direct.status).toBe(201);
    const c = await campaign(own.apiKey, agent.body.id, { max_concurrent_calls: 5 });
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: own.apiKey, body: Array.from({ length: 6 }, () => ({ to: randomE164() })) });
    await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: own.apiKey });
    await scheduler.tick(WED_10);
    // Three lines, one taken by the API's call: the campaign takes the other two, not its five.
    expect((await get(c.id, own.apiKey)).progress).toMatchObject({ in_progress: 2, pending: 4 });
    // Another API call while the trunk is full waits for the next free line, and the campaign takes none before it.
    const second = await api.call('POST', '/v1/calls', { key: own.apiKey, body: { agent_id: agent.body.id, to: randomE164() } });
    const b = { call_id: direct.body.id, account_id: own.accountId };
    await api.bus.publishCallEvent('ended', b, { status: 'busy', answered: false, hangup_cause: 'User busy', hangup_cause_code: 17, hangup_by: 'caller', error_code: null, error_message: null });
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${direct.body.id}`, { key: own.apiKey })).body.status, { timeout: 10_000 }).toBe('busy');
    await scheduler.tick(minutes(WED_10, 1));
    expect((await get(c.id, own.apiKey)).progress).toMatchObject({ in_progress: 2, pending: 4 });
    await api.bus.publishCallEvent('ended', { call_id: second.body.id, account_id: own.accountId }, { status: 'busy', answered: false, hangup_cause: 'User busy', hangup_cause_code: 17, hangup_by: 'caller', error_code: null, error_message: null });
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${second.body.id}`, { key: own.apiKey })).body.status, { timeout: 10_000 }).toBe('busy');
    await scheduler.tick(minutes(WED_10, 2));
    expect((await get(c.id, own.apiKey)).progress).toMatchObject({ in_progress: 3, pending: 3 });
  });

  it("call a number without a time zone in its country's hours: all of its zones' for a country with several, or never", async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await api.call('POST', '/v1/campaigns', { key: acct.apiKey, body: { name: 'By number', agent_id: agent.id, max_concurrent_calls: 5, schedule: { window } } });
    expect(c.body.schedule.timezone).toBeNull();
    const [paris, sanFrancisco, berlin] = ['+33142685300', '+14155550123', '+493012345678'];
    await api.call('POST', `/v1/campaigns/${c.body.id}/recipients`, { key: acct.apiKey, body: [{ to: paris }, { to: sanFrancisco }, { to: berlin, timezone: 'America/Chicago' }] });
    await api.call('POST', `/v1/campaigns/${c.body.id}/start`, { key: acct.apiKey });
    // Wednesday 10:00 UTC: 11:00 in Paris; 04:00 in Chicago (the Berlin number's own zone); the US opens for
    // 09:00-17:00 everywhere when it is 09:00 in Honolulu, 19:00 UTC.
    await scheduler.tick(WED_10);
    expect((await callsOf(c.body.id)).map((x: any) => x.to_number)).toEqual([paris]);
    const rs = await recipients(c.body.id);
    expect(rs.find((r: any) => r.to === sanFrancisco).next_attempt_at).toBe('2026-12-09T19:00:00.000Z');
    expect(rs.find((r: any) => r.to === berlin).next_attempt_at).toBe('2026-12-09T15:00:00.000Z');

    // A window of an hour is never open everywhere in the US at once: that recipient is skipped, not deferred forever.
    const short = await api.call('POST', '/v1/campaigns', { key: acct.apiKey, body: { name: 'Too short', agent_id: agent.id, schedule: { window: { ...window, start: '09:00', end: '10:00' } } } });
    await api.call('POST', `/v1/campaigns/${short.body.id}/recipients`, { key: acct.apiKey, body: [{ to: sanFrancisco }] });
    await api.call('POST', `/v1/campaigns/${short.body.id}/start`, { key: acct.apiKey });
    await scheduler.tick(WED_10);
    expect((await recipients(short.body.id))[0]).toMatchObject({ state: 'skipped', outcome: 'no_calling_hours', attempts: 0 });
    expect((await get(short.body.id)).progress).toMatchObject({ skipped: 1, pending: 0 });
  });

  it('estimate when they will be done from the pace of the last recipients finished', async () => {
    const { agent } = await outboundSetup(api, acct);
    const always = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' };
    const c = await campaign(acct.apiKey, agent.id, { max_concurrent_calls: 2, schedule: { window: always, timezone: 'UTC' } });
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: acct.apiKey, body: Array.from({ length: 6 }, () => ({ to: randomE164() })) });
    await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: acct.apiKey });
    await scheduler.tick(new Date());
    expect((await get(c.id)).progress).toMatchObject({ in_progress: 2, finished_per_hour: null, eta: null });
    for (const call of await callsOf(c.id)) await end(call.id, 'human');
    await scheduler.tick(new Date());
    const { progress } = await get(c.id);
    expect(progress).toMatchObject({ done: { completed: 2 }, in_progress: 2, pending: 2 });
    expect(progress.finished_per_hour).toBeGreaterThan(0);
    // Four left at the pace of two so far: about twice the time since the start from now.
    const eta = Date.parse(progress.eta);
    expect(eta).toBeGreaterThan(Date.now());
    expect(eta).toBeLessThan(Date.now() + 2 * 60_000);
  });

  it('pauses with insufficient_credit instead of failing recipients: the others keep their turn, none stays claimed', async () => {
    const poor = await api.createAccount('Poor');
    const { agent } = await outboundSetup(api, poor, { max_duration_seconds: 60 });
    await api.ds.transaction((m) => setCredits(m, poor.accountId, 1000, 'set')); // one call's reservation
    const c = await campaign(poor.apiKey, agent.id, { max_concurrent_calls: 3 });
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: poor.apiKey, body: [{ to: randomE164() }, { to: randomE164() }, { to: randomE164() }] });
    await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: poor.apiKey });
    await scheduler.tick(WED_10);
    expect(await get(c.id, poor.apiKey)).toMatchObject({ status: 'paused', paused_reason: 'insufficient_credit', progress: { in_progress: 1, pending: 2, calls_placed: 1 } });
    const rs = (await api.call('GET', `/v1/campaigns/${c.id}/recipients?limit=10`, { key: poor.apiKey })).body.data;
    expect(rs.filter((r: any) => r.state === 'pending').map((r: any) => [r.attempts, r.call_ids])).toEqual([[0, []], [0, []]]);
    await scheduler.tick(minutes(WED_10, 1));
    expect((await get(c.id, poor.apiKey)).progress.calls_placed).toBe(1);
  });

  it('skips a number put on the do-not-call list after it was added', async () => {
    const { agent } = await outboundSetup(api, acct);
    const c = await campaign(acct.apiKey, agent.id, { max_concurrent_calls: 3 });
    const [x, y] = [randomE164(), randomE164()];
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: acct.apiKey, body: [{ to: x }, { to: y }] });
    await api.call('POST', '/v1/do_not_call', { key: acct.apiKey, body: { number: x } });
    await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: acct.apiKey });
    await scheduler.tick(WED_10);
    expect((await get(c.id)).progress).toMatchObject({ skipped: 1, in_progress: 1, calls_placed: 1 });
    expect((await recipients(c.id)).find((r: any) => r.to === x)).toMatchObject({ state: 'skipped', outcome: 'do_not_call', attempts: 0, call_ids: [] });
    expect((await callsOf(c.id)).map((call: any) => call.to_number)).toEqual([y]);
  });

  it('queue campaign.started, campaign.paused (with why) and campaign.completed for subscribed endpoints and the campaign URL, each once', async () => {
    const hooks = await api.createAccount('Campaign hooks');
    const endpoint = await api.call('POST', '/v1/webhook_endpoints', { key: hooks.apiKey, body: { url: 'https://hooks.example.com/campaigns', events: ['campaign.started', 'campaign.paused', 'campaign.completed'] } });
    expect(endpoint.status).toBe(201);
    await api.call('POST', '/v1/webhook_endpoints', { key: hooks.apiKey, body: { url: 'https://hooks.example.com/calls', events: ['call.completed'] } });
    const { agent } = await outboundSetup(api, hooks);
    const c = await campaign(hooks.apiKey, agent.id, { webhook_url: 'https://crm.example.com/campaign-hook' });
    await api.call('POST', `/v1/campaigns/${c.id}/recipients`, { key: hooks.apiKey, body: [{ to: randomE164() }] });
    await api.call('POST', `/v1/campaigns/${c.id}/start`, { key: hooks.apiKey });
    await scheduler.tick(WED_10);
    await api.call('POST', `/v1/campaigns/${c.id}/pause`, { key: hooks.apiKey });
    await api.call('POST', `/v1/campaigns/${c.id}/resume`, { key: hooks.apiKey });
    await scheduler.tick(minutes(WED_10, 1)); // running again: started is not sent twice
    const [call] = (await api.call('GET', `/v1/calls?campaign_id=${c.id}`, { key: hooks.apiKey })).body.data;
    const b = { call_id: call.id, account_id: hooks.accountId };
    await api.bus.publishCallEvent('ended', b, { status: 'busy', answered: false, hangup_cause: 'x', hangup_cause_code: 17, hangup_by: 'caller', error_code: null, error_message: null });
    await expect.poll(async () => (await api.call('GET', `/v1/calls/${call.id}`, { key: hooks.apiKey })).body.status, { timeout: 10_000 }).toBe('busy');
    await scheduler.tick(minutes(WED_10, 2));
    const rows: Array<{ event_type: string; url: string; payload: any }> = await api.ds.query(
      `SELECT event_type, url, payload FROM webhook_deliveries WHERE account_id = $1 AND event_type LIKE 'campaign.%' ORDER BY created_at, url`,
      [hooks.accountId],
    );
    expect(rows.map((r) => [r.event_type, r.url])).toEqual([
      ['campaign.started', 'https://crm.example.com/campaign-hook'],
      ['campaign.started', 'https://hooks.example.com/campaigns'],
      ['campaign.paused', 'https://crm.example.com/campaign-hook'],
      ['campaign.paused', 'https://hooks.example.com/campaigns'],
      ['campaign.completed', 'https://crm.example.com/campaign-hook'],
      ['campaign.completed', 'https://hooks.example.com/campaigns'],
    ]);
    expect(rows[2]!.payload).toMatchObject({ type: 'campaign.paused', data: { id: c.id, object: 'campaign', status: 'paused', paused_reason: 'api' } });
    expect(rows[4]!.payload.data).toMatchObject({ status: 'completed', progress: { total: 1, exhausted: 1 } });
  });
});
