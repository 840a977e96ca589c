import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Calls run in real time; a loaded machine stretches them (the cap is not an assertion on time).
vi.setConfig({ testTimeout: 120_000 });
import type { Script } from '@parley/sandbox-llm';
import { PHRASES } from '../src/conversation/conversation';
import { MediaHarness, promptOf } from './harness';

const script: Script = {
  rules: [
    { name: 'quiet-hello', when: { match: (c) => promptOf(c).includes('[quiet]') }, reply: { text: 'Hello, this is Parley.' } },
    // Keys, then a transfer: the model presses 1 2 # in a phone menu, then hands the call over.
    { name: 'menu-dtmf', when: { match: (c) => promptOf(c).includes('[menu]') && c.toolResults.length === 0 }, reply: { toolCalls: [{ name: 'send_dtmf', arguments: { digits: '12#' } }] } },
    { name: 'menu-transfer', when: { match: (c) => promptOf(c).includes('[menu]') && c.toolResults.length === 1 }, reply: { text: 'Let me put you through to a colleague.', toolCalls: [{ name: 'transfer_call', arguments: { destination: '+15559990000' } }] } },
    { name: 'chatty', when: { match: (c) => promptOf(c).includes('[chatty]') }, reply: { text: 'I see. Please tell me more.' } },
  ],
};

let h: MediaHarness;

beforeAll(async () => {
  h = await MediaHarness.start({ script, env: { SILENCE_REPROMPT_MS: '2500', SILENCE_HANGUP_MS: '6000' } });
});

afterAll(async () => {
  await h?.close();
});

describe('calls that end on their own', () => {
  it('leaves a message on an answering machine after the beep, and hangs up on a silent caller after a re-prompt', async () => {
    const [machine, quiet, menu, chatty] = await Promise.all([
      h.placeCall({
        number: '+15550300001',
        scenario: { outcome: 'voicemail', answer_after_ms: 200 },
        agent: {
          prompt: 'You remind people of appointments. [machine]',
          context: { name: 'Maria' },
          initialGreeting: 'Hi {{name}}!',
          voicemailAction: 'leave_message',
          voicemailMessage: 'Hi {{name}}, this is Parley about your appointment. Please call us back.',
        },
      }),
      h.placeCall({
        number: '+15550300002',
        scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?'] },
        agent: { prompt: 'You are a receptionist. [quiet]', initialGreeting: 'Hi, this is Parley.' },
      }),
      h.placeCall({
        number: '+15550300003',
        scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?'] },
        agent: { prompt: 'You navigate menus. [menu]', tools: [{ type: 'send_dtmf' }, { type: 'transfer_call', destinations: ['+15559990000'] }] },
      }),
      h.placeCall({
        number: '+15550300004',
        scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?', 'Tell me more.', 'I am not sure.', 'Maybe later.', 'Okay then.', 'Fine.'] },
        agent: { prompt: 'You chat. [chatty]', maxDurationSeconds: 9 },
      }),
    ]);

    const vm = await machine.ended;
    expect(vm.data.answered_by).toBe('machine');
    expect(vm.data.reason).toBe('voicemail_message_left');
    const agentSegs = vm.data.segments.filter((s) => s.role === 'agent');
    expect(agentSegs.map((s) => s.text)).toEqual(['Hi Maria, this is Parley about your appointment. Please call us back.']);
    // Spoken after the greeting (about 5 s of speech, then the beep), not over it.
    expect(agentSegs[0]!.start_ms).toBeGreaterThan(4500);
    expect(agentSegs[0]!.interrupted).toBe(false);
    expect(h.llm.completions().filter((r) => promptOf({ request: { messages: r.messages } }).includes('[machine]'))).toHaveLength(0);
    expect(h.commands.filter((c) => c.command.call_id === machine.callId).map((c) => c.command.command)).toEqual(['hangup']);
    // The far end heard the message.
    const farEnd = (await (await fetch(`${h.sim.url}/sim/calls/${machine.phoneChannelId}`)).json()) as { agent_speech_ms: number; hung_up_by: string | null };
    expect(farEnd.agent_speech_ms).toBeGreaterThan(1500);

    const q = await quiet.ended;
    expect(q.data.answered_by).toBe('human');
    expect(q.data.reason).toBe('silence');
    const said = q.data.segments.filter((s) => s.role === 'agent').map((s) => s.text);
    expect(said).toEqual(['Hi, this is Parley.', PHRASES.reprompt, PHRASES.silenceGoodbye]);
    expect(h.commands.filter((c) => c.command.call_id === quiet.callId).map((c) => c.command.command)).toEqual(['hangup']);

    // Tools that act on the call: DTMF through the dialer, then a transfer after the last words.
    const m = await menu.ended;
    expect(h.commands.filter((c) => c.command.call_id === menu.callId).map((c) => c.command)).toEqual([
      { command: 'dtmf', call_id: menu.callId, digits: '12#' },
      { command: 'transfer', call_id: menu.callId, destination: '+15559990000' },
    ]);
    expect(m.data.reason).toBe('transferred');
    expect(m.data.segments.filter((s) => s.role === 'agent').at(-1)).toMatchObject({ text: 'Let me put you through to a colleague.', interrupted: false });

    // max_duration_seconds: the agent says so and hangs up, even mid-conversation.
    const c = await chatty.ended;
    expect(c.data.reason).toBe('max_duration');
    expect(c.data.segments.filter((s) => s.role === 'agent').at(-1)!.text).toBe(PHRASES.maxDurationGoodbye);
    expect(h.commands.filter((x) => x.command.call_id === chatty.callId).map((x) => x.command.command)).toEqual(['hangup']);
  });

  it('ends live sessions at shutdown and still publishes their recording and conversation_ended', async () => {
    const call = await h.placeCall({
      number: '+15550300005',
      scenario: { answer_after_ms: 200, speak_first: true, lines: ['Hello?'] },
      agent: { prompt: 'You are a receptionist. [quiet]', initialGreeting: 'Hi, this is Parley.' },
    });
    await h.waitForSegment(call.callId, (s) => s.role === 'agent');
    await h.app.close();
    const ended = await call.ended;
    expect(ended.data.reason).toBe('media_shutdown');
    expect(ended.data.segments.some((s) => s.role === 'agent' && s.text === 'Hi, this is Parley.')).toBe(true);
    const recording = await h.waitForEvent(call.callId, 'recording');
    expect(recording.data.duration_ms).toBeGreaterThan(1000);
  });
});
