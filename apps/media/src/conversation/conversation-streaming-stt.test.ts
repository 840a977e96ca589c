import { describe, expect, it } from 'vitest';
import type { TranscriptSegment } from '@parley/common';
import { EnergyVadProvider } from '../providers/vad/energy';
import { Conversation, type ConversationSetup } from './conversation';
import { Playout } from './playout';
import { quiet, ScriptedLlm, sleep, speech, StreamingQueueStt, testSettings, ToneTts, words } from './testing-fakes';

const setup: ConversationSetup = {
  callId: 'c1',
  prompt: 'You are a test.',
  context: {},
  language: 'en',
  voice: null,
  greeting: null,
  voicemailAction: 'hangup',
  voicemailMessage: null,
  tools: [],
  llm: {},
  maxDurationMs: 600_000,
  detectVoicemail: false,
};

async function run(conversation: Conversation, playout: Playout, caller: Int16Array) {
  for (let o = 0; o < caller.length; o += 320) {
    conversation.onCallerAudio(caller.subarray(o, o + 320));
    playout.read(320);
    await sleep(5);
  }
  await sleep(20);
}

function open(stt: StreamingQueueStt) {
  const playout = new Playout();
  const segments: TranscriptSegment[] = [];
  const llm = new ScriptedLlm([() => words('Hello.'), () => words('Sure.')], 1);
  const conversation = new Conversation(setup, {
    stt,
    llm,
    tts: new ToneTts(),
    vad: new EnergyVadProvider(-30).createStream(),
    vadWindowSamples: 512,
    playout,
    control: { hangup: async () => undefined, transfer: async () => undefined, sendDtmf: async () => undefined },
    settings: testSettings,
    onSegment: (s) => segments.push(s),
    onTurnLatency: () => undefined,
    logger: { info: () => undefined, warn: () => undefined },
  });
  return { conversation, playout, segments, llm };
}

describe('streamed recognition', () => {
  it("feeds the caller's speech to the engine while it is spoken, from the pre-roll to the endpoint, and uses its result", async () => {
    const stt = new StreamingQueueStt(['book me for tuesday']);
    const { conversation, playout, segments, llm } = open(stt);
    conversation.start();
    await run(conversation, playout, quiet(1500));
    await run(conversation, playout, speech(800));
    expect(stt.streams).toHaveLength(1);
    // Still speaking: most of it is in the stream already.
    expect(stt.streams[0]!.samples).toBeGreaterThan(16 * 600);
    expect(stt.streams[0]!.finished).toBe(false);
    await run(conversation, playout, quiet(600));
    await sleep(50);
    expect(stt.streams[0]).toMatchObject({ finished: true, canceled: false });
    // 300 ms of pre-roll, 800 ms of speech, the endpointing silence (300 ms, to the window).
    expect(stt.streams[0]!.samples).toBeGreaterThanOrEqual(16 * 1300);
    expect(stt.streams[0]!.samples).toBeLessThanOrEqual(16 * 1500);
    expect(stt.heard).toEqual([]);
    expect(segments.filter((s) => s.role === 'user').map((s) => s.text)).toEqual(['book me for tuesday']);
    expect(llm.requests.at(-1)!.messages.at(-1)).toEqual({ role: 'user', content: 'book me for tuesday' });
    await conversation.stop('test');
  });

  it('recognizes the utterance in one piece when the stream fails, and drops an open stream when the call ends', async () => {
    const stt = new StreamingQueueStt(['from the whole utterance']);
    stt.fail = true;
    const { conversation, playout, segments } = open(stt);
    conversation.start();
    await run(conversation, playout, quiet(1500));
    await run(conversation, playout, speech(600));
    await run(conversation, playout, quiet(600));
    await sleep(50);
    expect(stt.heard).toHaveLength(1);
    expect(segments.filter((s) => s.role === 'user').map((s) => s.text)).toEqual(['from the whole utterance']);
    await run(conversation, playout, speech(400));
    await conversation.stop('test');
    expect(stt.streams.at(-1)).toMatchObject({ finished: false, canceled: true });
  });
});
