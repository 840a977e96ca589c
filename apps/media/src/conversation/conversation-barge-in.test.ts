import { describe, expect, it } from 'vitest';
import type { Conversation } from './conversation';
import type { Playout } from './playout';
import { playCaller, QueueStt, quiet, ScriptedLlm, sleep, speech, testConversation, ToneTts, words } from './testing-fakes';

const LONG = 'First sentence of a long answer. Second sentence goes on. Third sentence goes on and on. Fourth sentence never ends.';

/** Plays caller audio and reads the agent's, 20 ms at a time, as the RTP clock would. */
async function run(conversation: Conversation, playout: Playout, caller: Int16Array, played: Int16Array[]) {
  played.push(...(await playCaller(conversation, playout, caller, 10)));
}

describe('barge-in', () => {
  it('stops playback, cancels the model and TTS at once, and marks the agent turn interrupted', async () => {
    const llm = new ScriptedLlm([() => words(LONG), () => words("Yes?")], 5);
    const tts = new ToneTts();
    const stt = new QueueStt(['wait a moment']);
    const { conversation, playout, segments } = testConversation({}, { stt, llm, tts });
    conversation.start();
    const played: Int16Array[] = [];
    // The model speaks first; let its first sentence play for a while.
    await run(conversation, playout, quiet(800), played);
    expect(played.length).toBeGreaterThan(10);
    expect(conversation.agentTalking).toBe(true);

    // The caller talks over it.
    await run(conversation, playout, speech(400), played);
    expect(llm.requests[0]!.aborted).toBe(true);
    expect(playout.playing).toBe(false);
    expect(conversation.agentTalking).toBe(false);
    const cut = segments.find((s) => s.role === 'agent')!;
    expect(cut.interrupted).toBe(true);
    expect(cut.text.startsWith('First sentence of a long answer.')).toBe(true);
    expect(cut.text).not.toContain('Fourth');
    // Nothing more of the old answer is synthesized or played.
    const spokenAtBarge = tts.spoken.length;
    const playedAtBarge = played.length;
    await run(conversation, playout, quiet(200), played);
    expect(played.length).toBe(playedAtBarge);
    expect(tts.spoken.length).toBe(spokenAtBarge);

    // The caller's words end the turn (endpointing silence), and the model hears what was really said.
    await run(conversation, playout, quiet(600), played);
    await sleep(100);
    expect(segments.map((s) => [s.role, s.text])).toContainEqual(['user', 'wait a moment']);
    const second = llm.requests[1]!;
    expect(second.messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([`${cut.text} [interrupted by the caller]`]);
    expect(second.messages.at(-1)).toEqual({ role: 'user', content: 'wait a moment' });
    await conversation.stop('test');
  });

  it('does not treat a short noise as barge-in', async () => {
    const llm = new ScriptedLlm([() => words(LONG)], 5);
    const { conversation, playout, segments } = testConversation({}, { stt: new QueueStt(['']), llm, tts: new ToneTts() });
    conversation.start();
    const played: Int16Array[] = [];
    await run(conversation, playout, quiet(600), played);
    await run(conversation, playout, speech(60), played);
    await run(conversation, playout, quiet(400), played);
    expect(llm.requests[0]!.aborted).toBe(false);
    expect(conversation.agentTalking).toBe(true);
    expect(segments.filter((s) => s.interrupted)).toEqual([]);
    await conversation.stop('test');
  });
});
