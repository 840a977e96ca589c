import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationBackend, startConversationBackend } from '@parley/sandbox-llm';
import { type Account, isSettled, sandboxAgent, startTestPlatform, type TestPlatform } from './platform-harness';

// Issue 18: a conversation run from the customer's own endpoint, on an install with no language model at all (the
// model URL points where nothing listens, and no sandbox model is started).
let tp: TestPlatform;
let account: Account;
let backend: ConversationBackend;
const requestsByCall = new Map<string, number>();

beforeAll(async () => {
  tp = await startTestPlatform({}, { llmBaseUrl: 'http://127.0.0.1:9/v1' });
  account = await tp.createAccount('Own brain');
  backend = await startConversationBackend({
    secret: account.webhook_secret,
    answer: (turn) => {
      const nth = (requestsByCall.get(turn.call.id) ?? 0) + 1;
      requestsByCall.set(turn.call.id, nth);
      if (turn.type === 'call.started') return { json: { say: `Hi ${String(turn.call.context.name)}, this is the clinic. Is Tuesday at three still good for you?` } };
      if (nth === 2) return { ndjson: [{ say: 'Perfect. ' }, { say: 'We will see you on Tuesday.' }] };
      return { sse: [{ say: 'Goodbye!' }, { end_call: true }] };
    },
  });
});
afterAll(async () => {
  await tp?.stop();
  await backend?.close();
});

describe('an agent in webhook mode, end to end', () => {
  it("holds the whole call from the customer's endpoint with no model configured, and the call ends, settles and bills as any other", async () => {
    const { agent } = await sandboxAgent(tp, account, '+15550100041', {
      name: 'Own brain',
      type: 'outbound',
      conversation: { mode: 'webhook', url: backend.url, timeout_ms: 5000 },
      max_duration_seconds: 120,
    });
    const maria = '+15550142041';
    await tp.scenario(maria, { outcome: 'answer', answer_after_ms: 500, lines: ['Yes, that is fine.', 'Thank you.'] });
    const created = await tp.api(account, 'POST', '/v1/calls', { agent_id: agent.id, to: maria, context: { name: 'Maria' }, metadata: { crm: 'c-41' } });
    expect(created.status).toBe(201);
    const call = await tp.waitForCall(account, created.body.id, isSettled, 150_000);
    expect(call).toMatchObject({ status: 'completed', result_status: 'completed', result: {}, error_code: null });
    expect(call.billed_duration_seconds).toBeGreaterThan(0);

    const transcript = (await tp.api(account, 'GET', `/v1/calls/${call.id}/transcript`)).body.segments;
    const agentWords = transcript.filter((s: any) => s.role === 'agent');
    expect(agentWords.map((s: any) => s.text)).toEqual(['Hi Maria, this is the clinic. Is Tuesday at three still good for you?', 'Perfect. We will see you on Tuesday.', 'Goodbye!']);
    expect(agentWords.every((s: any) => s.model === 'webhook')).toBe(true);

    const requests = backend.requests.filter((r) => r.body?.call.id === call.id);
    expect(requests.map((r) => [r.body!.type, r.verified])).toEqual([['call.started', true], ['turn', true], ['turn', true]]);
    expect(requests[0]!.body!.call).toMatchObject({ id: call.id, agent_id: agent.id, direction: 'outbound', to_number: maria, context: { name: 'Maria' }, metadata: { crm: 'c-41' } });
    const events = (await tp.api(account, 'GET', `/v1/calls/${call.id}/events`)).body.data.map((e: any) => e.type);
    expect(events).toEqual(expect.arrayContaining(['initiated', 'answered', 'ended', 'result']));
    expect(events).not.toContain('agent_error');
  });
});
