import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });
import { extractChannel, parseWav, rms } from '@parley/audio';
import type { Script } from '@parley/sandbox-llm';
import { PHRASES } from '../src/conversation/conversation';
import { Metrics } from '@parley/service-kit';
import { MediaHarness, promptOf, startToolServer } from './harness';

// Three calls run at once against one media process: each agent's prompt carries a tag the
// scripted model routes on.
const script: Script = {
  rules: [
    // Full conversation with an HTTP tool and end_call.
    { name: 'full-tool', when: { match: (c) => promptOf(c).includes('[full]') && c.turn === 2 && c.toolResults.length === 0 }, reply: { toolCalls: [{ name: 'check_availability', arguments: { day: 'tuesday' } }] } },
    { name: 'full-after-tool', when: { match: (c) => promptOf(c).includes('[full]') && c.toolResults.length > 0 }, reply: (c) => ({ text: c.toolResults[0]!.content.includes('3 pm') ? 'Tuesday at three is free. Shall I book it?' : 'Sorry, I could not check.' }) },
    { name: 'full-bye', when: { match: (c) => promptOf(c).includes('[full]') && c.turn >= 3 }, reply: { text: 'You are welcome. Goodbye!', toolCalls: [{ name: 'end_call', arguments: {} }] } },
    // Barge-in: a long answer the caller talks over.
    {
      name: 'barge-long',
      when: { match: (c) => promptOf(c).includes('[barge]') && c.turn === 1 },
      reply: {
        text: 'Thank you for picking up. I am calling about the documents you sent last week. There are quite a few things to go through. First, the address on the form does not match our records. Second, the date of birth is missing. Third, we need a copy of your identification. Fourth, the signature on page two is not readable.',
      },
      chunkDelayMs: 60,
    },
    { name: 'barge-answer', when: { match: (c) => promptOf(c).includes('[barge]') && c.turn >= 2 }, reply: { text: 'Of course, go ahead.' } },
    // The model fails on the second turn; the agent must still say something.
    { name: 'fail-first', when: { match: (c) => promptOf(c).includes('[fail]') && c.turn === 1 }, reply: { text: 'Hello, how can I help you today?' } },
    { name: 'fail-second', when: { match: (c) => promptOf(c).includes('[fail]') && c.turn >= 2 }, reply: { fail: { status: 500, message: 'model crashed' } } },
  ],
};

let h: MediaHarness;
let tools: Awaited<ReturnType<typeof startToolServer>>;

beforeAll(async () => {
  h = await MediaHarness.start({ script });
  tools = await startToolServer(() => ({ body: { day: 'tuesday', free: ['3 pm'] } }));
});

afterAll(async () => {
  await h?.close();
  await tools?.close();
});

describe('media conversation over real RTP', () => {
  it('greets, answers turns with an HTTP tool, barges in, survives a model failure, and ends the call', async () => {
    const [full, barge, fail] = await Promise.all([
      h.placeCall({
        number: '+15550200001',
        scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?', 'Yes. Is Tuesday possible?', 'Thank you, that is all.'] },
        agent: {
          prompt: 'You are a scheduling assistant. [full]',
          context: { name: 'Maria', appointment: { day: 'Monday' } },
          initialGreeting: 'Hi {{name}}, this is Parley calling about your appointment.',
          tools: [
            { type: 'end_call' },
            { type: 'http', name: 'check_availability', description: 'Free slots of a day', parameters: { type: 'object', properties: { day: { type: 'string' } } }, url: `${tools.url}/slots`, method: 'POST', headers: { 'x-api-key': 'k1' }, timeout_ms: 3000, speak_while_waiting: null },
          ],
        },
      }),
      h.placeCall({
        number: '+15550200002',
        scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?', { text: 'Sorry, wait, I have a question.', barge_in: true, after_ms: 1500 }] },
        agent: { prompt: 'You are a claims assistant. [barge]' },
      }),
      h.placeCall({
        number: '+15550200003',
        scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?', 'I want to change my appointment.'] },
        agent: { prompt: 'You are a front desk assistant. [fail]' },
      }),
    ]);

    // --- full conversation: greeting, tool, end_call
    const fullEnded = await full.ended;
    const segs = fullEnded.data.segments;
    expect(segs[0]).toMatchObject({ role: 'user' });
    const agentSegs = segs.filter((s) => s.role === 'agent');
    expect(agentSegs[0]!.text).toBe('Hi Maria, this is Parley calling about your appointment.');
    expect(agentSegs.map((s) => s.text)).toContain('Tuesday at three is free. Shall I book it?');
    expect(agentSegs.at(-1)!.text).toBe('You are welcome. Goodbye!');
    expect(segs.filter((s) => s.role === 'user').length).toBeGreaterThanOrEqual(3);
    expect(fullEnded.data.answered_by).toBe('human');
    expect(fullEnded.data.reason).toBe('agent_end_call');
    console.log(JSON.stringify({ latency: fullEnded.data.latency }));
    expect(fullEnded.data.latency?.turns).toBeGreaterThanOrEqual(2);
    expect(fullEnded.data.latency?.first_audio_out_ms.p50_ms).toBeGreaterThan(0);
    // Per-turn latency is also a Prometheus histogram per stage.
    const metrics = await h.app.get(Metrics).registry.metrics();
    for (const stage of ['stt', 'llm_first_token', 'tts_first_audio', 'first_audio_out', 'added']) {
      expect(metrics).toMatch(new RegExp(`parley_media_turn_stage_seconds_count\\{[^}]*stage="${stage}"[^}]*\\} [1-9]`));
    }
    // The call ran on the native RTP engine (built at install), and /metrics says so.
    expect(metrics).toMatch(/parley_media_rtp_engine_info\{engine="native",scheduling="[^"]+"[^}]*\} 1/);
    // Live transcript events carried the same segments while the call ran.
    const live = full.events().filter((e) => e.type === 'transcript');
    expect(live.length).toBe(segs.length);
    // The tool got the model's arguments and the agent's headers.
    expect(tools.requests).toHaveLength(1);
    expect(tools.requests[0]).toMatchObject({ method: 'POST', body: { day: 'tuesday' } });
    // end_call hung up through the dialer.
    expect(h.commands.filter((c) => c.command.call_id === full.callId).map((c) => c.command)).toEqual([{ command: 'hangup', call_id: full.callId, reason: 'agent' }]);
    // The prompt is the system message; the context travels as data in its own message.
    const firstRequest = h.llm.completions().find((r) => r.messages[0]?.content === 'You are a scheduling assistant. [full]')!;
    expect(firstRequest.messages[1]!.role).toBe('system');
    expect(firstRequest.messages[1]!.content).toContain('"name":"Maria"');
    expect(firstRequest.toolNames.sort()).toEqual(['check_availability', 'end_call']);

    // Stereo recording: caller left, agent right, both with audio.
    const recording = await h.waitForEvent(full.callId, 'recording');
    expect(recording.data).toMatchObject({ path: `${full.callId}.wav`, format: 'wav' });
    const wav = parseWav(await readFile(join(h.config.RECORDINGS_DIR, recording.data.path)));
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 2 });
    expect(recording.data.bytes).toBe(44 + wav.samples.length * 2);
    expect(rms(extractChannel(wav, 0))).toBeGreaterThan(100);
    expect(rms(extractChannel(wav, 1))).toBeGreaterThan(100);

    // --- barge-in: the long answer is cut, marked interrupted, and the model hears what was said
    await h.waitForSegment(barge.callId, (s) => s.role === 'agent' && s.text === 'Of course, go ahead.');
    await h.release(barge.callId, 'test_done');
    const bargeEnded = await barge.ended;
    const interrupted = bargeEnded.data.segments.find((s) => s.role === 'agent' && s.interrupted);
    expect(interrupted).toBeDefined();
    expect(interrupted!.text.length).toBeLessThan(200);
    expect(interrupted!.text).toMatch(/^Thank you for picking up\./);
    const afterBarge = h.llm.completions().filter((r) => r.messages[0]?.content === 'You are a claims assistant. [barge]' && r.turn >= 2);
    expect(afterBarge.length).toBeGreaterThan(0);
    expect(afterBarge[0]!.messages.some((m) => m.role === 'assistant' && typeof m.content === 'string' && m.content.includes('[interrupted by the caller]'))).toBe(true);

    // --- model failure: a spoken fallback, and the call goes on (until the far end hangs up)
    await h.waitForSegment(fail.callId, (s) => s.role === 'agent' && s.text === PHRASES.llmFallback);
    await fetch(`${h.sim.url}/sim/calls/${encodeURIComponent(fail.phoneChannelId)}/hangup`, { method: 'POST' });
    const failEnded = await fail.ended;
    expect(failEnded.data.reason).toBe('caller_hangup');
    expect(h.commands.some((c) => c.command.call_id === fail.callId)).toBe(false);
  });
});
