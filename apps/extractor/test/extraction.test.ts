import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appointmentReminderScript, type SandboxLlm, startSandboxLlm } from '@parley/sandbox-llm';
import { CallsRepository } from '@parley/db';
import { ended, segments, startHarness } from './harness';

const RETURNS = { confirmed: 'boolean', reschedule_to: 'string' };
const CONVERSATION = segments(
  ['agent', "Hi Maria, this is Dr. Chen's office calling to confirm your appointment tomorrow at 2pm. Does that still work?"],
  ['user', "Oh, actually I can't make it tomorrow. Could we move it to Thursday at 10am?"],
  ['agent', "No problem, I've noted Thursday at 10am. Goodbye!"],
);

describe('extractor', () => {
  let llm: SandboxLlm;
  let h: Awaited<ReturnType<typeof startHarness>>;

  beforeAll(async () => {
    llm = await startSandboxLlm({ script: appointmentReminderScript });
    h = await startHarness({ llmUrl: llm.url });
  });
  afterAll(async () => {
    await h?.close();
    await llm?.close();
  });
  beforeEach(() => {
    llm.setScript(appointmentReminderScript);
    llm.clearRequests();
  });

  it('extracts a valid result from the conversation with structured output', async () => {
    const callId = await h.createCall({ returns: RETURNS, context: { patient_name: 'Maria Lopez' } });
    await h.publish('conversation_ended', callId, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'agent_hangup' });
    await h.publish('ended', callId, ended({ answered: true }));
    const result = await h.resultFor(callId);
    expect(result.data).toEqual({ result_status: 'completed', result: { confirmed: false, reschedule_to: 'Thursday at 10am' }, result_error: null });
    expect(result.id).toBe(`${callId}:result`);
    await h.idle();
    const [req, ...more] = llm.completions();
    expect(more).toHaveLength(0);
    expect(req!.body!.model).toBe('test-model');
    expect(req!.body!.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { strict: true, schema: { type: 'object', required: ['confirmed', 'reschedule_to'], additionalProperties: false, properties: { confirmed: { type: ['boolean', 'null'] } } } },
    });
    expect(String(req!.messages[0]!.content)).toMatch(/did not settle is null/);
    expect(String(req!.messages[1]!.content)).toContain('user: Oh, actually');
    expect(String(req!.messages[1]!.content)).toContain('Maria Lopez');
  });

  it('retries once with the validation error, then accepts a valid answer', async () => {
    llm.setScript({
      rules: [
        { name: 'invalid', times: 1, when: { responseFormat: true }, reply: { json: { confirmed: 'maybe', reschedule_to: null } } },
        { name: 'valid', when: { responseFormat: true }, reply: { json: { confirmed: true, reschedule_to: null } } },
      ],
    });
    const callId = await h.createCall({ returns: RETURNS });
    await h.publish('conversation_ended', callId, { segments: segments(['agent', 'Still good for 2pm?'], ['user', 'Yes.']), answered_by: 'human', latency: null, reason: 'x' });
    const result = await h.resultFor(callId);
    expect(result.data).toEqual({ result_status: 'completed', result: { confirmed: true, reschedule_to: null }, result_error: null });
    const reqs = llm.completions();
    expect(reqs.map((r) => r.matchedRule)).toEqual(['invalid', 'valid']);
    const retryMessages = reqs[1]!.messages;
    expect(retryMessages.at(-2)).toMatchObject({ role: 'assistant', content: JSON.stringify({ confirmed: 'maybe', reschedule_to: null }) });
    expect(String(retryMessages.at(-1)!.content)).toMatch(/invalid: result\/confirmed must be boolean,null/);
  });

  it('fails after two invalid answers', async () => {
    llm.setScript({ rules: [{ when: { responseFormat: true }, reply: { text: 'Sure! The patient wants Thursday.' } }] });
    const callId = await h.createCall({ returns: RETURNS });
    await h.publish('conversation_ended', callId, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'x' });
    const result = await h.resultFor(callId);
    expect(result.data.result_status).toBe('failed');
    expect(result.data.result).toBeNull();
    expect(result.data.result_error).toMatch(/did not match the returns schema after a retry: not JSON/);
    expect(llm.completions()).toHaveLength(2);
  });

  it.each([
    ['no_answer', /not answered/],
    ['busy', /line was busy/],
    ['failed', /failed before it was answered \(no_route_to_destination\)/],
  ] as const)('fails a %s call without calling the model', async (status, message) => {
    const callId = await h.createCall({ returns: RETURNS });
    await h.publish('ended', callId, ended({ answered: false, status, error_code: status === 'failed' ? 'no_route_to_destination' : undefined }));
    const result = await h.resultFor(callId);
    expect(result.data.result_status).toBe('failed');
    expect(result.data.result_error).toMatch(message);
    expect(result.data.result_error).toMatch(/no conversation/);
    expect(llm.completions()).toHaveLength(0);
  });

  it('fails a voicemail hangup (machine, no user speech) without calling the model', async () => {
    const callId = await h.createCall({ returns: RETURNS });
    await h.publish('conversation_ended', callId, { segments: segments(['agent', 'Hi, this is Dr. Chen calling.']), answered_by: 'machine', latency: null, reason: 'voicemail' });
    await h.publish('ended', callId, ended({ answered: true }));
    const result = await h.resultFor(callId);
    expect(result.data).toMatchObject({ result_status: 'failed', result: null });
    expect(result.data.result_error).toMatch(/voicemail/);
    await h.idle();
    expect(llm.completions()).toHaveLength(0);
  });

  it('fails a call that reached voicemail and left a message even though the greeting was transcribed', async () => {
    const callId = await h.createCall({ returns: RETURNS });
    const greeting = segments(['user', "Hi, you've reached Maria. Leave a message after the beep."], ['agent', "Hi Maria, this is Dr. Chen's office about tomorrow at 2pm."]);
    await h.publish('conversation_ended', callId, { segments: greeting, answered_by: 'machine', latency: null, reason: 'voicemail_message_left' });
    const result = await h.resultFor(callId);
    expect(result.data.result_status).toBe('failed');
    expect(result.data.result_error).toMatch(/reached voicemail and the agent left a message/);
    expect(llm.completions()).toHaveLength(0);
  });

  it('fails an answered call where the other party never spoke', async () => {
    const callId = await h.createCall({ returns: RETURNS });
    await h.publish('conversation_ended', callId, { segments: segments(['agent', 'Hello?'], ['user', '  ']), answered_by: 'human', latency: null, reason: 'silence' });
    const result = await h.resultFor(callId);
    expect(result.data.result_error).toMatch(/never spoke/);
    expect(llm.completions()).toHaveLength(0);
  });

  it("extracts on the agent's own model server, with its key and extraction_model, when the agent names one", async () => {
    const own = await startSandboxLlm({ script: appointmentReminderScript });
    try {
      const callId = await h.createCall({ returns: RETURNS, llm: { base_url: own.url, api_key: 'sk-own-91c3', model: 'talk-model', extraction_model: 'extract-model' } });
      await h.publish('conversation_ended', callId, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'agent_hangup' });
      await h.publish('ended', callId, ended({ answered: true }));
      expect((await h.resultFor(callId)).data).toEqual({ result_status: 'completed', result: { confirmed: false, reschedule_to: 'Thursday at 10am' }, result_error: null });
      const [req, ...more] = own.completions();
      expect(more).toHaveLength(0);
      expect(req!.body!.model).toBe('extract-model');
      expect(req!.headers.authorization).toBe('Bearer sk-own-91c3');
      expect(llm.completions()).toHaveLength(0);

      // Without extraction_model, the agent's model; a server the guard refuses fails the result with the reason.
      const plain = await h.createCall({ returns: RETURNS, llm: { base_url: own.url, model: 'talk-model' } });
      await h.publish('conversation_ended', plain, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'agent_hangup' });
      await h.resultFor(plain);
      expect(own.completions().at(-1)!.body!.model).toBe('talk-model');
      const metadata = await h.createCall({ returns: RETURNS, llm: { base_url: 'http://169.254.169.254/v1', model: 'talk-model' } });
      await h.publish('conversation_ended', metadata, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'agent_hangup' });
      const refused = await h.resultFor(metadata);
      expect(refused.data.result_status).toBe('failed');
      expect(refused.data.result_error).toMatch(/could not be reached.*refused address 169\.254\.169\.254/);
    } finally {
      await own.close();
    }
  });

  it('gives {} for an agent without returns, without calling the model', async () => {
    const callId = await h.createCall({ returns: null });
    await h.publish('conversation_ended', callId, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'x' });
    const result = await h.resultFor(callId);
    expect(result.data).toEqual({ result_status: 'completed', result: {}, result_error: null });
    expect(llm.completions()).toHaveLength(0);
  });

  it('never extracts twice: duplicates and a concurrent ended share one model call', async () => {
    llm.setScript({ rules: [{ when: { responseFormat: true }, firstTokenDelayMs: 300, reply: { json: { confirmed: true, reschedule_to: null } } }] });
    const callId = await h.createCall({ returns: RETURNS });
    const conv = { segments: CONVERSATION, answered_by: 'human' as const, latency: null, reason: 'x' };
    await Promise.all([h.publish('conversation_ended', callId, conv), h.publish('conversation_ended', callId, conv), h.publish('ended', callId, ended({ answered: true }))]);
    await h.resultFor(callId);
    await h.idle();
    // Redelivered later (e.g. after a restart) while the api has not projected the result yet: still no second call.
    await h.publish('conversation_ended', callId, conv);
    await h.publish('ended', callId, ended({ answered: true }));
    await h.idle();
    expect(llm.completions()).toHaveLength(1);
    expect(h.results.filter((r) => r.call_id === callId)).toHaveLength(1);
  });

  it('skips a call whose result is already settled', async () => {
    const callId = await h.createCall({ returns: RETURNS, resultStatus: 'completed' });
    await h.publish('conversation_ended', callId, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'x' });
    await h.publish('ended', callId, ended({ answered: true }));
    await h.idle();
    expect(llm.completions()).toHaveLength(0);
    expect(h.results.filter((r) => r.call_id === callId)).toHaveLength(0);
  });

  it("leaves a call another extractor process is settling (it holds the call's lock) and settles it once that lock is free", async () => {
    const callId = await h.createCall({ returns: RETURNS });
    const other = new CallsRepository(h.db.dataSource);
    const held = await other.whileSettling(callId, async () => {
      await h.publish('conversation_ended', callId, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'x' });
      await new Promise((r) => setTimeout(r, 500));
      return h.results.filter((r) => r.call_id === callId).length;
    });
    expect(held).toEqual({ ran: true, value: 0 });
    expect(llm.completions()).toHaveLength(0);
    // Redelivered after EXTRACTOR_RETRY_DELAY_MS, the event finds the lock free.
    expect((await h.resultFor(callId)).data.result_status).toBe('completed');
    await h.idle();
    expect(h.results.filter((r) => r.call_id === callId)).toHaveLength(1);
  });

  it('marks the result failed when the model stays unreachable', async () => {
    llm.setScript({ rules: [{ reply: { fail: { status: 503, message: 'overloaded' } } }] });
    const callId = await h.createCall({ returns: RETURNS });
    await h.publish('conversation_ended', callId, { segments: CONVERSATION, answered_by: 'human', latency: null, reason: 'x' });
    const result = await h.resultFor(callId);
    expect(result.data.result_status).toBe('failed');
    expect(result.data.result_error).toMatch(/could not be reached after 3 tries.*overloaded/);
    expect(llm.completions()).toHaveLength(3);
  }, 60_000);
});

describe('extractor without conversation_ended', () => {
  it('falls back to the transcript rows after EXTRACTOR_TRANSCRIPT_WAIT_MS', async () => {
    const llm = await startSandboxLlm({ script: appointmentReminderScript });
    const h = await startHarness({ llmUrl: llm.url, transcriptWaitMs: 200 });
    try {
      const callId = await h.createCall({ returns: RETURNS });
      await h.insertSegments(callId, segments(['agent', 'Does tomorrow at 2pm still work?'], ['user', 'Can we reschedule to next Monday morning?']));
      await h.publish('ended', callId, ended({ answered: true }));
      const result = await h.resultFor(callId);
      expect(result.data).toEqual({ result_status: 'completed', result: { confirmed: false, reschedule_to: 'next Monday morning' }, result_error: null });
    } finally {
      await h.close();
      await llm.close();
    }
  });
});
