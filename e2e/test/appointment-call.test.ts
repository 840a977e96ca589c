import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '@parley/audio';
import { APPOINTMENT_REMINDER_AGENT, APPOINTMENT_REMINDER_CALLEE_LINES } from '@parley/sandbox-llm';
import { type Account, isSettled, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

let tp: TestPlatform;
let account: Account;
beforeAll(async () => {
  tp = await startTestPlatform();
  account = await tp.createAccount('Dr. Chen Dental');
});
afterAll(async () => tp?.stop());

describe("the demo's appointment-reminder call, end to end", () => {
  it('places the call, talks, records, extracts the result, bills it and delivers the signed webhook', async () => {
    const hook = await tp.webhookReceiver(account.webhook_secret);
    const { agent, number } = await sandboxAgent(tp, account, '+15550100001', {
      name: 'Appointment reminders',
      type: 'outbound',
      persona: APPOINTMENT_REMINDER_AGENT.persona,
      instructions: APPOINTMENT_REMINDER_AGENT.instructions,
      returns: APPOINTMENT_REMINDER_AGENT.returns,
      tools: [{ type: 'end_call' }],
      webhook_url: hook.url,
      max_duration_seconds: 120,
    });
    const maria = '+15550142020';
    // The far end sends no RTP until it speaks (as the traces show): the agent speaks first all the same.
    await tp.scenario(maria, { outcome: 'answer', answer_after_ms: 1000, lines: APPOINTMENT_REMINDER_CALLEE_LINES });
    const created = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to: maria, context: APPOINTMENT_REMINDER_AGENT.context, metadata: { case: 'e2e' } });
    expect(created.status).toBe(201);
    const call = await tp.waitForCall(account, created.body.id, (c) => isSettled(c) && c.webhook_status !== 'pending', 150_000);

    // The call object, every field.
    expect(call).toMatchObject({
      id: created.body.id,
      object: 'call',
      agent_id: agent.id,
      to_number: maria,
      from_number: number.number,
      status: 'completed',
      direction: 'outbound',
      persona: APPOINTMENT_REMINDER_AGENT.persona,
      instructions: APPOINTMENT_REMINDER_AGENT.instructions,
      context: APPOINTMENT_REMINDER_AGENT.context,
      returns: APPOINTMENT_REMINDER_AGENT.returns,
      result_status: 'completed',
      result_error: null,
      language: 'en',
      webhook_url: hook.url,
      webhook_status: 'delivered',
      webhook_error: null,
      reservation_status: 'settled',
      error_code: null,
      metadata: { case: 'e2e' },
    });
    expect(call.prompt).toContain('Maria Lopez');
    expect(call.hangup_cause).toEqual(expect.any(String));
    const t = (k: string) => new Date(call[k]).getTime();
    expect(t('created_at')).toBeLessThanOrEqual(t('started_at'));
    expect(t('started_at')).toBeLessThanOrEqual(t('answered_at'));
    expect(t('answered_at')).toBeLessThan(t('ended_at'));
    expect(call.duration_seconds).toBe(Math.round((t('ended_at') - t('started_at')) / 1000));
    expect(call.billed_duration_seconds).toBe(Math.ceil((t('ended_at') - t('answered_at')) / 1000));
    expect(call.billing_amount_milli_cents).toBe(Math.floor((call.billed_duration_seconds * 1000 + 59) / 60));
    expect(call.billed_duration_seconds).toBeGreaterThan(3);
    // The result matches `returns` and what Maria said (heard through pocketsphinx, extracted by the sandbox model).
    expect(Object.keys(call.result).sort()).toEqual(['confirmed', 'reschedule_to']);
    expect(call.result.confirmed).toBe(false);
    expect(call.result.reschedule_to).toMatch(/friday/i);

    // The transcript: both roles, in order, the agent first.
    const transcript = (await tp.api(account, 'GET', `/v1/calls/${call.id}/transcript`)).body.segments;
    expect(transcript.map((s: any) => s.index)).toEqual(transcript.map((_: unknown, i: number) => i));
    expect(transcript[0].role).toBe('agent');
    expect(transcript.filter((s: any) => s.role === 'agent').length).toBeGreaterThanOrEqual(2);
    expect(transcript.filter((s: any) => s.role === 'user').length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < transcript.length; i++) expect(transcript[i].start_ms).toBeGreaterThanOrEqual(transcript[i - 1].start_ms);
    expect(transcript.find((s: any) => s.role === 'agent').text).toMatch(/Maria/);

    // The recording: a stereo 16 kHz WAV as long as the connected time.
    await tp.waitForCall(account, call.id, (c) => c.recording_url !== null, 20_000);
    const res = await fetch(`${tp.platform.apiUrl}/v1/calls/${call.id}/recording`, { headers: { authorization: `Bearer ${account.api_key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const wav = parseWav(Buffer.from(await res.arrayBuffer()));
    expect(wav.channels).toBe(2);
    expect(wav.sampleRate).toBe(16000);
    const seconds = wav.samples.length / wav.channels / wav.sampleRate;
    expect(Math.abs(seconds - (t('ended_at') - t('answered_at')) / 1000)).toBeLessThan(2.5);

    // The signed webhook: call.completed once, with the final call.
    const completed = hook.deliveries.filter((d) => d.payload?.type === 'call.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.verified).toBe(true);
    expect(completed[0]!.payload.data).toMatchObject({ id: call.id, status: 'completed', result: call.result });

    // The far end really heard the agent.
    const digits = (n: string) => n.replace(/\D/g, '');
    const farEnd = (await tp.simCalls()).find((c: any) => digits(String(c.to)) === digits(maria));
    expect(farEnd).toMatchObject({ lines_spoken: APPOINTMENT_REMINDER_CALLEE_LINES.length });
    expect(farEnd.agent_speech_ms).toBeGreaterThan(2000);
  });
});
