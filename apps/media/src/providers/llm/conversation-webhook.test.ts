import { afterEach, describe, expect, it } from 'vitest';
import { type BackendReply, type BackendTurn, type ConversationBackend, startConversationBackend } from '@parley/sandbox-llm';
import { createGuardedFetch, OutboundAddressPolicy } from '@parley/service-kit';
import type { LlmChunk, LlmMessage } from '../types';
import { ConversationWebhook } from './conversation-webhook';

const SECRET = 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=';
const CALL = { id: '5d1c0d6e-9a4b-4b8e-9d55-0c2f6f1c7a10', agent_id: '8c2f6d3e-1b7a-4f3e-9c1d-2a5b6c7d8e9f', direction: 'outbound' as const, from_number: '+15550001111', to_number: '+15550002222', context: { name: 'Maria' }, metadata: { case: 7 } };
// What media uses: the outbound guard (loopback allowed for the test backend), the answer streamed.
const guarded = createGuardedFetch(new OutboundAddressPolicy({ allow: ['127.0.0.1'], platformPorts: [], blockPrivate: false }), { maxResponseBytes: 1 << 20, stream: true });

let backend: ConversationBackend | undefined;
afterEach(async () => backend?.close());

async function start(answer: (turn: BackendTurn) => BackendReply | Promise<BackendReply>, timeoutMs = 2000) {
  backend = await startConversationBackend({ secret: SECRET, answer });
  const errors: Array<[string, string]> = [];
  const webhook = new ConversationWebhook({ url: backend.url, timeoutMs, secret: SECRET, call: CALL, fetch: guarded, onError: (turn, message) => errors.push([turn, message]) });
  return { webhook, errors, backend };
}

const history = (...turns: Array<[LlmMessage['role'], string]>): LlmMessage[] => [
  { role: 'system', content: 'You are Ava.' },
  { role: 'system', content: 'Context: {"name":"Maria"}' },
  ...turns.map(([role, content]) => ({ role, content })),
];

async function collect(webhook: ConversationWebhook, messages: LlmMessage[], signal = new AbortController().signal): Promise<LlmChunk[]> {
  const out: LlmChunk[] = [];
  for await (const c of webhook.stream({ messages, tools: [], signal })) out.push(c);
  return out;
}

describe('ConversationWebhook', () => {
  it('POSTs a signed call.started, then turns with the transcript and the last words, each with its own turn id', async () => {
    const { webhook, backend } = await start((t) => ({ json: { say: t.type === 'call.started' ? 'Hello Maria.' : `You said: ${t.utterance}` } }));
    expect(await collect(webhook, history())).toEqual([{ type: 'model', model: 'webhook' }, { type: 'text', text: 'Hello Maria.' }]);
    expect(await collect(webhook, history(['assistant', 'Hello Maria.'], ['user', 'Is Tuesday free?']))).toContainEqual({ type: 'text', text: 'You said: Is Tuesday free?' });
    const [first, second] = backend.requests;
    expect(first!.verified).toBe(true);
    expect(first!.headers['webhook-id']).toBe(`${CALL.id}:1`);
    expect(first!.body).toEqual({ type: 'call.started', turn_id: `${CALL.id}:1`, call: CALL, transcript: [], utterance: null });
    expect(second!.verified).toBe(true);
    expect(second!.body).toEqual({
      type: 'turn',
      turn_id: `${CALL.id}:2`,
      call: CALL,
      transcript: [
        { role: 'agent', text: 'Hello Maria.' },
        { role: 'user', text: 'Is Tuesday free?' },
      ],
      utterance: 'Is Tuesday free?',
    });
  });

  it('yields streamed words while the endpoint is still writing, and its actions as the built-in tools', async () => {
    const { webhook, backend } = await start(() => ({ ndjson: [{ say: 'One moment. ' }, { say: 'Transferring you now.', send_dtmf: '1#' }, { transfer_to: '+15559990000', end_call: true }], delayMs: 300 }));
    const seen: Array<[LlmChunk, number]> = [];
    for await (const c of webhook.stream({ messages: history(['assistant', 'Hi'], ['user', 'Agent please']), tools: [], signal: new AbortController().signal })) seen.push([c, performance.now()]);
    const first = seen.find(([c]) => c.type === 'text')!;
    // The first words came before the rest was written: the endpoint paused twice for 300 ms after them (buffered,
    // everything would come at once).
    expect(seen.at(-1)![1] - first[1]).toBeGreaterThan(500);
    expect(seen.map(([c]) => c)).toEqual([
      { type: 'model', model: 'webhook' },
      { type: 'text', text: 'One moment. ' },
      { type: 'text', text: 'Transferring you now.' },
      { type: 'tool_call', call: { id: `${CALL.id}:1:0`, name: 'send_dtmf', arguments: '{"digits":"1#"}' } },
      { type: 'tool_call', call: { id: `${CALL.id}:1:1`, name: 'transfer_call', arguments: '{"destination":"+15559990000"}' } },
      { type: 'tool_call', call: { id: `${CALL.id}:1:2`, name: 'end_call', arguments: '{}' } },
    ]);
  });

  it('reads Server-Sent Events the same way', async () => {
    const { webhook } = await start(() => ({ sse: [{ say: 'Sure, ' }, { say: 'done.' }] }));
    expect((await collect(webhook, history(['assistant', 'Hi'], ['user', 'Book it']))).filter((c) => c.type === 'text')).toEqual([
      { type: 'text', text: 'Sure, ' },
      { type: 'text', text: 'done.' },
    ]);
  });

  it('fails the turn with the reason (timeout, error status, garbage) and tells onError, so the fallback is spoken', async () => {
    const slow = await start(() => ({ afterMs: 1500, then: { json: { say: 'Too late.' } } }), 300);
    await expect(collect(slow.webhook, history(['assistant', 'Hi'], ['user', 'Hello?']))).rejects.toThrow(/no answer within 300 ms/);
    expect(slow.errors).toEqual([[`${CALL.id}:1`, 'no answer within 300 ms']]);
    await slow.backend.close();

    const broken = await start(() => ({ status: 502, body: 'bad gateway' }));
    await expect(collect(broken.webhook, history())).rejects.toThrow(/answered 502: "bad gateway"/);
    await broken.backend.close();

    const garbage = await start(() => ({ status: 200, body: '{"reply":"hi"}', contentType: 'application/json' }));
    await expect(collect(garbage.webhook, history())).rejects.toThrow(/not an answer/);
    expect(garbage.errors[0]![1]).toMatch(/not an answer/);
  });

  it('stops at once when the turn is cancelled (barge-in): the endpoint sees the connection close, and no error is reported', async () => {
    const { webhook, errors, backend } = await start(() => ({ hang: true }));
    const cancel = new AbortController();
    const done = collect(webhook, history(['assistant', 'Hi'], ['user', 'Hello?']), cancel.signal);
    await expect.poll(() => backend.requests.length).toBe(1);
    cancel.abort();
    await done;
    await expect.poll(() => backend.requests[0]!.aborted).toBe(true);
    expect(errors).toEqual([]);
  });

  it('refuses to call an endpoint it cannot sign for', async () => {
    backend = await startConversationBackend({ secret: SECRET, answer: () => ({ json: { say: 'x' } }) });
    const errors: string[] = [];
    const unsigned = new ConversationWebhook({ url: backend.url, timeoutMs: 1000, secret: '', call: CALL, fetch: guarded, onError: (_t, m) => errors.push(m) });
    await expect(collect(unsigned, history())).rejects.toThrow(/cannot be signed/);
    expect(backend.requests).toEqual([]);
  });
});
