import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BackendTurn, type ConversationBackend, startConversationBackend } from '@parley/sandbox-llm';
import { PHRASES } from '../src/conversation/conversation';
import { MediaHarness } from './harness';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });

// Agents in webhook mode: the customer's endpoint answers every turn, the model is never asked.
const SECRET = 'whsec_Y29udmVyc2F0aW9uLXdlYmhvb2stdGVzdA==';
const LONG = ['Thank you for picking up.', 'I am calling about the documents you sent last week.', 'There are quite a few things to go through.', 'First, the address on the form does not match our records.', 'Second, the date of birth is missing.'];

/** Answers by the call's tag (its context) and how many requests the call made. */
function answer(turn: BackendTurn, nth: number) {
  switch (turn.call.context.tag) {
    case 'whole':
      if (turn.type === 'call.started') return { json: { say: 'Hi Maria, this is the clinic calling about your appointment.' } };
      if (nth === 2) return { ndjson: [{ say: 'Great. ' }, { say: 'It is on Tuesday at three.' }] };
      return { sse: [{ say: 'Thank you. Goodbye!' }, { end_call: true }] };
    case 'garbage':
      if (turn.type === 'call.started') return { json: { say: 'Hello, this is the clinic.' } };
      if (nth === 2) return { status: 200, body: '<html><body>Welcome to nginx!</body></html>', contentType: 'text/html' };
      return { json: { say: 'Back again.' } };
    case 'slow':
      if (turn.type === 'call.started') return { json: { say: 'Hello, this is the clinic.' } };
      if (nth === 2) return { afterMs: 3000, then: { json: { say: 'Too late.' } } };
      return { json: { say: 'I am still here.' } };
    default:
      if (turn.type === 'call.started') return { ndjson: LONG.map((say) => ({ say: `${say} ` })), delayMs: 700 };
      return { json: { say: 'Of course, go ahead.' } };
  }
}

let h: MediaHarness;
let backend: ConversationBackend;
const nthOf = new Map<string, number>();

beforeAll(async () => {
  h = await MediaHarness.start({ script: { rules: [{ name: 'never', when: { match: () => true }, reply: { text: 'The model should not be asked.' } }] } });
  backend = await startConversationBackend({
    secret: SECRET,
    answer: (turn) => {
      const nth = (nthOf.get(turn.call.id) ?? 0) + 1;
      nthOf.set(turn.call.id, nth);
      return answer(turn, nth);
    },
  });
});

afterAll(async () => {
  await h?.close();
  await backend?.close();
});

const agent = (tag: string, timeoutMs = 5000) => ({ prompt: `Webhook agent ${tag}.`, context: { tag }, conversation: { url: backend.url, timeoutMs, secret: SECRET } });
const requestsOf = (callId: string) => backend.requests.filter((r) => r.body?.call.id === callId);

describe('an agent in webhook mode, over real RTP', () => {
  it('greets, answers turns streamed and whole, hangs up when told, survives a slow or garbage-answering endpoint, and cancels a request the caller talks over', async () => {
    const [whole, slow, barge, garbage] = await Promise.all([
      h.placeCall({ number: '+15550220001', scenario: { answer_after_ms: 200, lines: ['Yes, this is Maria.', 'Thank you, that is all.'] }, agent: agent('whole') }),
      h.placeCall({ number: '+15550220002', scenario: { answer_after_ms: 200, lines: ['Hello, who is this?', 'Are you still there?'] }, agent: agent('slow', 800) }),
      h.placeCall({ number: '+15550220003', scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?', { text: 'Sorry, wait, I have a question.', barge_in: true, after_ms: 1500 }] }, agent: agent('barge') }),
      h.placeCall({ number: '+15550220004', scenario: { answer_after_ms: 200, lines: ['Hello, who is this?', 'Are you still there?'] }, agent: agent('garbage') }),
    ]);

    // --- a whole call: call.started greeting, a streamed NDJSON answer, an SSE answer with end_call
    const ended = await whole.ended;
    expect(ended.data.reason).toBe('agent_end_call');
    const agentSegments = ended.data.segments.filter((s) => s.role === 'agent');
    expect(agentSegments.map((s) => s.text)).toEqual(['Hi Maria, this is the clinic calling about your appointment.', 'Great. It is on Tuesday at three.', 'Thank you. Goodbye!']);
    expect(agentSegments.every((s) => s.model === 'webhook')).toBe(true);
    expect(h.commands.filter((c) => c.command.call_id === whole.callId).map((c) => c.command)).toEqual([{ command: 'hangup', call_id: whole.callId, reason: 'agent' }]);
    const wholeRequests = requestsOf(whole.callId);
    expect(wholeRequests.map((r) => [r.body!.type, r.verified])).toEqual([['call.started', true], ['turn', true], ['turn', true]]);
    expect(wholeRequests[0]!.body!.call).toMatchObject({ id: whole.callId, direction: 'outbound', from_number: '+15550001111', to_number: '+15550220001', context: { tag: 'whole' }, metadata: { test: true } });
    expect(wholeRequests[2]!.body!.transcript.map((t) => t.role)).toEqual(['agent', 'user', 'agent', 'user']);
    expect(wholeRequests[2]!.body!.utterance).toBe(wholeRequests[2]!.body!.transcript.at(-1)!.text);

    // --- a slow endpoint: the fallback is spoken, the failure is an agent_error event, and the next turn goes on
    await h.waitForSegment(slow.callId, (s) => s.role === 'agent' && s.text === PHRASES.llmFallback);
    await h.waitForSegment(slow.callId, (s) => s.role === 'agent' && s.text === 'I am still here.');
    const error = h.events.find((e) => e.call_id === slow.callId && e.type === 'agent_error');
    expect(error?.data).toEqual({ source: 'conversation_webhook', turn_id: `${slow.callId}:2`, message: 'no answer within 800 ms' });
    expect(requestsOf(slow.callId)[1]!.aborted).toBe(true);
    await h.release(slow.callId, 'test_done');

    // --- barge-in: the streamed greeting is cut, its request is closed, and the caller's words get a new request
    await h.waitForSegment(barge.callId, (s) => s.role === 'agent' && s.text === 'Of course, go ahead.');
    await h.release(barge.callId, 'test_done');
    const bargeEnded = await barge.ended;
    const cut = bargeEnded.data.segments.find((s) => s.role === 'agent' && s.interrupted);
    expect(cut?.text).toMatch(/^Thank you for picking up\./);
    const bargeRequests = requestsOf(barge.callId);
    expect(bargeRequests[0]!.aborted).toBe(true);
    expect(bargeRequests.at(-1)!.body!.turn_id).not.toBe(bargeRequests[0]!.body!.turn_id);
    expect(bargeRequests.at(-1)!.body!.transcript.some((t) => t.role === 'agent' && t.text.includes('[interrupted by the caller]'))).toBe(true);

    // --- garbage: the fallback, an agent_error naming what came back, and the call goes on
    await h.waitForSegment(garbage.callId, (s) => s.role === 'agent' && s.text === PHRASES.llmFallback);
    await h.waitForSegment(garbage.callId, (s) => s.role === 'agent' && s.text === 'Back again.');
    expect(h.events.find((e) => e.call_id === garbage.callId && e.type === 'agent_error')?.data).toMatchObject({ turn_id: `${garbage.callId}:2`, message: expect.stringMatching(/content-type is text\/html/) });
    await h.release(garbage.callId, 'test_done');

    // The model was never asked.
    expect(h.llm.completions()).toEqual([]);
  });
});
