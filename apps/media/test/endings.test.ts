import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Script } from '@parley/sandbox-llm';
import { PHRASES } from '../src/conversation/conversation';
import { MediaHarness, promptOf } from './harness';

const script: Script = {
  rules: [{ name: 'quiet-hello', when: { match: (c) => promptOf(c).includes('[quiet]') }, reply: { text: 'Hello, this is Parley.' } }],
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
    const [machine, quiet] = await Promise.all([
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
  });
});
