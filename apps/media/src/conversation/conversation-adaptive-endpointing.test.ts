import { describe, expect, it } from 'vitest';
import { ChunkedSttStream } from '../providers/stt/chunked-stream';
import type { Stt, SttResult, SttStream } from '../providers/types';
import type { Conversation } from './conversation';
import type { Playout } from './playout';
import { playCaller, quiet, ScriptedLlm, sleep, speech, StreamingQueueStt, testConversation, testSettings, ToneTts, words } from './testing-fakes';

// Fixed endpointing would wait 300 ms; a pause is looked at after 150 ms; a finished sentence ends at 250, an "and" at 700.
const settings = { ...testSettings, endpointingSilenceMs: 300, pauseMs: 150, completeSilenceMs: 250, incompleteSilenceMs: 700 };

/** An engine that recognizes whole pieces only (Whisper, an OpenAI-compatible server), streamed in pieces cut at pauses. */
class PiecesStt implements Stt {
  readonly name = 'pieces';
  /** Each request's audio, ms. */
  readonly requests: number[] = [];
  constructor(private readonly texts: string[]) {}
  async transcribe(pcm: Int16Array): Promise<SttResult> {
    this.requests.push(pcm.length / 16);
    return { text: this.texts.shift() ?? '' };
  }
  stream(): SttStream {
    return new ChunkedSttStream((pcm) => this.transcribe(pcm));
  }
}

function open(stt: Stt) {
  const llm = new ScriptedLlm([() => words('Sure thing.')], 1);
  return { ...testConversation({ language: 'en-US', greeting: 'Hello.' }, { stt, llm, tts: new ToneTts(), settings }), llm };
}

/** Caller audio as the RTP clock would play it; returns how many agent frames were sent meanwhile. */
async function run(conversation: Conversation, playout: Playout, caller: Int16Array): Promise<number> {
  return (await playCaller(conversation, playout, caller)).length;
}

/** Lets the greeting play out so the caller's turn comes next. */
async function greeted(conversation: Conversation, playout: Playout) {
  conversation.start();
  await run(conversation, playout, quiet(600));
}

describe('adaptive endpointing', () => {
  it('prepares the reply in the pause after a finished sentence and plays it only once the turn has ended', async () => {
    const stt = new StreamingQueueStt(['book me for tuesday']);
    stt.partialText = 'book me for tuesday';
    const { conversation, playout, segments, latencies, llm } = open(stt);
    await greeted(conversation, playout);
    await run(conversation, playout, speech(700));
    // 200 ms of silence: the pause was looked at and the reply prepared, but the turn has not ended, so nothing plays.
    expect(await run(conversation, playout, quiet(200))).toBe(0);
    expect(llm.requests).toHaveLength(1);
    expect(stt.streams[0]!.finished).toBe(true);
    expect(segments.filter((s) => s.role === 'user')).toEqual([]);
    // At 250 ms of silence (shorter than the fixed 300) the turn ends and the prepared reply plays at once.
    expect(await run(conversation, playout, quiet(300))).toBeGreaterThan(0);
    expect(segments.filter((s) => s.role === 'user').map((s) => s.text)).toEqual(['book me for tuesday']);
    const turn = latencies.at(-1)!;
    expect(turn).toMatchObject({ sttMs: 0, llmFirstTokenMs: 0 });
    expect(turn.endpointingMs).toBeLessThan(300);
    expect(stt.heard).toEqual([]);
    await conversation.stop('test');
  });

  it('works with an engine that recognizes whole pieces only: the words so far at the pause, and nothing left at the end', async () => {
    const stt = new PiecesStt(['book me for tuesday']);
    const { conversation, playout, segments, llm } = open(stt);
    await greeted(conversation, playout);
    await run(conversation, playout, speech(700));
    // The pause: the engine is asked for the words so far, which read as finished, and the reply is prepared.
    expect(await run(conversation, playout, quiet(200))).toBe(0);
    expect(stt.requests).toHaveLength(1);
    expect(llm.requests).toHaveLength(1);
    expect(await run(conversation, playout, quiet(300))).toBeGreaterThan(0);
    expect(segments.filter((s) => s.role === 'user').map((s) => s.text)).toEqual(['book me for tuesday']);
    // One request for the whole turn: the silence after the pause was not sent, the utterance not sent again.
    expect(stt.requests).toHaveLength(1);
    await conversation.stop('test');
  });

  it('throws the prepared reply away, unheard, when the caller goes on, and answers the whole utterance once, streamed again from its start', async () => {
    const stt = new StreamingQueueStt(['send the invoice', 'send the invoice to my office']);
    stt.partialText = 'send the invoice';
    const { conversation, playout, segments, llm } = open(stt);
    await greeted(conversation, playout);
    await run(conversation, playout, speech(600));
    // A 200 ms pause: the reply is prepared...
    expect(await run(conversation, playout, quiet(200))).toBe(0);
    expect(llm.requests).toHaveLength(1);
    // ...and the caller goes on before the turn ends.
    expect(await run(conversation, playout, speech(500))).toBe(0);
    expect(await run(conversation, playout, quiet(500))).toBeGreaterThan(0);
    // Only the whole utterance is in the transcript and the model's history; the discarded reply never was.
    expect(segments.filter((s) => s.role === 'user').map((s) => s.text)).toEqual(['send the invoice to my office']);
    // The reply to it, once (the discarded one would be a second).
    expect(segments.filter((s) => s.role === 'agent').map((s) => s.text)).toEqual(['Hello.', 'Sure thing.']);
    const second = llm.requests[1]!;
    expect(second.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['send the invoice to my office']);
    expect(second.messages.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual(['Hello.']);
    // Recognized by a second stream, fed the utterance from its start (600 + 200 + 500 ms at least) while the caller
    // went on: no whole-utterance decode at its end.
    expect(stt.heard).toEqual([]);
    expect(stt.streams).toHaveLength(2);
    expect(stt.streams[1]!.samples).toBeGreaterThanOrEqual(16 * 1300);
    expect(stt.streams[1]!.finished).toBe(true);
    await conversation.stop('test');
  });

  it('prepares nothing while person or machine is still open: a callee who let the agent speak first is then a person', async () => {
    // The callee says nothing: the greeting plays after the opening wait, inside the detection window (3 s here).
    const stt = new StreamingQueueStt(['hello this is maria']);
    stt.partialText = 'hello this is maria';
    const { conversation, playout, segments } = testConversation({ language: 'en-US', greeting: 'Hello.', detectVoicemail: true, voicemailAction: 'hangup' }, { stt, llm: new ScriptedLlm([() => words('Sure thing.')], 1), tts: new ToneTts(), settings });
    conversation.start();
    // The opening wait (1.5 s of wall time), then the greeting.
    await sleep(1500);
    let greeting = 0;
    for (let i = 0; i < 200 && greeting === 0; i++) greeting += await run(conversation, playout, quiet(100));
    expect(greeting).toBeGreaterThan(0);
    await run(conversation, playout, quiet(1000));
    await run(conversation, playout, speech(700));
    await run(conversation, playout, quiet(600));
    // Heard the usual way (no reply prepared in the pause): the words decided person, and the agent answered them.
    expect(conversation.answeredBy).toBe('human');
    expect(segments.filter((s) => s.role === 'user').map((s) => s.text)).toEqual(['hello this is maria']);
    expect(conversation.ended).toBe(false);
    await conversation.stop('test');
  });

  it('waits longer after a word that needs more, so a thinking pause is not taken for the end', async () => {
    const stt = new StreamingQueueStt(['my daughter has a fever and needs a doctor']);
    stt.partialText = 'my daughter has a fever and';
    const { conversation, playout, llm } = open(stt);
    await greeted(conversation, playout);
    await run(conversation, playout, speech(600));
    // 500 ms is past the fixed 300 ms silence: without the partial this would have ended the turn.
    await run(conversation, playout, quiet(500));
    expect(llm.requests).toHaveLength(0);
    await run(conversation, playout, speech(400));
    await run(conversation, playout, quiet(800));
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'my daughter has a fever and needs a doctor' });
    await conversation.stop('test');
  });

  it('runs no tool of a prepared reply the caller never heard', async () => {
    const stt = new StreamingQueueStt(['that is all', 'that is all for today thanks']);
    stt.partialText = 'that is all';
    let hangups = 0;
    const llm = new ScriptedLlm([() => [{ type: 'tool_call', call: { id: 't1', name: 'end_call', arguments: '{}' } }], () => words('Anything else?')], 1);
    const { conversation, playout } = testConversation(
      { language: 'en-US', greeting: 'Hello.', tools: [{ type: 'end_call' }] },
      { stt, llm, tts: new ToneTts(), settings, control: { hangup: async () => void hangups++, transfer: async () => undefined, sendDtmf: async () => undefined } },
    );
    conversation.start();
    await run(conversation, playout, quiet(600));
    await run(conversation, playout, speech(500));
    await run(conversation, playout, quiet(200));
    // The model answered the prepared turn with end_call, but the turn has not ended.
    expect(llm.requests).toHaveLength(1);
    await run(conversation, playout, speech(400));
    await run(conversation, playout, quiet(600));
    expect(hangups).toBe(0);
    expect(llm.requests).toHaveLength(2);
    await conversation.stop('test');
  });
});
