import { describe, expect, it } from 'vitest';
import { type ConversationSnapshot, DispatchMessage, MediaAllocateRequest, MediaId, MediaLoad } from './messages';

const conversation: ConversationSnapshot = {
  account_id: 'acct_1',
  agent_id: '7d3c1a2e-0000-4000-8000-000000000002',
  direction: 'outbound',
  prompt: 'Confirm the appointment.',
  context: { name: 'Maria' },
  language: 'en',
  voice: null,
  initial_greeting: 'Hello {{name}}',
  voicemail_action: 'leave_message',
  voicemail_message: null,
  tools: [{ type: 'http', name: 'crm', headers: { Authorization: 'v1.sealed' } }],
  llm: {},
  max_duration_seconds: 600,
};

const dispatch = {
  call_id: '7d3c1a2e-0000-4000-8000-000000000001',
  account_id: 'acct_1',
  trunk_id: 'trk_1',
  to: '+15550002000',
  from: '+15550001000',
  ring_timeout_seconds: 30,
  max_duration_seconds: 600,
  created_at: '2026-12-03T16:00:00.000Z',
};

describe('the conversation snapshot in call messages', () => {
  it('travels in a dispatch message as given, tools untouched', () => {
    expect(DispatchMessage.parse({ ...dispatch, conversation }).conversation).toEqual(conversation);
  });

  it('may be missing from a dispatch message queued by an api older than it', () => {
    expect(DispatchMessage.parse(dispatch).conversation).toBeUndefined();
  });

  it('is required by media.allocate, media having no other source', () => {
    expect(MediaAllocateRequest.safeParse({ call_id: dispatch.call_id, codec: 'g722' }).success).toBe(false);
    expect(MediaAllocateRequest.parse({ call_id: dispatch.call_id, codec: 'g722', conversation }).conversation).toEqual(conversation);
  });
});

describe('media placement messages', () => {
  it('takes a media id that is one NATS subject token', () => {
    expect(MediaId.safeParse('media-host_1-4242').success).toBe(true);
    for (const bad of ['', 'host.example.com', 'a b', 'media.*', 'media>', 'x'.repeat(65)]) expect(MediaId.safeParse(bad).success, bad).toBe(false);
  });

  it('carries a load advert', () => {
    const advert = { media_id: 'media-a', sessions: 3, capacity: 100, cpu: 0.42, rtp_late_frames: 0, accepting: true, interval_ms: 1000, at: new Date().toISOString() };
    expect(MediaLoad.parse(advert)).toEqual(advert);
    expect(MediaLoad.safeParse({ ...advert, capacity: 0 }).success).toBe(false);
  });
});
