import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSandboxLlm, type SandboxLlm, type Script } from '@parley/sandbox-llm';
import { PHRASES } from '../src/conversation/conversation';
import { MediaHarness } from './harness';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });

// One media process, the service's model server and an agent's own: each call is answered by its agent's model.
const answer = (text: string): Script => ({ rules: [{ name: 'answer', when: { match: () => true }, reply: { text } }] });

let h: MediaHarness;
let own: SandboxLlm;

beforeAll(async () => {
  h = await MediaHarness.start({ script: answer('This is the service model speaking.') });
  own = await startSandboxLlm({ port: 0, script: answer('This is your own model speaking.') });
});

afterAll(async () => {
  await h?.close();
  await own?.close();
});

const caller = { answer_after_ms: 200, speak_first: true, lines: ['Hello?'] };

describe("an agent's own model server", () => {
  it('answers its calls with its key and model, while the other agent in the same process stays on the service model', async () => {
    const [service, agents] = await Promise.all([
      h.placeCall({ number: '+15550210001', scenario: caller, agent: { prompt: 'Service agent.' } }),
      h.placeCall({ number: '+15550210002', scenario: caller, agent: { prompt: 'Own model agent.', llm: { base_url: own.url, api_key: 'sk-own-5e2f', model: 'own-model-7b', temperature: 0.3 } } }),
    ]);
    const said = async (call: typeof service, text: string) => {
      const segment = await h.waitForSegment(call.callId, (s) => s.role === 'agent' && s.text === text);
      await h.release(call.callId, 'test_done');
      await call.ended;
      return segment;
    };
    expect(await said(service, 'This is the service model speaking.')).toMatchObject({ data: { segment: { model: 'parley-sandbox' } } });
    expect(await said(agents, 'This is your own model speaking.')).toMatchObject({ data: { segment: { model: 'own-model-7b' } } });

    const prompts = (server: SandboxLlm) => server.completions().map((r) => r.messages[0]?.content);
    expect(prompts(own).every((p) => p === 'Own model agent.')).toBe(true);
    expect(prompts(h.llm)).not.toContain('Own model agent.');
    const request = own.completions()[0]!;
    expect(request.headers.authorization).toBe('Bearer sk-own-5e2f');
    expect(request.body).toMatchObject({ model: 'own-model-7b', temperature: 0.3, stream: true });
    expect(h.llm.completions().find((r) => r.messages[0]?.content === 'Service agent.')!.headers.authorization).toBe(`Bearer ${h.config.LLM_API_KEY}`);
  });

  it('is called through the outbound guard, and one that is refused or down gets the spoken fallback while the call goes on', async () => {
    const [refused, down] = await Promise.all([
      // The cloud metadata address: refused by the guard before any connection.
      h.placeCall({ number: '+15550210003', scenario: caller, agent: { prompt: 'Metadata agent.', llm: { base_url: 'http://169.254.169.254/v1', model: 'm' } } }),
      // Allowed (the harness allows loopback) but nothing listens there.
      h.placeCall({ number: '+15550210004', scenario: caller, agent: { prompt: 'Down agent.', llm: { base_url: `http://127.0.0.1:${await closedPort()}/v1`, model: 'm' } } }),
    ]);
    for (const call of [refused, down]) {
      const fallback = await h.waitForSegment(call.callId, (s) => s.role === 'agent' && s.text === PHRASES.llmFallback);
      expect(fallback.type === 'transcript' && fallback.data.segment.model).toBeUndefined();
      expect(h.commands.some((c) => c.command.call_id === call.callId)).toBe(false);
      await h.release(call.callId, 'test_done');
      expect((await call.ended).data.reason).toBe('test_done');
    }
    expect(h.llm.completions().map((r) => r.messages[0]?.content)).not.toContain('Metadata agent.');
  });
});

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
