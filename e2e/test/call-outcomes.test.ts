import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, isSettled, isTerminal, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

let tp: TestPlatform;
let account: Account;
let agent: any;
let hook: Awaited<ReturnType<TestPlatform['webhookReceiver']>>;

beforeAll(async () => {
  tp = await startTestPlatform();
  account = await tp.createAccount('Outcomes');
  hook = await tp.webhookReceiver(account.webhook_secret);
  ({ agent } = await sandboxAgent(tp, account, '+15550100002', {
    name: 'Reminders',
    type: 'outbound',
    instructions: 'Confirm the appointment of {{patient_name}}.',
    returns: { confirmed: 'boolean' },
    tools: [{ type: 'end_call' }],
    voicemail_action: 'leave_message',
    voicemail_message: "Hi, this is Doctor Chen's office calling about your appointment. Please call us back.",
    ring_timeout_seconds: 5,
    webhook_url: hook.url,
  }));
});
afterAll(async () => tp?.stop());

async function place(to: string, extra: Record<string, unknown> = {}) {
  const res = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to, context: { patient_name: 'Maria Lopez' }, ...extra });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const neverConnected = { answered_at: null, billed_duration_seconds: 0, billing_amount_milli_cents: 0, reservation_status: 'released', result_status: 'failed' };

describe.concurrent('call outcomes through the simulator', () => {
  it('busy', async () => {
    const id = await place('+15550100486');
    const call = await tp.waitForCall(account, id, (c) => isSettled(c) && c.webhook_status === 'delivered');
    expect(call).toMatchObject({ status: 'busy', hangup_cause: 'User busy', error_code: null, ...neverConnected });
    expect(call.result_error).toEqual(expect.any(String));
    expect(hook.deliveries.find((d) => d.payload?.data?.id === id && d.payload.type === 'call.completed')?.verified).toBe(true);
  });

  it('no answer: rings until the agent ring timeout', async () => {
    await tp.scenario('+15550103001', { outcome: 'no_answer', ring_after_ms: 200 });
    const id = await place('+15550103001');
    const call = await tp.waitForCall(account, id, isSettled, 60_000);
    expect(call).toMatchObject({ status: 'no_answer', ...neverConnected });
    expect(call.started_at).not.toBeNull();
    const rang = new Date(call.ended_at).getTime() - new Date(call.started_at).getTime();
    expect(rang).toBeGreaterThanOrEqual(4000);
  });

  it('rejected: failed with a specific error code', async () => {
    const id = await place('+15550100603');
    const call = await tp.waitForCall(account, id, isSettled, 60_000);
    expect(call).toMatchObject({ status: 'failed', error_code: 'call_rejected', ...neverConnected });
  });

  it('POST /v1/calls/:id/end while ringing: canceled', async () => {
    await tp.scenario('+15550103002', { outcome: 'answer', ring_after_ms: 100, answer_after_ms: 30_000 });
    const id = await place('+15550103002');
    await tp.waitForCall(account, id, (c) => c.status === 'ringing', 30_000);
    const ended = await tp.api(account, 'POST', `/v1/calls/${id}/end`);
    expect(ended.status).toBe(200);
    const call = await tp.waitForCall(account, id, isSettled, 30_000);
    expect(call).toMatchObject({ status: 'canceled', ...neverConnected });
  });

  it('POST /v1/calls/:id/end while talking: completed and billed', async () => {
    await tp.scenario('+15550103003', { outcome: 'answer', answer_after_ms: 500, lines: ['Hello?', 'Yes, go on.'], send_silence: true });
    const id = await place('+15550103003');
    await tp.waitForCall(account, id, (c) => c.status === 'in_progress', 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await tp.api(account, 'POST', `/v1/calls/${id}/end`)).status).toBe(200);
    const call = await tp.waitForCall(account, id, isSettled, 60_000);
    expect(call).toMatchObject({ status: 'completed', reservation_status: 'settled' });
    expect(call.billed_duration_seconds).toBeGreaterThanOrEqual(3);
    expect((await tp.api(account, 'POST', `/v1/calls/${id}/end`)).status).toBe(409);
  });

  it('the caller hangs up mid-sentence: completed, hung up by the far end', async () => {
    await tp.scenario('+15550103004', { outcome: 'answer', answer_after_ms: 500, lines: ['Hello?'], hangup_after_ms: 4000, send_silence: true });
    const id = await place('+15550103004');
    const call = await tp.waitForCall(account, id, isSettled, 60_000);
    expect(call).toMatchObject({ status: 'completed', hangup_cause: 'Normal Clearing', reservation_status: 'settled' });
    const far = (await tp.simCalls()).find((c: any) => String(c.to).endsWith('5550103004'));
    expect(far.hung_up_by).toMatch(/far|callee|remote|phone/);
  });

  it('voicemail with leave_message: waits for the beep, leaves the message, hangs up', async () => {
    const id = await place('+15550100999');
    const call = await tp.waitForCall(account, id, isSettled, 90_000);
    expect(call).toMatchObject({ status: 'completed', answered_by: 'machine' });
    const far = (await tp.simCalls()).find((c: any) => String(c.to).endsWith('5550100999'));
    expect(far.agent_speech_ms).toBeGreaterThan(2000);
    const transcript = (await tp.api(account, 'GET', `/v1/calls/${id}/transcript`)).body.segments;
    expect(transcript.some((s: any) => s.role === 'agent' && /call us back/i.test(s.text))).toBe(true);
  });
});

describe('inbound', () => {
  it('an inbound call to a number of an inbound agent is answered and recorded as an inbound call', async () => {
    const { agent: inbound, number } = await sandboxAgent(tp, account, '+15550100777', {
      name: 'Front desk',
      type: 'inbound',
      initial_greeting: "Thank you for calling Doctor Chen's office. How can I help?",
      instructions: 'Answer questions about opening hours.',
    });
    const res = await fetch(`${tp.platform.simUrl}/sim/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+14155550123', to: number.number, lines: ['Hi, when are you open on Saturday?'], hangup_after_ms: 12_000, send_silence: true }),
    });
    expect(res.status).toBeLessThan(300);
    let call: any;
    for (let i = 0; i < 200 && !call; i++) {
      const list = (await tp.api(account, 'GET', `/v1/calls?direction=inbound&agent_id=${inbound.id}`)).body.data;
      call = list[0];
      if (!call) await new Promise((r) => setTimeout(r, 200));
    }
    expect(call).toMatchObject({ direction: 'inbound', to_number: number.number, from_number: '+14155550123', agent_id: inbound.id });
    const done = await tp.waitForCall(account, call.id, isTerminal, 60_000);
    expect(done.status).toBe('completed');
    expect(done.answered_at).not.toBeNull();
    const transcript = (await tp.api(account, 'GET', `/v1/calls/${call.id}/transcript`)).body.segments;
    expect(transcript[0]).toMatchObject({ role: 'agent', text: expect.stringMatching(/Thank you for calling/) });
  });
});
