import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPOINTMENT_REMINDER_AGENT, APPOINTMENT_REMINDER_CALLEE_LINES } from '@parley/sandbox-llm';
import { speech } from './speech';
import { TestBrowser } from './test-browser';
import { type Account, isSettled, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 19: a web call with a Node WebRTC peer in the browser's place (werift, G.722 over DTLS-SRTP): the media path
// without Chromium.
const run = promisify(execFile);
let tp: TestPlatform;
let account: Account;
beforeAll(async () => {
  tp = await startTestPlatform();
  account = await tp.createAccount('Web caller');
});
afterAll(async () => tp?.stop());

describe('a web call from a Node WebRTC peer', () => {
  it('talks both ways over G.722/DTLS-SRTP, records, extracts, bills at the web rate and ends when the agent hangs up', async () => {
    await run(process.execPath, [join(__dirname, '../../apps/api/dist/cli/main.js'), 'accounts', 'set-web-rate', '--account', account.account_id, '--rate', '500'], { env: tp.platform.env });
    const hook = await tp.webhookReceiver(account.webhook_secret);
    const agent = await tp.api(account, 'POST', '/v1/agents', {
      name: 'Web reminders',
      type: 'inbound',
      persona: APPOINTMENT_REMINDER_AGENT.persona,
      instructions: APPOINTMENT_REMINDER_AGENT.instructions,
      returns: APPOINTMENT_REMINDER_AGENT.returns,
      initial_greeting: "Hello, this is Doctor Chen's office about your appointment tomorrow.",
      tools: [{ type: 'end_call' }],
      webhook_url: hook.url,
      max_duration_seconds: 120,
    });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const created = await tp.api(account, 'POST', '/v1/calls/web', { agent_id: agent.body.id, context: APPOINTMENT_REMINDER_AGENT.context, metadata: { page: 'e2e' } });
    expect(created.status).toBe(201);

    const browser = new TestBrowser(tp.platform.apiUrl);
    const res = await browser.connect(created.body.access_token);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/calls/web/sessions/${created.body.id}`);
    await tp.waitForCall(account, created.body.id, (c) => c.status === 'in_progress', 20_000);

    // The agent greets first; the caller answers each turn when the agent is done.
    let heard = await browser.agentTurn(0);
    for (const line of APPOINTMENT_REMINDER_CALLEE_LINES) {
      await browser.say(await speech(line));
      heard = await browser.agentTurn(heard).catch(() => heard);
    }
    const call = await tp.waitForCall(account, created.body.id, (c) => isSettled(c) && c.webhook_status !== 'pending', 90_000);
    expect(call).toMatchObject({ channel: 'web', direction: 'inbound', status: 'completed', to_number: null, from_number: null, metadata: { page: 'e2e' }, result_status: 'completed', webhook_status: 'delivered' });
    expect(call.result).toMatchObject({ confirmed: false });
    expect(String(call.result.reschedule_to)).toMatch(/friday/i);
    expect(call.billing_amount_milli_cents).toBe(Math.floor((call.billed_duration_seconds * 500 + 59) / 60));
    expect(call.recording_url).toBeTruthy();
    const segments = (await tp.api(account, 'GET', `/v1/calls/${created.body.id}/transcript`)).body.segments as Array<{ role: string; text: string }>;
    expect(segments[0]).toMatchObject({ role: 'agent', text: expect.stringMatching(/Chen/) });
    expect(segments.filter((s) => s.role === 'user').map((s) => s.text).join(' ')).toMatch(/friday/i);
    expect(browser.agentFrames.filter(Boolean).length).toBeGreaterThan(100);
    await browser.pc.close();
  });

  it('ends as completed by the caller when the page hangs up (DELETE on its session, then closing its connection)', async () => {
    const agent = await tp.api(account, 'POST', '/v1/agents', { name: 'Greeter', type: 'inbound', initial_greeting: 'Hi, how can I help?', instructions: 'Help.' });
    const created = await tp.api(account, 'POST', '/v1/calls/web', { agent_id: agent.body.id });
    const browser = new TestBrowser(tp.platform.apiUrl);
    expect((await browser.connect(created.body.access_token)).status).toBe(201);
    await browser.agentTurn(0, 600);
    const hungUp = await fetch(`${tp.platform.apiUrl}/v1/calls/web/sessions/${created.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${created.body.access_token}` } });
    expect(hungUp.status).toBe(204);
    await browser.pc.close();
    const call = await tp.waitForCall(account, created.body.id, (c) => c.status === 'completed', 30_000);
    const events = (await tp.api(account, 'GET', `/v1/calls/${created.body.id}/events`)).body.data;
    expect(events.find((e: any) => e.type === 'ended').data).toMatchObject({ hangup_by: 'caller', answered: true });
    expect(call.answered_at).not.toBeNull();
  });

  it('ends through POST /v1/calls/:id/end: the media process holding the browser hangs up', async () => {
    const agent = await tp.api(account, 'POST', '/v1/agents', { name: 'Greeter 2', type: 'inbound', initial_greeting: 'Hello there.', instructions: 'Help.' });
    const created = await tp.api(account, 'POST', '/v1/calls/web', { agent_id: agent.body.id });
    const browser = new TestBrowser(tp.platform.apiUrl);
    expect((await browser.connect(created.body.access_token)).status).toBe(201);
    await browser.agentTurn(0, 600);
    const ended = await tp.api(account, 'POST', `/v1/calls/${created.body.id}/end`);
    expect(ended.body).toMatchObject({ status: 'completed', channel: 'web' });
    const events = (await tp.api(account, 'GET', `/v1/calls/${created.body.id}/events`)).body.data;
    expect(events.find((e: any) => e.type === 'ended').data).toMatchObject({ hangup_by: 'api' });
    // The page hears on its data channel that the call is connected (sent before the channel opened, kept for it),
    // the live transcript, then why it ended.
    await expect.poll(() => browser.messages.at(-1), { timeout: 10_000 }).toMatchObject({ type: 'ended', reason: 'api', hangup_by: 'api' });
    expect(browser.messages[0]).toEqual({ type: 'connected' });
    expect(browser.messages[1]).toMatchObject({ type: 'transcript', segment: { role: 'agent', text: 'Hello there.' } });
    await browser.pc.close();
  });
});
