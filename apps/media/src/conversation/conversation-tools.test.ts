import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTool } from '@parley/common';
import { type ToolCallRecord, toolCallRecord } from './agent-reply';
import { PHRASES } from './conversation';
import { QueueStt, quiet, ScriptedLlm, sleep, testConversation, ToneTts, words } from './testing-fakes';

// An HTTP tool that never answers in time: the caller hears a filler while it runs, and the
// model gets the failure as the tool result and says something about it.
let server: Server;
let url: string;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    setTimeout(() => res.end('{"late":true}'), 3000);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
});

afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

describe('a slow, failing HTTP tool', () => {
  it('fills the silence, then gives the model the failure, and the model speaks', async () => {
    const tool: AgentTool = { type: 'http', name: 'lookup', description: 'Look up an order', parameters: { type: 'object', properties: { id: { type: 'string' } } }, url, method: 'GET', headers: {}, timeout_ms: 2000, speak_while_waiting: null };
    const llm = new ScriptedLlm([
      () => [{ type: 'tool_call', call: { id: 'call_1', name: 'lookup', arguments: '{"id":"A7"}' } }],
      (req) => words(req.messages.at(-1)?.content?.includes('no answer within 2000 ms') ? 'Sorry, I cannot reach our system right now.' : 'Unexpected.'),
    ]);
    const records: ToolCallRecord[] = [];
    const { conversation, playout, segments } = testConversation({ callId: 'c2', prompt: 'You look up orders.', tools: [tool] }, { stt: new QueueStt([]), llm, tts: new ToneTts(), onToolCall: (r) => records.push(r) });
    conversation.start();
    for (let t = 0; t < 4000 && !segments.some((s) => s.role === 'agent'); t += 20) {
      conversation.onCallerAudio(quiet(20));
      playout.read(320);
      await sleep(20);
    }
    expect(hits).toEqual(['/slow?id=A7']);
    const said = segments.filter((s) => s.role === 'agent').map((s) => s.text);
    expect(said).toEqual([`${PHRASES.toolFiller} Sorry, I cannot reach our system right now.`]);
    const toolMessage = llm.requests[1]!.messages.find((m) => m.role === 'tool')!;
    expect(toolMessage).toMatchObject({ tool_call_id: 'call_1' });
    expect(JSON.parse(toolMessage.content!)).toEqual({ error: 'the lookup tool failed: no answer within 2000 ms' });
    // The call's timeline gets the call: what the model asked, what came of it, how long it took.
    expect(records).toEqual([{ name: 'lookup', arguments: '{"id":"A7"}', outcome: 'result', result: toolMessage.content, failed: true, duration_ms: expect.any(Number) }]);
    expect(records[0]!.duration_ms).toBeGreaterThanOrEqual(1900);
    await conversation.stop('test');
  });
});

describe('a slow model', () => {
  it('says a filler while it thinks, then its answer', async () => {
    const llm = new ScriptedLlm([() => words('Ships tomorrow.')], 3000);
    const { conversation, playout, segments } = testConversation({ callId: 'c3', prompt: 'p' }, { stt: new QueueStt([]), llm, tts: new ToneTts() });
    conversation.start();
    let tokensWhenAudioStarted: number | undefined;
    for (let t = 0; t < 20_000 && !segments.some((s) => s.role === 'agent'); t += 20) {
      conversation.onCallerAudio(quiet(20));
      const out = playout.read(320);
      if (out && tokensWhenAudioStarted === undefined) tokensWhenAudioStarted = llm.yielded;
      await sleep(20);
    }
    // The caller heard something before the model had produced a single token.
    expect(tokensWhenAudioStarted).toBe(0);
    expect(segments.filter((s) => s.role === 'agent').map((s) => s.text)).toEqual([`${PHRASES.llmFiller} Ships tomorrow.`]);
    await conversation.stop('test');
  }, 30_000);
});

describe('toolCallRecord', () => {
  it('keeps the arguments and result (clipped at 2,000 characters), the transfer destination, and marks failures', () => {
    const call = { id: 'c', name: 'lookup', arguments: '' };
    expect(toolCallRecord(call, { kind: 'result', content: 'x'.repeat(2500) }, 12.4)).toEqual({ name: 'lookup', arguments: '{}', outcome: 'result', result: `${'x'.repeat(2000)}…`, failed: false, duration_ms: 12 });
    expect(toolCallRecord({ ...call, name: 'transfer_call' }, { kind: 'transfer', destination: '+15551230000' }, 3)).toMatchObject({ outcome: 'transfer', result: '+15551230000', failed: false });
    expect(toolCallRecord({ ...call, name: 'end_call' }, { kind: 'end_call' }, 0)).toMatchObject({ outcome: 'end_call', result: null, failed: false });
    // Cut short (the caller talked over it): no outcome.
    expect(toolCallRecord(call, undefined, 5)).toMatchObject({ outcome: 'result', result: null, failed: true });
  });
});
