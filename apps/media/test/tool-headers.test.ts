import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Script } from '@parley/sandbox-llm';
import { MediaHarness, promptOf, startToolServer } from './harness';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });

// The model calls the tool on its first answer, then ends the call.
const script: Script = {
  rules: [
    { name: 'call-tool', when: { match: (c) => promptOf(c).includes('[headers]') && c.toolResults.length === 0 }, reply: { toolCalls: [{ name: 'crm_lookup', arguments: { id: '42' } }] } },
    { name: 'after-tool', when: { match: (c) => promptOf(c).includes('[headers]') && c.toolResults.length > 0 }, reply: { text: 'Found you.', toolCalls: [{ name: 'end_call', arguments: {} }] } },
  ],
};

let h: MediaHarness;
let tools: Awaited<ReturnType<typeof startToolServer>>;

beforeAll(async () => {
  h = await MediaHarness.start({ script });
  tools = await startToolServer(() => ({ body: { name: 'Maria' } }));
});

afterAll(async () => {
  await h?.close();
  await tools?.close();
});

describe("agents' HTTP tool headers", () => {
  it('travel sealed, and the tool receives their real values', async () => {
    const call = await h.placeCall({
      number: '+15550200095',
      scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello? Who is this?'] },
      agent: {
        prompt: 'You are a CRM assistant. [headers]',
        tools: [
          { type: 'end_call' },
          { type: 'http', name: 'crm_lookup', description: 'Look up a caller', parameters: { type: 'object', properties: { id: { type: 'string' } } }, url: `${tools.url}/callers`, method: 'POST', headers: { Authorization: 'Bearer crm-token-51f0', 'x-api-key': 'crm-key-77' }, timeout_ms: 3000, speak_while_waiting: null },
        ],
      },
    });
    expect(JSON.stringify(call.conversation.tools)).not.toMatch(/crm-token|crm-key/);
    const ended = await call.ended;
    expect(ended.data.segments.filter((s) => s.role === 'agent').map((s) => s.text)).toContain('Found you.');
    expect(tools.requests).toHaveLength(1);
    expect(tools.requests[0]!.headers).toMatchObject({ authorization: 'Bearer crm-token-51f0', 'x-api-key': 'crm-key-77' });
  });
});
