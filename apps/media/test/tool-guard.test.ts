import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Script } from '@parley/sandbox-llm';
import { MediaHarness, promptOf, startToolServer } from './harness';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });

// The model calls the tool on its first answer, then says what the tool's result held.
const script: Script = {
  rules: [
    { name: 'call-tool', when: { match: (c) => promptOf(c).includes('[guard]') && c.toolResults.length === 0 }, reply: { toolCalls: [{ name: 'lookup_account', arguments: { id: '42' } }] } },
    { name: 'after-tool', when: { match: (c) => promptOf(c).includes('[guard]') && c.toolResults.length > 0 }, reply: (c) => ({ text: c.toolResults[0]!.content.includes('refused address') ? 'The lookup was refused.' : 'The lookup worked.', toolCalls: [{ name: 'end_call', arguments: {} }] }) },
  ],
};

let h: MediaHarness;
let tools: Awaited<ReturnType<typeof startToolServer>>;

beforeAll(async () => {
  // No allow-list: the media service runs with the guard's defaults.
  h = await MediaHarness.start({ script, env: { OUTBOUND_ALLOW: '' } });
  tools = await startToolServer(() => ({ body: { balance: 12 } }));
});

afterAll(async () => {
  await h?.close();
  await tools?.close();
});

describe("agents' HTTP tools go through the outbound guard", () => {
  it('refuses a tool on loopback by default: no request is made and the model is told why', async () => {
    const toolUrl = tools.url.replace('127.0.0.1', 'localhost');
    const call = await h.placeCall({
      number: '+15550200091',
      scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello? What is my balance?'] },
      agent: {
        prompt: 'You are a billing assistant. [guard]',
        tools: [
          { type: 'end_call' },
          { type: 'http', name: 'lookup_account', description: 'Look up an account', parameters: { type: 'object', properties: { id: { type: 'string' } } }, url: `${toolUrl}/accounts`, method: 'GET', headers: {}, timeout_ms: 3000, speak_while_waiting: null },
        ],
      },
    });
    const ended = await call.ended;
    expect(ended.data.segments.filter((s) => s.role === 'agent').map((s) => s.text)).toContain('The lookup was refused.');
    expect(tools.requests).toHaveLength(0);
  });
});
