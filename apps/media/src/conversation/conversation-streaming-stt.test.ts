import { describe, expect, it } from 'vitest';
import type { Conversation } from './conversation';
import type { Playout } from './playout';
import { playCaller, quiet, ScriptedLlm, sleep, speech, StreamingQueueStt, testConversation, ToneTts, words } from './testing-fakes';

const run = (conversation: Conversation, playout: Playout, caller: Int16Array) => playCaller(conversation, playout, caller);

function open(stt: StreamingQueueStt) {
  const llm = new ScriptedLlm([() => words('Hello.'), () => words('Sure.')], 1);
  return { ...testConversation({}, { stt, llm, tts: new ToneTts() }), llm };
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
