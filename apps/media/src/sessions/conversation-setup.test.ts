import { describe, expect, it } from 'vitest';
import type { ConversationSnapshot } from '@parley/common';
import { conversationSetup } from './conversation-setup';

const callId = '7d3c1a2e-0000-4000-8000-000000000001';
const snapshot: ConversationSnapshot = {
  account_id: 'acct_1',
  agent_id: '7d3c1a2e-0000-4000-8000-000000000002',
  direction: 'outbound',
  prompt: 'You call {{name}} about an appointment.',
  context: { name: 'Maria', appointment: { day: 'Tuesday', time: '3 pm' } },
  language: 'en',
  voice: 'en-us+f3',
  tools: [{ type: 'end_call' }, { type: 'http', name: 'bad name!', description: 'x', url: 'not a url' }],
  voicemail_action: 'leave_message',
  voicemail_message: 'Hi {{name}}, your appointment is on {{appointment.day}} at {{appointment.time}}.',
  initial_greeting: 'Hello {{ name }}, this is about {{appointment.day}}. {{unknown}} stays.',
  llm: { temperature: 0.2 },
  max_duration_seconds: 120,
};

describe('conversationSetup', () => {
  const warnings: object[] = [];
  const setup = conversationSetup(callId, snapshot, { warn: (o) => warnings.push(o) });

  it('fills greeting and voicemail placeholders from the context, dotted paths included', () => {
    expect(setup.greeting).toBe('Hello Maria, this is about Tuesday. {{unknown}} stays.');
    expect(setup.voicemailMessage).toBe('Hi Maria, your appointment is on Tuesday at 3 pm.');
  });

  it('keeps the prompt as rendered by the api and the context as separate data', () => {
    expect(setup.callId).toBe(callId);
    expect(setup.prompt).toBe(snapshot.prompt);
    expect(setup.context).toEqual(snapshot.context);
  });

  it('validates stored tools, skipping invalid ones with a warning', () => {
    expect(setup.tools).toEqual([{ type: 'end_call' }]);
    expect(warnings).toHaveLength(1);
  });

  it('listens for voicemail on outbound calls only, and takes the call limits', () => {
    expect(setup.detectVoicemail).toBe(true);
    expect(conversationSetup(callId, { ...snapshot, direction: 'inbound' }, { warn: () => undefined }).detectVoicemail).toBe(false);
    expect(setup.maxDurationMs).toBe(120_000);
    expect(setup.llm).toEqual({ temperature: 0.2 });
    expect(setup.voice).toBe('en-us+f3');
  });
});
